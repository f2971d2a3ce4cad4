/* serve: see serve.h for the process tree. Here: options, the event loop,
 * signals and the shutdown. */
#include "serve.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cgroup.h"
#include "queue.h"
#include "server.h"
#include "util.h"

/* Chores (result expiry, the shutdown deadline) once a second. */
#define SERVE_TICK_S 1
#define SERVE_EVENTS_MAX 64
/* systemd's socket activation: the first passed fd (sd_listen_fds(3)). */
#define SERVE_LISTEN_FDS_START 3
#define SERVE_GROUP_LINE_MAX 4096

struct serve {
	struct gb_watch sig_w, tick_w, runner_w, spool_w;
	const struct gb_serve_opts *o;
	struct gb_queue *q;
	struct gb_server *srv;
	int sigfd, tickfd;
	bool stopping, killed;
	uint64_t deadline_ns;
};

/* The group's id from /etc/group (a static binary has no NSS). */
static int lookup_group(const char *name, gid_t *gid, gb_error *err)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[SERVE_GROUP_LINE_MAX];
	uint64_t n;

	if (gb_parse_u64(name, &n) == 0 && n < UINT32_MAX) {
		*gid = (gid_t)n;
		return 0;
	}
	f = fopen("/etc/group", "re");
	if (!f)
		return gb_fail_errno(err, "socket_group %s: /etc/group", name);
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2, *c3;
		if (!c1 || !(c2 = strchr(c1 + 1, ':')) || !(c3 = strchr(c2 + 1, ':')))
			continue;
		*c1 = *c3 = '\0';
		if (!strcmp(line, name) && gb_parse_u64(c2 + 1, &n) == 0) {
			*gid = (gid_t)n;
			return 0;
		}
	}
	return gb_fail(err, 0, "socket_group %s: no such group in /etc/group", name);
}

void gb_serve_socket_path(const struct gb_config *cfg, char *buf, size_t size)
{
	if (cfg->socket_path[0])
		snprintf(buf, size, "%s", cfg->socket_path);
	else
		snprintf(buf, size, "%s/%s", cfg->run_dir, GB_SERVE_SOCKET_NAME);
}

int gb_serve_defaults(const struct gb_config *cfg, struct gb_serve_opts *o, gb_error *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->slots = cfg->serve_slots ? cfg->serve_slots : (cpus > 0 ? (unsigned)cpus : 1);
	o->queue_max = cfg->serve_queue_max;
	if (cfg->spool_dir[0])
		snprintf(o->spool, sizeof(o->spool), "%s", cfg->spool_dir);
	else
		snprintf(o->spool, sizeof(o->spool), "%s/%s", cfg->state_dir, GB_SERVE_SPOOL_NAME);
	gb_serve_socket_path(cfg, o->socket, sizeof(o->socket));
	snprintf(o->metrics_listen, sizeof(o->metrics_listen), "%s", cfg->metrics_listen);
	o->grace = cfg->shutdown_grace;
	o->gid = (gid_t)-1;
	if (cfg->socket_group[0] && lookup_group(cfg->socket_group, &o->gid, err) < 0)
		return -1;
	return 0;
}

static void stop(struct serve *s, bool now)
{
	if (!s->stopping) {
		s->stopping = true;
		gb_queue_stop(s->q);
		gb_server_stop_listening(s->srv);
		s->deadline_ns = gb_now_ns() + (uint64_t)(s->o->grace * 1e9);
		fprintf(stderr, "gradebox: stopping: %u job(s) grading get %g s to finish\n",
			gb_queue_running(s->q), s->o->grace);
	}
	if ((now || gb_now_ns() >= s->deadline_ns) && !s->killed) {
		s->killed = true;
		if (gb_queue_running(s->q))
			fprintf(stderr, "gradebox: killing %u job(s) still grading; they are "
				"requeued\n", gb_queue_running(s->q));
		gb_queue_kill_running(s->q);
	}
}

static void on_signal(struct gb_watch *w, uint32_t events)
{
	struct serve *s = (struct serve *)((char *)w - offsetof(struct serve, sig_w));
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stop(s, s->stopping); /* a second signal skips the grace */
	}
}

static void on_tick(struct gb_watch *w, uint32_t events)
{
	struct serve *s = (struct serve *)((char *)w - offsetof(struct serve, tick_w));
	uint64_t ticks;

	if (read(s->tickfd, &ticks, sizeof(ticks)) < 0)
		return;
	gb_queue_tick(s->q);
	if (s->stopping)
		stop(s, false);
}

