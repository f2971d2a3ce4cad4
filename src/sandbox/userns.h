/* userns: the sandbox's user namespace. Made by the supervisor before the
 * sandbox exists, so its fd can both idmap the rootfs layers and be joined
 * by the sandbox's init once all mounts are in place. Inside uid/gid 0 maps
 * to the host base of the sandbox's uid slot, GB_ID_RANGE ids in all: no
 * sandbox id is a host account, and no two running sandboxes share one.
 *
 * Why slots: the kernel keeps per-user budgets (inotify instances, pipe
 * pages, in-flight SCM_RIGHTS fds, namespace counts) per host uid, and
 * charges a user namespace's whole content to the host uid that owns it as
 * well. With one id range for all and namespaces owned by root, one
 * sandbox could spend host root's and every other sandbox's budget. So
 * each sandbox gets ids of its own (slot s: host ids uid_base +
 * s * GB_ID_RANGE + inside id) and its namespace is owned by its own host
 * root id, not by root. */
#ifndef GB_USERNS_H
#define GB_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Host-wide registry of the slots in use: an OFD lock on the byte range
 * [first host id, last host id] of the slot, in this file. Fixed, not
 * configured: every supervisor of the host must see the same file whatever
 * its state_dir or run_dir, and a range locked by absolute host ids also
 * keeps two configurations with overlapping uid ranges apart. In /run
 * (root-only, never bound into a sandbox, never a run_dir entry): no sandbox
 * can open it to hold slots, as it could bind names in the abstract socket
 * namespace it shares with the host under --network host. The lock goes
 * with the last fd of its open file: the supervisor's, and the copy its
 * sandbox's init inherits, so a slot is free again only once both are gone. */
#define GB_UID_LOCK_FILE "/run/gradebox-uids.lock"

struct gb_userns {
	int fd;          /* the namespace, O_CLOEXEC */
	int slot_fd;     /* holds the slot's lock */
	unsigned slot;
	uid_t host_base; /* host uid/gid of uid/gid 0 inside */
};

/* An empty one: what gb_userns_close may always close. */
void gb_userns_init(struct gb_userns *ns);
/* Take a free slot in [0, slots) of the ids from base (trying `first`
 * first) through lock_path, and make a user namespace owned by the slot's
 * host root id, mapping 0..GB_ID_RANGE-1 inside to the slot's ids. */
int gb_userns_create(const char *lock_path, uid_t base, unsigned slots, unsigned first,
		     struct gb_userns *ns, gb_error *err);
/* Take a free slot only (no namespace): fills slot_fd, slot, host_base. */
int gb_userns_slot_take(const char *lock_path, uid_t base, unsigned slots, unsigned first,
			struct gb_userns *ns, gb_error *err);
/* A user namespace owned by host uid `owner` with these maps (the text of
 * /proc/PID/uid_map and gid_map), never entered: for idmapped mounts that
 * show files with ids of the caller's choosing. */
int gb_userns_create_map(uid_t owner, const char *uid_map, const char *gid_map, int *fd,
			 gb_error *err);
/* Another handle on the same namespace and slot (the slot stays taken
 * until every handle is closed). */
int gb_userns_dup(const struct gb_userns *from, struct gb_userns *to, gb_error *err);
/* Close the namespace fd and give the slot back. */
void gb_userns_close(struct gb_userns *ns);

#endif
