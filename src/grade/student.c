/* student: run_student's supervisor side (student.h; the protocol and the
 * life of a call: student_proto.h).
 *
 * A call goes REQUEST (its one packet not read yet) -> QUEUED (checked,
 * holding its three fds, waiting for one of the config's student_parallel
 * places) -> RUNNING (a box of the job; the fds went to the sandbox and
 * were closed here) -> answered and freed from the box's done callback.
 * A connection that closes kills its box; one that closes while queued is
 * dropped. Every fd a call holds is released on every path: that is what
 * the security tests count. */
#include "student.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "image.h"
#include "mount.h"
#include "util.h"

#define GB_MB (1024ull * 1024ull)
#define GB_STUDENT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* INGInious gives the student HOME=/task. */
#define GB_STUDENT_HOME "HOME=/task"
#define GB_STUDENT_ENV_MAX 256
/* How init's message for a failed execvp begins (init.c). */
#define GB_EXEC_FAILED "cannot execute "
#define GB_STUDENT_EXIT_NOT_FOUND 127
#define GB_STUDENT_EXIT_NOT_EXEC 126
/* Room for fds beyond the three a request may carry: more than that and
 * the kernel truncates (MSG_CTRUNC) and closes the rest itself. */
#define GB_STUDENT_CMSG_FDS 16

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

enum call_state { CALL_REQUEST, CALL_QUEUED, CALL_RUNNING };

struct gb_student_call {
	struct gb_student_server *srv;
	size_t index;               /* in srv->calls */
	int conn;
	enum call_state state;
	uint64_t seq;               /* arrival order, for the queue */
	uint32_t pending_signals;   /* received while queued, by number */
	bool client_gone;
	int fds[GB_STUDENT_NFDS];
	char buf[GB_STUDENT_REQ_MAX];
	struct gb_student_req req;
	/* what the box reads until it is done */
	struct gb_sandbox_spec spec;
	struct gb_limits lim;
	struct gb_box_io io;
	struct gb_result res;
	struct gb_bind binds[2];
	struct gb_image_ref img;  /* --container's, held until the box is done */
	const struct gb_image_ref *image; /* img or the server's default */
	char *rootfs_lower[1];
	int rootfs_tree, netns;
	const char *envp[GB_STUDENT_ENV_MAX + 3];
	char cwd[GB_STUDENT_REQ_MAX];
};

/* Signals run_student may pass on (student_proto.h). */
static const int forwardable[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGTSTP,
};

static bool forwardable_signal(int signo)
{
	for (size_t i = 0; i < GB_ARRAY_SIZE(forwardable); i++)
		if (forwardable[i] == signo)
			return true;
	return false;
}