static void on_runner(struct gb_watch *w, uint32_t events)
{
	struct serve *s = (struct serve *)((char *)w - offsetof(struct serve, runner_w));

	gb_queue_dispatch(s->q);
}

static void on_spool(struct gb_watch *w, uint32_t events)
{
	struct serve *s = (struct serve *)((char *)w - offsetof(struct serve, spool_w));

	gb_queue_spool_event(s->q);
}

static int watch(int epfd, int fd, struct gb_watch *w, void (*fn)(struct gb_watch *, uint32_t),
		 gb_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	w->fn = fn;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return gb_fail_errno(err, "epoll_ctl");
	return 0;
}

/* A listening socket handed over by systemd, or -1. */
static int activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint64_t p, n;

	if (!pid || !fds || gb_parse_u64(pid, &p) < 0 || gb_parse_u64(fds, &n) < 0 ||
	    p != (uint64_t)getpid() || n < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return SERVE_LISTEN_FDS_START;
}

/* Room for a descriptor per connection (GB_SERVER_CONN_MAX). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int gb_serve_run(const struct gb_config *cfg, const struct gb_serve_opts *o, gb_error *err)
{
	struct serve s = { .o = o, .sigfd = -1, .tickfd = -1 };
	struct gb_queue_opts qo = {
		.slots = o->slots, .queue_max = o->queue_max, .spool_dir = o->spool,
		.gid = o->gid, .log = stderr,
	};
	struct gb_server_opts so = {
		.socket_path = o->socket, .listen_fd = activated_socket(), .gid = o->gid,
		.metrics_listen = o->metrics_listen,
	};
	struct itimerspec its = { .it_interval = { SERVE_TICK_S, 0 }, .it_value = { SERVE_TICK_S, 0 } };
	_cleanup_close_ int epfd = -1;
	sigset_t mask;
	int rc = -1;

	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	/* On cgroup v2 this moves the daemon into its unit's supervisors' leaf
	 * (cgroup.c) before any grader starts: a grader then finds the unit's
	 * cgroup free of processes and its controllers handed down, as when
	 * it runs alone. */
	{
		struct gb_cg_host host;
		if (gb_cg_detect(cfg, &host, err) < 0)
			return gb_context(err, "cgroups");
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return gb_fail_errno(err, "sigprocmask");
	epfd = epoll_create1(EPOLL_CLOEXEC);
	s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s.tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (epfd < 0 || s.sigfd < 0 || s.tickfd < 0 || timerfd_settime(s.tickfd, 0, &its, NULL) < 0) {
		gb_fail_errno(err, "setting up the event loop");
		goto out;
	}
	if (gb_queue_open(cfg, &qo, &s.q, err) < 0 ||
	    gb_server_new(s.q, epfd, &so, &s.srv, err) < 0)
		goto out;
	gb_queue_set_hook(s.q, gb_server_job_event, s.srv);
	if (watch(epfd, s.sigfd, &s.sig_w, on_signal, err) < 0 ||
	    watch(epfd, s.tickfd, &s.tick_w, on_tick, err) < 0 ||
	    watch(epfd, gb_queue_runner_fd(s.q), &s.runner_w, on_runner, err) < 0 ||
	    watch(epfd, gb_queue_spool_fd(s.q), &s.spool_w, on_spool, err) < 0)
		goto out;
	fprintf(stderr, "gradebox: serving: %u slot(s), queue_max %llu, spool %s, socket %s%s%s\n",
		o->slots, (unsigned long long)o->queue_max, o->spool,
		so.listen_fd >= 0 ? "from systemd" : o->socket,
		o->metrics_listen[0] ? ", metrics on http://" : "", o->metrics_listen);
	if (gb_queue_recover(s.q, err) < 0)
		goto out;
	while (!(s.stopping && gb_queue_running(s.q) == 0)) {
		struct epoll_event evs[SERVE_EVENTS_MAX];
		int n = epoll_wait(epfd, evs, SERVE_EVENTS_MAX, -1);

		if (n < 0 && errno != EINTR) {
			gb_fail_errno(err, "epoll_wait");
			goto out;
		}
		for (int i = 0; i < n; i++) {
			struct gb_watch *w = evs[i].data.ptr;
			w->fn(w, evs[i].events);
		}
		gb_server_resume(s.srv);
	}
	fprintf(stderr, "gradebox: stopped\n");
	rc = 0;
out:
	gb_server_free(s.srv);
	gb_queue_free(s.q);
	gb_closep(&s.sigfd);
	gb_closep(&s.tickfd);
	return rc;
}
