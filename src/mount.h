/* mount: the sandbox's filesystem, built by its init (host root, in the
 * sandbox's fresh mount namespace, before it joins the user namespace):
 *   job tmpfs (size = disk limit) holding upper/, work/, tmp/, shm/
 *   overlay: idmapped read-only layers + upper  -> new root
 *   /proc (fresh, with host-wide files masked), minimal /dev, /tmp, binds
 *   pivot_root, old root detached.
 * Every target inside the rootfs is resolved with RESOLVE_IN_ROOT, so a
 * hostile image's symlinks cannot send a mount outside it. */
#ifndef GB_MOUNT_H
#define GB_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define GB_MOUNT_MAX_LAYERS 128
#define GB_MOUNT_MAX_BINDS 64

struct gb_bind {
	char *src;  /* host path (trusted: from the command line or the job) */
	char *dst;  /* absolute path inside the sandbox */
	bool rw;
};

struct gb_mount_plan {
	const char *job_dir;   /* existing host directory to mount the job tmpfs
				* on; in the sandbox's own mount namespace, so
				* boxes sharing it never see each other */
	uint64_t disk_bytes;   /* size of the job tmpfs; 0 = tmpfs default */
	char *const *lowers;   /* read-only layers, lowest first */
	size_t nlowers;
	int userns_fd;         /* idmap layers into this user namespace */
	uid_t root_uid;        /* host uid/gid of root inside (uid base) */
	const struct gb_bind *binds;
	size_t nbinds;
};

/* Build everything and pivot into it. *scratch_fd gets an O_PATH fd of the
 * job tmpfs root, which outlives the namespace for disk accounting. */
int gb_mount_sandbox(const struct gb_mount_plan *plan, int *scratch_fd, gb_error *err);

#endif
