/* userns: the sandbox's user namespace. Made by the supervisor before the
 * sandbox exists, so its fd can both idmap the rootfs layers and be joined
 * by the sandbox's init once all mounts are in place. Inside uid/gid 0 maps
 * to host base, GB_ID_RANGE ids in all: no sandbox id is a host account. */
#ifndef GB_USERNS_H
#define GB_USERNS_H

#include <sys/types.h>

#include "error.h"

/* Returns an O_CLOEXEC fd of a new user namespace owned by the initial one,
 * mapping 0..range-1 inside to base..base+range-1 outside. */
int gb_userns_create(uid_t base, unsigned range, int *fd_out, gb_error *err);

#endif
