/* sandbox: how one sandbox comes to life.
 *
 * Theory of operation
 * -------------------
 * `gradebox run` (and later the grading supervisor) is one process per job,
 * running as host root. For each sandbox it:
 *
 *  1. makes the sandbox's user namespace (userns.c): uid/gid 0..65535
 *     inside are the ids of a free uid slot outside (from uid_base), so no
 *     sandbox id is a host account or another sandbox's;
 *  2. clone3()s the sandbox's init with new mount, pid, ipc and uts
 *     namespaces, straight into the sandbox's cgroup (CLONE_INTO_CGROUP)
 *     and with a pidfd, and keeps init off its own CPU for a while;
 *  3. meanwhile makes the net namespace with `lo` up (netns.c; unless
 *     --network host) and sends it to init with GO.
 * All these namespaces are owned by the host's user namespace: nothing
 * inside can ever mount, change the hostname or reconfigure the network in
 * them, root or not; and the seccomp profile keeps anyone from making
 * namespaces of their own unless the run allows nested containers.
 *
 * init, still host root but already pid 1 of the new pid namespace, first
 * moves itself into the sandbox's v1 cgroups on hybrid hosts and only then
 * makes the cgroup namespace, rooted at the sandbox's cgroups, then builds
 * the filesystem (mount.c: job tmpfs, overlay over idmapped layers, /proc,
 * /dev, /tmp, binds, pivot_root) and sets the hostname, in parallel with
 * step 3. On GO it joins the net namespace, then the user namespace as uid
 * 0 inside (its slot's base outside), arms PR_SET_PDEATHSIG so it dies with
 * the supervisor and takes back every CPU the supervisor may use. It
 * forks the command, which takes its stdio, becomes the sandbox user
 * (4242 by default), drops every capability, sets no_new_privs and the
 * seccomp filter, and execs. init stays behind as a tiny reaper (init.c):
 * it forwards signals, reaps orphans and, when the command exits, reports
 * the wait status and exits — which makes the kernel kill every process
 * left in the pid namespace, daemons included. With the last process the
 * mount namespace and all its mounts vanish; the supervisor only removes
 * the empty job directory and the cgroup.
 *
 * The supervisor and init talk over a SOCK_SEQPACKET pair (struct gb_msg).
 * If the supervisor dies, init sees the socket hang up (and PDEATHSIG
 * fires): the sandbox never runs unsupervised.
 */
#include "sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "config.h"
#include "init.h"
#include "oom.h"
#include "fdpass.h"
#include "userns.h"
#include "util.h"

/* What the sandbox sees as pid 1 (comm and cmdline). */
#define GB_INIT_TITLE "gradebox-init"
/* No CLONE_NEWNET: the net namespace is made ahead (netns.h) and joined.
 * No CLONE_NEWCGROUP: init makes it once in its v1 cgroups (sandbox_child). */
#define GB_NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)

int gb_msg_send_fds(int sock, int type, int value, const char *text, const int *fds,
		    size_t nfds)
{
	struct gb_msg m = { .type = type, .value = value };

	if (nfds > GB_MSG_MAX_FDS) {
		errno = E2BIG;
		return -1;
	}
	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	return gb_send_fds(sock, &m, sizeof(m), fds, nfds);
}

int gb_msg_send(int sock, int type, int value, const char *text, int fd)
{
	return gb_msg_send_fds(sock, type, value, text, &fd, fd >= 0);
}

int gb_msg_recv(int sock, struct gb_msg *msg, int *fds, size_t nfds, gb_error *err)
{
	char cbuf[CMSG_SPACE(sizeof(int) * GB_MSG_MAX_FDS)];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	size_t got = 0;
	ssize_t n;

	for (size_t i = 0; i < nfds; i++)
		fds[i] = -1;
	n = GB_RETRY(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC));
	if (n < 0) {
		if (errno == ECONNRESET)
			return 0;
		return gb_fail_errno(err, "receive from the other end of the sandbox socket");
	}
	if (n == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < nfds)
				fds[got++] = fd;
			else
				close(fd); /* more than asked for: not ours to keep */
		}
	}
	if ((size_t)n != sizeof(*msg))
		return gb_fail(err, EPROTO, "short message on the sandbox socket");
	msg->text[sizeof(msg->text) - 1] = '\0';
	return 1;
}

int gb_sandbox_recv(struct gb_sandbox *sb, struct gb_msg *msg, int *fd, gb_error *err)
{
	int none = -1, r = gb_msg_recv(sb->sock, msg, fd ? fd : &none, 1, err);

	if (none >= 0)
		close(none);
	return r;
}

