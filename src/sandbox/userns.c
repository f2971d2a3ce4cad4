/* userns: see userns.h. A throwaway child is cloned into a new user
 * namespace only to bring the namespace into being. It exits at once: until
 * it is reaped its credentials still hold the namespace, so its maps can be
 * written and an fd taken through /proc/PID even when it is a zombie — and
 * nobody waits for it to be scheduled. The fd then keeps the namespace. */
#include "userns.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "config.h"
#include "util.h"

#define GB_USERNS_STACK 16384
#define GB_CAP_WORDS 2 /* _LINUX_CAPABILITY_U32S_3 */

void gb_userns_init(struct gb_userns *ns)
{
	ns->fd = ns->slot_fd = -1;
	ns->slot = 0;
	ns->host_base = 0;
}

void gb_userns_close(struct gb_userns *ns)
{
	gb_closep(&ns->fd);
	gb_closep(&ns->slot_fd); /* the lock goes with it */
}

static int open_lock_file(const char *path, gb_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = GB_RETRY(open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
	if (fd < 0)
		return gb_fail_errno(err, "open the uid slot lock file %s", path);
	/* Whoever could write it could hold every slot: it must be root's own. */
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "fstat %s", path);
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return gb_fail(err, EPERM, "the uid slot lock file %s must be a regular file "
			       "owned by root and writable by root only", path);
	return gb_steal_fd(&fd);
}

int gb_userns_slot_take(const char *lock_path, uid_t base, unsigned slots, unsigned first,
			struct gb_userns *ns, gb_error *err)
{
	_cleanup_close_ int fd = open_lock_file(lock_path, err);

	if (fd < 0)
		return -1;
	if (slots == 0)
		return gb_fail(err, EINVAL, "uid_slots is 0");
	for (unsigned i = 0; i < slots; i++) {
		unsigned slot = (first + i) % slots;
		uid_t host = base + slot * GB_ID_RANGE;
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_start = host, .l_len = GB_ID_RANGE };

		if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
			ns->slot_fd = gb_steal_fd(&fd);
			ns->slot = slot;
			ns->host_base = host;
			return 0;
		}
		if (errno != EAGAIN && errno != EACCES)
			return gb_fail_errno(err, "lock uid slot %u in %s", slot, lock_path);
	}
	return gb_fail(err, EBUSY, "all %u uid slots are in use by running sandboxes "
		       "(raise uid_slots)", slots);
}

static int userns_child(void *arg)
{
	return 0;
}

static int write_map(pid_t pid, const char *file, unsigned base, unsigned range,
		     gb_error *err)
{
	char path[64], map[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	snprintf(map, sizeof(map), "0 %u %u", base, range);
	return gb_write_file(path, map, err);
}

/* clone the throwaway child into a new user namespace owned by host uid
 * `owner`: the kernel makes the caller's effective uid the owner. Only the
 * effective uid changes, and only in this thread (the raw syscall, not
 * glibc's process-wide setresuid); the real and saved uids stay 0, so the
 * permitted capabilities stay and the way back is open. The change also
 * drops the effective capabilities (raised again for hosts that allow user
 * namespaces to CAP_SYS_ADMIN only), the dumpable flag and the parent-death
 * signal: all are put back. */
static pid_t clone_owned_by(uid_t owner, gb_error *err)
{
	static char stack[GB_USERNS_STACK] __attribute__((aligned(16)));
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[GB_CAP_WORDS];
	uid_t euid = geteuid();
	int dumpable = prctl(PR_GET_DUMPABLE), deathsig = 0, saved;
	pid_t pid, ppid = getppid();

	if (syscall(SYS_capget, &hdr, caps) < 0)
		return gb_fail_errno(err, "capget");
	prctl(PR_GET_PDEATHSIG, &deathsig);
	if (syscall(SYS_setresuid, -1, owner, -1) < 0)
		return gb_fail_errno(err, "take uid %u to own the sandbox's user namespace (gradebox "
				     "needs real root in the host's user namespace; see gradebox "
				     "check)", owner);
	for (size_t i = 0; i < GB_CAP_WORDS; i++)
		caps[i].effective = caps[i].permitted;
	if (syscall(SYS_capset, &hdr, caps) < 0) {
		pid = gb_fail_errno(err, "capset");
	} else {
		/* CLONE_VM: the child only returns, so sharing memory makes the
		 * clone cheap; its small stack is reused once it is reaped. */
		pid = clone(userns_child, stack + sizeof(stack), CLONE_NEWUSER | CLONE_VM | SIGCHLD,
			    NULL);
		if (pid < 0) {
			if (errno == EPERM || errno == ENOSPC || errno == EUSERS)
				gb_fail_errno(err, "cannot create a user namespace (check "
					      "/proc/sys/user/max_user_namespaces; see gradebox check)");
			else
				gb_fail_errno(err, "clone(CLONE_NEWUSER)");
		}
	}
	saved = errno;
	/* Back to root: also copies the permitted capabilities to the effective
	 * ones. Failing here would leave a supervisor that is not root. */
	if (syscall(SYS_setresuid, -1, euid, -1) < 0)
		abort();
	if (dumpable >= 0)
		prctl(PR_SET_DUMPABLE, dumpable);
	if (deathsig) {
		prctl(PR_SET_PDEATHSIG, deathsig);
		if (getppid() != ppid) /* the parent died while the signal was off */
			kill(getpid(), deathsig);
	}
	errno = saved;
	return pid;
}

int gb_userns_create_map(uid_t owner, const char *uid_map, const char *gid_map, int *fd,
			 gb_error *err)
{
	char path[64];
	int status, r = -1;
	pid_t pid = clone_owned_by(owner, err);

	if (pid < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	if (gb_write_file(path, uid_map, err) < 0)
		goto reap;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	if (gb_write_file(path, gid_map, err) < 0)
		goto reap;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		gb_fail_errno(err, "open %s", path);
	else
		r = 0;
reap:
	GB_RETRY(waitpid(pid, &status, 0));
	return r;
}

int gb_userns_dup(const struct gb_userns *from, struct gb_userns *to, gb_error *err)
{
	gb_userns_init(to);
	to->fd = fcntl(from->fd, F_DUPFD_CLOEXEC, 0);
	to->slot_fd = from->slot_fd >= 0 ? fcntl(from->slot_fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (to->fd < 0 || (from->slot_fd >= 0 && to->slot_fd < 0)) {
		gb_userns_close(to);
		return gb_fail_errno(err, "dup the user namespace");
	}
	to->slot = from->slot;
	to->host_base = from->host_base;
	return 0;
}

int gb_userns_create(const char *lock_path, uid_t base, unsigned slots, unsigned first,
		     struct gb_userns *ns, gb_error *err)
{
	int status, r = -1;
	char path[64];
	pid_t pid;

	gb_userns_init(ns);
	if (gb_userns_slot_take(lock_path, base, slots, first, ns, err) < 0)
		return -1;
	pid = clone_owned_by(ns->host_base, err);
	if (pid < 0)
		goto out;
	if (write_map(pid, "uid_map", ns->host_base, GB_ID_RANGE, err) < 0 ||
	    write_map(pid, "gid_map", ns->host_base, GB_ID_RANGE, err) < 0) {
		gb_context(err, "user namespace id map (gradebox needs real root in the host's "
				"user namespace; see gradebox check)");
		goto reap;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0) {
		gb_fail_errno(err, "open %s", path);
		goto reap;
	}
	r = 0;
reap:
	GB_RETRY(waitpid(pid, &status, 0));
out:
	if (r < 0)
		gb_userns_close(ns);
	return r;
}
