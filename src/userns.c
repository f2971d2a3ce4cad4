/* userns: see userns.h. A throwaway child is cloned into a new user
 * namespace only to bring the namespace into being. It exits at once: until
 * it is reaped its credentials still hold the namespace, so its maps can be
 * written and an fd taken through /proc/PID even when it is a zombie — and
 * nobody waits for it, neither to be scheduled nor to be reaped: the
 * caller reaps it once the sandbox is on its way. The fd keeps the
 * namespace. */
#include "userns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "util.h"

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

int gb_userns_create(uid_t base, unsigned range, struct gb_userns_maker *mk, int *fd_out,
		     gb_error *err)
{
	char path[64];
	pid_t pid;

	/* CLONE_VM: the child only returns, so sharing memory makes the clone
	 * cheap; it runs on mk's small stack, which outlives it. */
	*fd_out = -1;
	mk->pid = -1;
	pid = clone(userns_child, mk->stack + sizeof(mk->stack),
		    CLONE_NEWUSER | CLONE_VM | SIGCHLD, NULL);
	if (pid < 0) {
		if (errno == EPERM || errno == ENOSPC || errno == EUSERS)
			return gb_fail_errno(err, "cannot create a user namespace (check "
					     "/proc/sys/user/max_user_namespaces; see gradebox check)");
		return gb_fail_errno(err, "clone(CLONE_NEWUSER)");
	}
	mk->pid = pid;
	if (write_map(pid, "uid_map", base, range, err) < 0 ||
	    write_map(pid, "gid_map", base, range, err) < 0) {
		return gb_context(err, "user namespace id map (gradebox needs real root in the "
				  "host's user namespace; see gradebox check)");
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	*fd_out = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd_out < 0)
		return gb_fail_errno(err, "open %s", path);
	return 0;
}

void gb_userns_reap(struct gb_userns_maker *mk)
{
	int status;

	if (mk->pid > 0)
		GB_RETRY(waitpid(mk->pid, &status, 0));
	mk->pid = -1;
}