static int join_userns(const struct gb_sandbox_spec *s, int sock, gb_error *err)
{
	if (setns(s->mount.userns_fd, CLONE_NEWUSER) < 0)
		return gb_fail_errno(err, "join the sandbox's user namespace");
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return gb_fail_errno(err, "become root of the user namespace");
	/* Not dumpable: even root inside cannot ptrace init or open its
	 * /proc/1/mem to escape the seccomp filter init does not carry. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return gb_fail_errno(err, "prctl(PR_SET_DUMPABLE)");
	/* Armed after the uid change, which would clear it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return gb_fail_errno(err, "prctl(PR_SET_PDEATHSIG)");
	/* The supervisor may have died before PDEATHSIG was armed. */
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR)))
		_exit(GB_INIT_SETUP_FAILED);
	return 0;
}

/* Wait for GO; join the net namespace it carries, still as host root, and
 * read the seccomp filter for the command. */
static int await_go(struct gb_sandbox_spec *s, int sock, gb_error *err)
{
	int fds[2];
	struct gb_msg m;
	size_t i = 0;
	int r;

	r = gb_msg_recv(sock, &m, fds, GB_ARRAY_SIZE(fds), err);
	if (r == 0)
		_exit(GB_INIT_SETUP_FAILED); /* supervisor gone */
	if (r < 0)
		return -1;
	if (m.type != GB_MSG_GO)
		r = gb_fail(err, EPROTO, "unexpected message %d from the supervisor", m.type);
	if (r > 0 && (m.value & GB_GO_NETNS) && setns(fds[i++], CLONE_NEWNET) < 0)
		r = gb_fail_errno(err, "join the sandbox's network namespace");
	if (r > 0 && (m.value & GB_GO_SECCOMP) && gb_seccomp_load(fds[i], &s->seccomp, err) < 0)
		r = -1;
	for (i = 0; i < GB_ARRAY_SIZE(fds); i++)
		gb_closep(&fds[i]);
	return r < 0 ? -1 : 0;
}

/* A heap copy of a NULL-terminated string vector (init's own: it never
 * returns, so the copy is never freed); NULL when out of memory. */
static char **own_strv(char *const *v)
{
	size_t n = 0;
	char **copy;

	while (v[n])
		n++;
	copy = calloc(n + 1, sizeof(*copy));
	for (size_t i = 0; copy && i < n; i++)
		if (!(copy[i] = strdup(v[i])))
			return NULL;
	return copy;
}

/* init's title overwrites its argv strings, where the command's argv, env
 * and cwd may point (the CLI's flags). Copied out first, the title is set
 * before the command exists: set after, a quick command could read
 * /proc/1/comm or cmdline before init had named itself. */
static int own_command_strings(struct gb_sandbox_spec *s, gb_error *err)
{
	char **argv = own_strv(s->argv), **envp = s->envp ? own_strv(s->envp) : NULL;

	if (!argv || (s->envp && !envp) || (s->cwd && !(s->cwd = strdup(s->cwd))))
		return gb_fail(err, ENOMEM, "copy the command's arguments");
	s->argv = argv;
	s->envp = envp;
	return 0;
}