const char *gb_student_check_fd(int fd)
{
	struct stat st;
	struct statfs sf;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0)
		return "not an open descriptor";
	if (fl & O_PATH)
		return "an O_PATH descriptor";
	if (S_ISDIR(st.st_mode))
		return "a directory";
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode) &&
	    !S_ISSOCK(st.st_mode))
		return "not a file, device, pipe or socket";
	switch ((unsigned long)sf.f_type) {
	case ANON_INODE_FS_MAGIC: case PID_FS_MAGIC: case NSFS_MAGIC: case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC: case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC: case BPF_FS_MAGIC:
		return "a kernel object (pidfd, namespace, /proc, /sys or cgroup file)";
	}
	if (S_ISSOCK(st.st_mode)) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		/* A connection to this supervisor: the student could make
		 * requests of its own through it. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.pid == getpid())
			return "a connection to the gradebox supervisor";
	}
	return NULL;
}

static void close_fds(struct gb_student_call *c)
{
	for (size_t i = 0; i < GB_STUDENT_NFDS; i++)
		gb_closep(&c->fds[i]);
}

static void free_call(struct gb_student_call *c)
{
	struct gb_student_server *srv = c->srv;

	if (c->conn >= 0) {
		epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->conn, NULL);
		gb_closep(&c->conn);
	}
	close_fds(c);
	for (size_t i = 0; i < GB_ARRAY_SIZE(c->binds); i++)
		gb_closep(&c->binds[i].tree);
	gb_closep(&c->rootfs_tree);
	gb_closep(&c->netns);
	gb_image_ref_free(&c->img);
	if (c->state == CALL_RUNNING)
		srv->nrunning--;
	srv->calls[c->index] = NULL;
	srv->nconns--;
	free(c);
}

static void answer(struct gb_student_call *c, int code, const char *text)
{
	struct gb_student_msg m;

	gb_student_msg_make(&m, GB_STUDENT_RESULT, code, text);
	if (c->conn >= 0)
		(void)!send(c->conn, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void resume_accepting(struct gb_student_server *srv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (!srv->accepting && srv->nconns < GB_STUDENT_MAX_CONNS && srv->listen_fd >= 0 &&
	    epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->listen_fd, &ev) == 0)
		srv->accepting = true;
}

static void refuse(struct gb_student_call *c, const char *fmt, const char *a, const char *b)
{
	char text[GB_STUDENT_TEXT_MAX];

	snprintf(text, sizeof(text), fmt, a, b);
	c->srv->stats.refused++;
	answer(c, GB_STUDENT_EXIT_FAILED, text);
	free_call(c);
}

static void start_queued(struct gb_student_server *srv);

/* The box is done: answer with INGInious's code and free the call. */
static void on_box_done(struct gb_job *job, struct gb_result *res, void *arg)
{
	struct gb_student_call *c = arg;
	struct gb_student_server *srv = c->srv;
	int code = res->exit_code;
	const char *text = NULL;

	(void)job;
	srv->stats.cpu_time += res->cpu_time;
	switch (res->status) {
	case GB_STATUS_EXITED: case GB_STATUS_DISK:
		code = res->signal ? gb_student_code_for_signal(res->signal) : res->exit_code;
		break;
	case GB_STATUS_SIGNALED: code = gb_student_code_for_signal(res->signal); break;
	case GB_STATUS_TIMEOUT: code = GB_STUDENT_EXIT_TIMEOUT; break;
	case GB_STATUS_MEMORY: code = GB_STUDENT_EXIT_MEMORY; break;
	case GB_STATUS_ERROR:
		/* A command that cannot be executed is the shell's 127 (not
		 * found) or 126, which tasks test for; the reason still goes to
		 * the caller's stderr. Anything else failed to start: 254. */
		code = !strncmp(res->message, GB_EXEC_FAILED, strlen(GB_EXEC_FAILED))
			       ? (strstr(res->message, strerror(ENOENT)) ? GB_STUDENT_EXIT_NOT_FOUND
									 : GB_STUDENT_EXIT_NOT_EXEC)
			       : GB_STUDENT_EXIT_FAILED;
		text = res->message;
		break;
	}
	if (!c->client_gone)
		answer(c, code, text);
	free_call(c);
	start_queued(srv);
	resume_accepting(srv);
}

static int take_tree_fd(int fd, bool recursive, gb_error *err)
{
	struct mount_attr attr = { .propagation = MS_PRIVATE };
	int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
					     (recursive ? AT_RECURSIVE : 0));

	if (tree < 0)
		return gb_fail_errno(err, "clone the directory's mount");
	if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0) {
		close(tree);
		return gb_fail_errno(err, "make the copy private");
	}
	return tree;
}

static double min_limit(double requested, double own)
{
	if (requested <= 0)
		return own;
	if (own <= 0)
		return requested;
	return requested < own ? requested : own;
}

/* cwd: the caller's when it lies in /task/student, else /task/student.
 * A path with a ".." component is not "in" it. */
static void pick_cwd(struct gb_student_call *c)
{
	const char *cwd = c->req.cwd;
	size_t n = strlen(GB_STUDENT_DIR);

	snprintf(c->cwd, sizeof(c->cwd), "%s", GB_STUDENT_DIR);
	if (strncmp(cwd, GB_STUDENT_DIR, n) || (cwd[n] != '\0' && cwd[n] != '/'))
		return;
	for (const char *p = cwd; (p = strstr(p, "/..")); p += 3)
		if (p[3] == '\0' || p[3] == '/')
			return;
	snprintf(c->cwd, sizeof(c->cwd), "%s", cwd);
}

static void build_env(struct gb_student_call *c)
{
	const struct gb_student_env *env = c->srv->env;
	size_t k = 0;

	c->envp[k++] = GB_STUDENT_PATH;
	c->envp[k++] = GB_STUDENT_HOME;
	for (size_t i = 0; env->envp && env->envp[i] && k < GB_STUDENT_ENV_MAX; i++)
		if (strncmp(env->envp[i], "HOME=", 5) && strncmp(env->envp[i], "PATH=", 5))
			c->envp[k++] = env->envp[i];
	for (size_t i = 0; c->image && i < c->image->nenv && k < GB_STUDENT_ENV_MAX; i++)
		if (strncmp(c->image->env[i], "HOME=", 5))
			c->envp[k++] = c->image->env[i];
	c->envp[k] = NULL;
}

