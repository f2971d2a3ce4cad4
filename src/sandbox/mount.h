/* mount: the sandbox's filesystem, built by its init (host root, in the
 * sandbox's fresh mount namespace, before it joins the user namespace):
 *   job tmpfs (size and inodes = disk limit) holding upper/, work/, tmp/,
 *     shm/, dev/
 *   overlay: idmapped read-only layers + upper  -> new root
 *   /proc, /dev, /tmp made real directories of the root (never symlinks)
 *   minimal /dev, /tmp, binds, then /proc (fresh, host-wide files masked
 *     from the proc mount's own fd), last so nothing covers it
 *   pivot_root, old root detached.
 * Host sources (binds, a --rootfs) come as detached trees taken by the CLI
 * without following symlinks. Bind targets inside the rootfs are resolved
 * with RESOLVE_IN_ROOT, so a hostile image's symlinks cannot send a mount
 * outside it. */
#ifndef GB_MOUNT_H
#define GB_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define GB_MOUNT_MAX_LAYERS 128
#define GB_MOUNT_MAX_BINDS 64
/* One inode of the job tmpfs per this many bytes of --disk: tmpfs's own
 * default ratio (one per page), so a disk full of non-empty files never
 * runs out of inodes first, while empty files, directories and symlinks
 * (which use no data pages) cannot number in the millions. */
#define GB_MOUNT_BYTES_PER_INODE 4096u
/* ...but never fewer: gradebox's own directories, device nodes, overlay
 * bookkeeping and a small task's files must fit in a tiny --disk. */
#define GB_MOUNT_MIN_INODES 1024u

struct gb_bind {
	char *src;  /* host path as given, for messages only */
	int tree;   /* detached copy of src (gb_mount_take_tree): init
		     * attaches this, never the path, which a previous sandbox
		     * may have changed through a :rw bind. Attaching moves it
		     * into that sandbox: one tree serves one sandbox. */
	char *dst;  /* absolute path inside the sandbox */
	bool rw;
	/* Show the tree's files through an id mapping (an idmapped mount):
	 * with idmap_fd < 1, the sandbox's own user namespace, so a file the
	 * disk says uid N belongs to uid N inside, whatever the uid slot; else
	 * that user namespace (a custom map, gb_userns_create_map). A
	 * filesystem that cannot idmap gets a plain bind. */
	bool idmap;
	int idmap_fd;
	/* Writable without writing the source: an overlay with the tree as its
	 * only lower layer and its upper layer in the job tmpfs (so --disk
	 * counts the writes); the overlay's root belongs to overlay_owner
	 * (an id inside). */
	bool overlay;
	uid_t overlay_owner;
};

struct gb_mount_plan {
	const char *job_dir;   /* existing host directory to mount the job tmpfs
				* on; in the sandbox's own mount namespace, so
				* boxes sharing it never see each other */
	bool scratch_ready;    /* job_dir is already an empty directory on a
				* tmpfs of the job's (shared by its boxes, so one
				* disk limit covers them all): use it as is */
	uint64_t disk_bytes;   /* size of the job tmpfs, which also bounds its
				* inodes (GB_MOUNT_BYTES_PER_INODE); 0 = tmpfs
				* defaults (half the RAM, as many inodes as pages) */
	char *const *lowers;   /* read-only layers, lowest first */
	const int *lower_trees; /* NULL, or detached trees of the lowers
				 * (gb_mount_take_tree), mounted instead of the
				 * paths: for a --rootfs a sandbox may reach */
	size_t nlowers;
	int userns_fd;         /* idmap layers into this user namespace */
	uid_t root_uid;        /* host uid/gid of root inside (uid base) */
	const struct gb_bind *binds;
	size_t nbinds;
};

/* Take the host path src for a bind or a --rootfs: resolved without
 * following any symlink (errnum ELOOP when there is one), cloned (with its
 * submounts when recursive) into a detached, private tree, returned as an
 * fd. A sandbox's init cannot clone a mount of the host's namespace from
 * its own, but attaches a detached tree made before its clone3. */
int gb_mount_take_tree(const char *src, bool recursive, gb_error *err);

/* Idmap a detached tree through userns_fd (an idmapped mount); -1 with
 * errno set where its filesystem cannot (tmpfs before Linux 6.3). */
int gb_mount_idmap(int tree, int userns_fd);

/* Writes through a :rw bind land on the host's filesystem, not in the job
 * tmpfs that --disk sizes: with a disk limit, refuse a :rw bind whose
 * filesystem has more than disk_bytes free, which the sandbox could fill
 * past the limit (give it a filesystem of its own, e.g. a small tmpfs). */
int gb_mount_check_rw_binds(const struct gb_bind *binds, size_t nbinds, uint64_t disk_bytes,
			    gb_error *err);

/* Build everything and pivot into it. Closes init's copies of the binds'
 * and lowers' tree fds. *scratch_fd gets an O_PATH fd of the
 * job tmpfs root, which outlives the namespace for disk accounting. */
int gb_mount_sandbox(const struct gb_mount_plan *plan, int *scratch_fd, gb_error *err);

#endif