static __attribute__((noreturn)) void sandbox_child(struct gb_sandbox_spec *s, int sock)
{
	gb_error err = { 0 };
	_cleanup_close_ int scratch = -1;
	const char *host = s->hostname ? s->hostname : GB_DEFAULT_HOSTNAME;
	pid_t cmd;

	/* Before anything that could fork or allocate much: children inherit.
	 * Still host root: with CAP_SYS_RESOURCE the kernel also makes the OOM
	 * preference a floor nothing in the sandbox can lower. */
	if (gb_oom_adj_self(GB_OOM_ADJ_SANDBOX, &err) < 0)
		gb_init_fail(sock, &err);
	if (gb_cg_attach_self(s->cg_attach_fds, &err) < 0)
		gb_init_fail(sock, &err);
	gb_cg_close_self_attach(s->cg_attach_fds);
	/* The cgroup namespace is rooted where init is when it is made: only
	 * now, in the v1 cgroups too, is that the sandbox's own. Made at
	 * clone3, its v1 roots were the supervisor's cgroups: /proc/self/cgroup
	 * named the supervisor's host pid, and a nested cgroup namespace of
	 * root could mount the hierarchy above the sandbox. */
	if (unshare(CLONE_NEWCGROUP) < 0) {
		gb_fail_errno(&err, "unshare the cgroup namespace");
		gb_init_fail(sock, &err);
	}
	if (gb_mount_sandbox(&s->mount, &scratch, &err) < 0)
		gb_init_fail(sock, &err);
	if (sethostname(host, strlen(host)) < 0) {
		gb_fail_errno(&err, "sethostname %s", host);
		gb_init_fail(sock, &err);
	}
	if (await_go(s, sock, &err) < 0)
		gb_init_fail(sock, &err);
	if (join_userns(s, sock, &err) < 0)
		gb_init_fail(sock, &err);
	/* The supervisor kept init off its own CPU while both worked. */
	sched_setaffinity(0, sizeof(s->cpus), &s->cpus);
	/* Block what init will read from its signalfd before the command exists,
	 * so no early signal is lost; the command unblocks them. */
	gb_init_block_signals();
	if (own_command_strings(s, &err) < 0)
		gb_init_fail(sock, &err);
	gb_proc_title_set(GB_INIT_TITLE);
	cmd = gb_init_spawn_command(s, sock);
	if (cmd < 0) {
		gb_fail_errno(&err, "start the command");
		gb_init_fail(sock, &err);
	}
	gb_msg_send(sock, GB_MSG_READY, cmd, NULL, scratch);
	_exit(gb_init_reap(cmd, sock));
}

/* init builds the filesystem while the supervisor finishes the rest (the
 * net namespace, see box.c). Some schedulers pack a new child onto its
 * parent's CPU, where it would wait for the supervisor to block; so init
 * starts on the other CPUs and takes them all back before the command. */
static void keep_off_this_cpu(pid_t pid, const cpu_set_t *cpus)
{
	cpu_set_t others = *cpus;
	int me = sched_getcpu();

	if (me < 0 || CPU_COUNT(&others) < 2 || !CPU_ISSET(me, &others))
		return;
	CPU_CLR(me, &others);
	sched_setaffinity(pid, sizeof(others), &others);
}

void gb_sandbox_init(struct gb_sandbox *sb)
{
	sb->pid = -1;
	sb->pidfd = sb->sock = -1;
	gb_userns_init(&sb->userns);
}

int gb_sandbox_spawn(struct gb_sandbox_spec *spec, struct gb_sandbox *sb, gb_error *err)
{
	struct clone_args args = { 0 };
	int sv[2], pidfd = -1;
	pid_t pid;

	gb_sandbox_init(sb);
	/* Concurrent supervisors start their search at different slots. */
	if (spec->userns ? gb_userns_dup(spec->userns, &sb->userns, err) < 0
			 : gb_userns_create(GB_UID_LOCK_FILE, spec->uid_base, spec->uid_slots,
					    (unsigned)getpid(), &sb->userns, err) < 0)
		return -1;
	if (sched_getaffinity(0, sizeof(spec->cpus), &spec->cpus) < 0)
		return gb_fail_errno(err, "sched_getaffinity");
	spec->mount.userns_fd = sb->userns.fd;
	spec->mount.root_uid = sb->userns.host_base;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return gb_fail_errno(err, "socketpair");
	sb->sock = sv[0];

	args.flags = GB_NS_FLAGS | CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	if (spec->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)spec->cgroup_fd;
	}
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		close(sv[1]);
		return gb_fail_errno(err, "clone3 the sandbox");
	}
	if (pid == 0) {
		close(sv[0]);
		sandbox_child(spec, sv[1]);
	}
	close(sv[1]);
	sb->pid = pid;
	sb->pidfd = pidfd;
	keep_off_this_cpu(pid, &spec->cpus);
	return 0;
}

int gb_sandbox_go(struct gb_sandbox *sb, int netns_fd, int seccomp_fd, gb_error *err)
{
	int fds[2], what = 0;
	size_t n = 0;

	if (netns_fd >= 0) {
		what |= GB_GO_NETNS;
		fds[n++] = netns_fd;
	}
	if (seccomp_fd >= 0) {
		what |= GB_GO_SECCOMP;
		fds[n++] = seccomp_fd;
	}
	if (gb_msg_send_fds(sb->sock, GB_MSG_GO, what, NULL, fds, n) < 0)
		return gb_fail_errno(err, "send GO to the sandbox");
	return 0;
}

void gb_sandbox_close(struct gb_sandbox *sb)
{
	gb_closep(&sb->sock);
	gb_closep(&sb->pidfd);
	gb_userns_close(&sb->userns);
}