/* Everything the box needs; -1 with err (the call is refused). */
static int prepare(struct gb_student_call *c, gb_error *err)
{
	struct gb_student_server *srv = c->srv;
	const struct gb_student_env *env = srv->env;
	const struct gb_limits *own = env->lim;
	struct gb_sandbox_spec *s = &c->spec;
	size_t nb = 0;

	if (c->req.container[0]) {
		if (gb_image_open(env->cfg, c->req.container, &c->img, err) < 0)
			return gb_context(err, "--container %s", c->req.container);
		c->image = &c->img;
	} else if (env->image) {
		c->image = &srv->img;
	} else {
		c->rootfs_tree = gb_mount_take_tree(env->rootfs, false, err);
		if (c->rootfs_tree < 0)
			return gb_context(err, "the grading rootfs");
		c->rootfs_lower[0] = (char *)env->rootfs;
		s->mount.lowers = c->rootfs_lower;
		s->mount.lower_trees = &c->rootfs_tree;
		s->mount.nlowers = 1;
	}
	if (c->image) {
		s->mount.lowers = c->image->layers;
		s->mount.nlowers = c->image->nlayers;
	}
	/* Idmapped into the student's own user namespace: uid 4242 on disk is
	 * 4242 in the grading sandbox and in every student one. */
	c->binds[nb] = (struct gb_bind){ .src = GB_STUDENT_DIR, .dst = GB_STUDENT_DIR, .rw = true,
					 .idmap = true };
	c->binds[nb].tree = take_tree_fd(env->task_student_fd, false, err);
	if (c->binds[nb++].tree < 0)
		return gb_context(err, GB_STUDENT_DIR);
	if (env->course_student_fd >= 0) {
		c->binds[nb] = (struct gb_bind){ .src = GB_STUDENT_COURSE_DIR,
						 .dst = GB_STUDENT_COURSE_DIR, .idmap = true };
		c->binds[nb].tree = take_tree_fd(env->course_student_fd, true, err);
		if (c->binds[nb++].tree < 0)
			return gb_context(err, GB_STUDENT_COURSE_DIR);
	}
	if (c->req.flags & GB_STUDENT_SHARE_NETWORK) {
		c->netns = gb_job_box_netns(srv->job, env->grading_res, err);
		if (c->netns < 0)
			return gb_context(err, "--share-network");
		s->netns_fd = &c->netns;
	}
	s->mount.binds = c->binds;
	s->mount.nbinds = nb;
	pick_cwd(c);
	build_env(c);
	s->argv = (char *const *)c->req.argv;
	s->envp = (char *const *)c->envp;
	s->cwd = c->cwd;
	s->root = c->req.flags & GB_STUDENT_RUN_AS_ROOT;
	s->uid = s->gid = s->root ? 0 : GB_STUDENT_UID;
	s->hostname = env->hostname;
	s->seccomp_profile = env->seccomp_profile;
	s->userns = env->userns;

	c->lim = *own;
	c->lim.cpu_time = min_limit(c->req.time_s, own->cpu_time);
	c->lim.wall_time = min_limit(c->req.hard_time_s, own->wall_time);
	c->lim.memory_bytes = (uint64_t)min_limit((double)c->req.memory_mb * GB_MB,
						  (double)own->memory_bytes);
	c->lim.output_bytes = 0; /* the fds are the caller's: nothing is captured */
	c->io = (struct gb_box_io){ .stdin_fd = c->fds[0], .stdout_fd = c->fds[1],
				    .stderr_fd = c->fds[2], .direct = true };
	return 0;
}

static void start(struct gb_student_call *c)
{
	struct gb_student_server *srv = c->srv;
	struct pollfd p = { .fd = c->conn, .events = POLLRDHUP };
	gb_error err = { 0 };

	/* Its run_student died while it waited (the grading sandbox ended,
	 * say) and the loop has not seen it yet: no sandbox for nobody. */
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR))) {
		free_call(c);
		return;
	}
	if (prepare(c, &err) < 0) {
		refuse(c, "%s%s", err.msg, "");
		return;
	}
	c->state = CALL_RUNNING;
	srv->nrunning++;
	if (srv->nrunning > srv->stats.max_parallel)
		srv->stats.max_parallel = srv->nrunning;
	srv->stats.runs++;
	gb_job_start_box(srv->job, &c->spec, &c->lim, &c->io, &c->res);
	/* The sandbox has its own copies now, or never will. */
	close_fds(c);
	for (size_t i = 0; i < GB_ARRAY_SIZE(c->binds); i++)
		gb_closep(&c->binds[i].tree);
	gb_closep(&c->rootfs_tree);
	if (c->res.done || gb_job_on_done(srv->job, &c->res, on_box_done, c) < 0) {
		on_box_done(srv->job, &c->res, c);
		return;
	}
	for (int sig = 1; sig < 32; sig++)
		if (c->pending_signals & (1u << sig))
			gb_job_signal_box(srv->job, &c->res, sig);
}

