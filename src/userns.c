/* userns: see userns.h. A throwaway child is cloned into a new user
 * namespace only to bring the namespace into being. It exits at once: until
 * it is reaped its credentials still hold the namespace, so its maps can be
 * written and an fd taken through /proc/PID even when it is a zombie — and
 * nobody waits for it to be scheduled. The fd then keeps the namespace. */
#include "userns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "util.h"

#define GB_USERNS_STACK 16384

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

int gb_userns_create(uid_t base, unsigned range, int *fd_out, gb_error *err)
{
	static char stack[GB_USERNS_STACK] __attribute__((aligned(16)));
	int status, r = -1;
	char path[64];
	pid_t pid;

	/* CLONE_VM: the child only returns, so sharing memory makes the clone
	 * cheap; it has its own small stack, reused once it is reaped below. */
	pid = clone(userns_child, stack + sizeof(stack), CLONE_NEWUSER | CLONE_VM | SIGCHLD,
		    NULL);
	if (pid < 0) {
		if (errno == EPERM || errno == ENOSPC || errno == EUSERS)
			return gb_fail_errno(err, "cannot create a user namespace (check "
					     "/proc/sys/user/max_user_namespaces; see gradebox check)");
		return gb_fail_errno(err, "clone(CLONE_NEWUSER)");
	}
	if (write_map(pid, "uid_map", base, range, err) < 0 ||
	    write_map(pid, "gid_map", base, range, err) < 0) {
		gb_context(err, "user namespace id map (gradebox needs real root in the host's "
				"user namespace; see gradebox check)");
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	*fd_out = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd_out < 0) {
		gb_fail_errno(err, "open %s", path);
		goto out;
	}
	r = 0;
out:
	GB_RETRY(waitpid(pid, &status, 0));
	return r;
}
