/* caps: see caps.h. */
#include "caps.h"

#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "util.h"

int gb_caps_drop_bounding(gb_error *err)
{
	int last = cap_max_bits();

	for (int c = 0; c < last; c++) {
		if (cap_drop_bound((cap_value_t)c) < 0 && errno != EINVAL)
			return gb_fail_errno(err, "drop capability %d from the bounding set", c);
	}
	/* One call: libcap's cap_reset_ambient() first asks about each of the
	 * ~41 capabilities in turn, on the path of every sandbox. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return gb_fail_errno(err, "clear ambient capabilities");
	return 0;
}

int gb_caps_clear(gb_error *err)
{
	cap_t caps = cap_init(); /* all three sets empty */
	int r = 0;

	if (!caps)
		return gb_fail_errno(err, "cap_init");
	if (cap_set_proc(caps) < 0)
		r = gb_fail_errno(err, "clear capabilities");
	cap_free(caps);
	return r;
}