static void start_queued(struct gb_student_server *srv)
{
	while (!srv->closing && srv->nrunning < srv->env->cfg->student_parallel) {
		struct gb_student_call *next = NULL;

		for (size_t i = 0; i < GB_STUDENT_MAX_CONNS; i++) {
			struct gb_student_call *c = srv->calls[i];
			if (c && c->state == CALL_QUEUED && (!next || c->seq < next->seq))
				next = c;
		}
		if (!next)
			return;
		start(next);
	}
}

/* The one request packet: bounded, exactly three acceptable fds, well
 * formed; anything else is refused and the connection closed. */
static void read_request(struct gb_student_call *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * GB_STUDENT_CMSG_FDS)];
	struct iovec iov = { .iov_base = c->buf, .iov_len = sizeof(c->buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	size_t nfds = 0;
	const char *why;
	ssize_t n = recvmsg(c->conn, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	bool extra = false;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Take every fd first, so that each is closed whatever is wrong. */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k;
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (nfds < GB_STUDENT_NFDS) {
				c->fds[nfds++] = fd;
			} else {
				close(fd);
				extra = true;
			}
		}
	}
	if (n <= 0) {
		free_call(c); /* gone before asking */
		return;
	}
	if ((size_t)n > sizeof(c->buf) || (mh.msg_flags & MSG_TRUNC)) {
		refuse(c, "refused: the request is longer than %s%s", "64 KiB", "");
		return;
	}
	if (extra || (mh.msg_flags & MSG_CTRUNC) || nfds != GB_STUDENT_NFDS) {
		refuse(c, "refused: a request carries exactly 3 descriptors (stdin, stdout, "
		       "stderr)%s%s", "", "");
		return;
	}
	for (size_t i = 0; i < GB_STUDENT_NFDS; i++) {
		static const char *const names[] = { "stdin", "stdout", "stderr" };
		const char *bad = gb_student_check_fd(c->fds[i]);
		if (bad) {
			refuse(c, "refused: its %s is %s", names[i], bad);
			return;
		}
	}
	if (gb_student_req_decode(c->buf, (size_t)n, &c->req, &why) < 0) {
		refuse(c, "refused: %s%s", why, "");
		return;
	}
	c->state = CALL_QUEUED;
	start_queued(c->srv);
}

/* A running or queued call's connection: signals, or its end. */
static void read_message(struct gb_student_call *c)
{
	struct gb_student_msg m;
	ssize_t n = recv(c->conn, &m, sizeof(m), MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || !gb_student_msg_valid(&m, (size_t)n) || m.type != GB_STUDENT_SIGNAL ||
	    !forwardable_signal(m.value)) {
		/* run_student died (or spoke nonsense): its sandbox dies. */
		if (c->state == CALL_QUEUED) {
			free_call(c);
			return;
		}
		c->client_gone = true;
		epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->conn, NULL);
		gb_closep(&c->conn);
		gb_job_kill_box(c->srv->job, &c->res);
		return;
	}
	if (c->state == CALL_QUEUED)
		c->pending_signals |= 1u << m.value;
	else
		gb_job_signal_box(c->srv->job, &c->res, m.value);
}

static void accept_one(struct gb_student_server *srv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct gb_student_call *c;
	size_t slot;
	int conn;

	if (srv->nconns >= GB_STUDENT_MAX_CONNS) {
		ev.events = 0; /* the backlog holds the rest until a call ends */
		if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->listen_fd, &ev) == 0)
			srv->accepting = false;
		return;
	}
	conn = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0)
		return;
	for (slot = 0; slot < GB_STUDENT_MAX_CONNS && srv->calls[slot]; slot++)
		;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(conn);
		return;
	}
	c->srv = srv;
	c->index = slot;
	c->conn = conn;
	c->seq = srv->next_seq++;
	c->rootfs_tree = c->netns = -1;
	c->img.lock_fd = -1;
	for (size_t i = 0; i < GB_STUDENT_NFDS; i++)
		c->fds[i] = -1;
	for (size_t i = 0; i < GB_ARRAY_SIZE(c->binds); i++)
		c->binds[i].tree = -1;
	ev.data.ptr = c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, conn, &ev) < 0) {
		close(conn);
		free(c);
		return;
	}
	srv->calls[slot] = c;
	srv->nconns++;
}

