/* caps: the capabilities a sandbox user keeps (libcap). uid 4242 keeps none
 * at all; root inside keeps root's set, which counts only in the sandbox's
 * user namespace (every other namespace is owned by the host's). */
#ifndef GB_CAPS_H
#define GB_CAPS_H

#include "error.h"

/* Before the uid change: empty the bounding and ambient sets. */
int gb_caps_drop_bounding(gb_error *err);
/* After the uid change: clear effective, permitted and inheritable. */
int gb_caps_clear(gb_error *err);

#endif
