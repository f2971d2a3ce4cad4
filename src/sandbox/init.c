/* init: see init.h. */
#include "init.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "caps.h"
#include "util.h"

extern char **environ;

/* The command's stack until it execs (see gb_init_spawn_command). Measured
 * use: at most 5.5 KiB, with execvp's PATH search (bounded by PATH_MAX). */
#define GB_CMD_STACK (64 * 1024)

/* Signals init passes on to the command instead of acting on them. */
static const int forwarded[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH, SIGTSTP,
};

void gb_init_fail(int sock, const gb_error *err)
{
	gb_msg_send(sock, GB_MSG_ERROR, 0, err->msg, -1);
	_exit(GB_INIT_SETUP_FAILED);
}

static int set_rlimit(int res, uint64_t v, const char *name, gb_error *err)
{
	struct rlimit rl = { .rlim_cur = v, .rlim_max = v };

	if (setrlimit(res, &rl) < 0)
		return gb_fail_errno(err, "setrlimit %s %llu", name, (unsigned long long)v);
	return 0;
}

static int setup_stdio(const int stdio[3], gb_error *err)
{
	int fds[3];

	/* dup above 2 first so that swapping 0/1/2 among themselves works */
	for (int i = 0; i < 3; i++) {
		fds[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
		if (fds[i] < 0)
			return gb_fail_errno(err, "duplicate stdio fd %d", stdio[i]);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			return gb_fail_errno(err, "dup2 stdio");
	return 0;
}

static __attribute__((noreturn)) void exec_command(const struct gb_sandbox_spec *s, int sock)
{
	gb_error err = { 0 };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (size_t i = 0; i < GB_ARRAY_SIZE(forwarded); i++)
		signal(forwarded[i], SIG_DFL);
	/* The supervisor ignores these (job.c); an ignored signal stays
	 * ignored across execve, and a command that never dies of SIGPIPE
	 * spins on EPIPE (`yes | head`). */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTTIN, SIG_DFL);
	signal(SIGTTOU, SIG_DFL);
	/* Own session: no controlling terminal, so no TIOCSTI into the host's. */
	if (setsid() < 0) {
		gb_fail_errno(&err, "setsid");
		gb_init_fail(sock, &err);
	}
	if (setup_stdio(s->stdio, &err) < 0)
		gb_init_fail(sock, &err);
	if ((s->fsize_bytes && set_rlimit(RLIMIT_FSIZE, s->fsize_bytes, "fsize", &err) < 0) ||
	    (s->nofile && set_rlimit(RLIMIT_NOFILE, s->nofile, "nofile", &err) < 0) ||
	    set_rlimit(RLIMIT_CORE, 0, "core", &err) < 0)
		gb_init_fail(sock, &err);
	if (!s->root && gb_caps_drop_bounding(&err) < 0)
		gb_init_fail(sock, &err);
	if (setgroups(0, NULL) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 ||
	    setresuid(s->uid, s->uid, s->uid) < 0) {
		gb_fail_errno(&err, "become uid %u gid %u inside the sandbox", s->uid, s->gid);
		gb_init_fail(sock, &err);
	}
	if (!s->root && gb_caps_clear(&err) < 0)
		gb_init_fail(sock, &err);
	/* The identity changes above reset the dumpable flag of the memory
	 * this command still shares with init to fs.suid_dumpable, which may
	 * be 1: init must stay non-dumpable (see join_userns). The command's
	 * own memory after execve gets the flag execve gives it. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		gb_fail_errno(&err, "prctl(PR_SET_DUMPABLE)");
		gb_init_fail(sock, &err);
	}
	if (chdir(s->cwd ? s->cwd : "/") < 0) {
		gb_fail_errno(&err, "working directory %s inside the sandbox",
			      s->cwd ? s->cwd : "/");
		gb_init_fail(sock, &err);
	}
	/* No fd of gradebox survives execve; sock is close-on-exec too. */
	gb_cloexec_from(3);
	if (gb_seccomp_install(&s->seccomp, &err) < 0)
		gb_init_fail(sock, &err);
	/* execvp searches the PATH of environ, so environ must be the sandbox's
	 * (init, whose global this also is, never reads it). */
	environ = (char **)s->envp;
	execvp(s->argv[0], s->argv);
	if (errno == ENOENT && strchr(s->argv[0], '/'))
		gb_fail_errno(&err, "cannot execute %s in the sandbox (missing, or its interpreter "
				    "such as /bin/sh is missing from the rootfs)", s->argv[0]);
	else if (errno == ENOENT)
		gb_fail_errno(&err, "cannot execute %s: not found in the sandbox's PATH",
			      s->argv[0]);
	else
		gb_fail_errno(&err, "cannot execute %s in the sandbox", s->argv[0]);
	/* seccomp is on: only write and exit_group from here, both allowed. */
	gb_init_fail(sock, &err);
}

struct cmd_arg {
	const struct gb_sandbox_spec *s;
	int sock;
};

static int command_main(void *arg)
{
	const struct cmd_arg *a = arg;

	exec_command(a->s, a->sock);
}

pid_t gb_init_spawn_command(const struct gb_sandbox_spec *s, int sock)
{
	static char stack[GB_CMD_STACK] __attribute__((aligned(16)));
	struct cmd_arg a = { .s = s, .sock = sock };

	/* vfork-like: the command borrows init's memory until it execs, so
	 * neither copies page tables nor takes copy-on-write faults. Until
	 * then it only changes what is its own (creds, fds, signal handlers,
	 * limits: no CLONE_FILES, CLONE_FS or CLONE_SIGHAND) and init sleeps. */
	return clone(command_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
}

static void forwarded_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (size_t i = 0; i < GB_ARRAY_SIZE(forwarded); i++)
		sigaddset(set, forwarded[i]);
}

void gb_init_block_signals(void)
{
	sigset_t set;

	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

int gb_init_reap(pid_t cmd, int sock)
{
	_cleanup_close_ int sfd = -1;
	sigset_t set;
	int status = 0;

	/* Keep no stdio open: the grader's pipes close when the command's do. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		for (int i = 0; i < 3; i++)
			dup2(null, i);
		close(null);
	}
	/* Nor any other fd inherited from the supervisor but the socket: the
	 * supervisor's end of the command's stdin pipe would keep the command
	 * from ever reading its end of file. */
	gb_close_from_except(3, sock);
	forwarded_set(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return GB_INIT_SETUP_FAILED;

	for (;;) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = sock, .events = 0 } };
		struct signalfd_siginfo si;

		/* Reap first: the command may be gone before we ever poll. */
		for (;;) {
			int st;
			pid_t pid = waitpid(-1, &st, WNOHANG);
			if (pid <= 0)
				break;
			if (pid == cmd) {
				gb_msg_send(sock, GB_MSG_STATUS, st, NULL, -1);
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				/* Exiting kills whatever is left in the pid namespace. */
				return status;
			}
		}
		if (GB_RETRY(poll(p, 2, -1)) < 0)
			return GB_INIT_SETUP_FAILED;
		if (p[1].revents & (POLLHUP | POLLERR))
			return GB_INIT_SETUP_FAILED; /* supervisor gone: die */
		if (!(p[0].revents & POLLIN))
			continue;
		if (GB_RETRY(read(sfd, &si, sizeof(si))) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD)
			kill(cmd, (int)si.ssi_signo);
	}
}