/* One event per turn of the job's loop: a call freed while serving one
 * event can never be touched by a later one of the same batch. */
static void on_ready(struct gb_job *job, int fd, void *arg)
{
	struct gb_student_server *srv = arg;
	struct epoll_event ev;

	(void)job;
	if (epoll_wait(fd, &ev, 1, 0) != 1)
		return;
	if (!ev.data.ptr) {
		accept_one(srv);
		return;
	}
	if (((struct gb_student_call *)ev.data.ptr)->state == CALL_REQUEST)
		read_request(ev.data.ptr);
	else
		read_message(ev.data.ptr);
}

int gb_student_server_open(struct gb_student_server *srv, struct gb_job *job,
			   const struct gb_student_env *env, gb_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	memset(srv, 0, sizeof(*srv));
	srv->job = job;
	srv->env = env;
	srv->listen_fd = srv->epfd = -1;
	srv->img.lock_fd = -1;
	if (!env->image && !env->rootfs)
		return gb_fail(err, EINVAL, "run_student: no image for student sandboxes");
	/* The default container, opened (and held) once for every call. */
	if (env->image && gb_image_open(env->cfg, env->image, &srv->img, err) < 0) {
		gb_context(err, "run_student: the grading image %s", env->image);
		goto fail;
	}
	/* Through the held directory, never a path the sandbox could change. */
	snprintf(srv->addr, sizeof(srv->addr), "/proc/self/fd/%d/" GB_STUDENT_SOCK_NAME,
		 env->sock_dir_fd);
	memcpy(addr.sun_path, srv->addr, sizeof(addr.sun_path));
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->epfd < 0 || srv->listen_fd < 0) {
		gb_fail_errno(err, "run_student socket");
		goto fail;
	}
	if (unlinkat(env->sock_dir_fd, GB_STUDENT_SOCK_NAME, 0) < 0 && errno != ENOENT) {
		gb_fail_errno(err, "remove an old run_student socket");
		goto fail;
	}
	if (bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		gb_fail_errno(err, "bind the run_student socket");
		goto fail;
	}
	/* Connecting takes write permission: the sandbox's uid is no owner. */
	if (fchmodat(env->sock_dir_fd, GB_STUDENT_SOCK_NAME, 0666, 0) < 0 ||
	    listen(srv->listen_fd, SOMAXCONN) < 0 ||
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->listen_fd, &ev) < 0) {
		gb_fail_errno(err, "listen on the run_student socket");
		goto fail;
	}
	srv->accepting = true;
	if (gb_job_watch(job, srv->epfd, on_ready, srv, err) < 0)
		goto fail;
	return 0;
fail:
	gb_student_server_close(srv);
	return -1;
}

void gb_student_server_close(struct gb_student_server *srv)
{
	/* While one box is reaped below, others may end and free their calls;
	 * none of the queued ones may start in their place. */
	srv->closing = true;
	if (srv->epfd >= 0)
		gb_job_unwatch(srv->job, srv->epfd);
	for (size_t i = 0; i < GB_STUDENT_MAX_CONNS; i++) {
		struct gb_student_call *c = srv->calls[i];
		if (!c)
			continue;
		if (c->state == CALL_RUNNING) {
			/* Killed and reaped here, answered 254 if its caller waits. */
			gb_job_on_done(srv->job, &c->res, NULL, NULL);
			gb_job_kill_box(srv->job, &c->res);
			gb_job_wait(srv->job, &c->res);
			srv->stats.cpu_time += c->res.cpu_time;
		}
		answer(c, GB_STUDENT_EXIT_FAILED, "the grading sandbox has ended");
		free_call(c);
	}
	if (srv->listen_fd >= 0) {
		unlinkat(srv->env->sock_dir_fd, GB_STUDENT_SOCK_NAME, 0);
		gb_closep(&srv->listen_fd);
	}
	gb_closep(&srv->epfd);
	gb_image_ref_free(&srv->img);
}
