/* runner: see runner.h for the life of a run. Here: the queue and the
 * slots (two intrusive lists), spawning the grade child, and its end.
 *
 * Every child has a pidfd in the runner's epoll set; a killed child also a
 * timerfd for the SIGKILL escalation. The epoll data is the run pointer,
 * its low bit set for the timer (runs are malloc'd, so aligned). */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor.h"
#include "util.h"

extern char **environ;

#define RUNNER_TIMER_TAG ((uintptr_t)1)
#define RUNNER_EVENTS_MAX 32
/* argv: "grade" + at most 13 flag/value pairs + --json + NULL */
#define RUNNER_ARGV_MAX 40
#define RUNNER_NUM_MAX 32

struct gb_run {
	struct gb_runner *r;
	struct gb_run *prev, *next;  /* in the queue or the running list */
	enum gb_run_state state;
	char **argv;                 /* owned strings, NULL-terminated */
	char *result_file;
	pid_t pid;
	int pidfd, timerfd;
	int input_fd;                /* grade's stdin, or -1 for /dev/null */
	bool killed, escalated;
	gb_run_event_fn fn;
	void *arg;
	uint64_t queued_ns, started_ns, ended_ns; /* ended: reaped, 0 = not yet */
};

struct gb_list {
	struct gb_run *head, *tail;
	unsigned n;
};

struct gb_runner {
	const struct gb_config *cfg;
	unsigned slots;
	bool hold;
	int epfd;
	char exe[PATH_MAX];          /* what to exec */
	char argv0[PATH_MAX];        /* the daemon's own path, for ps and pgrep */
	struct gb_list queue, running;
};

static void list_push(struct gb_list *l, struct gb_run *run)
{
	run->prev = l->tail;
	run->next = NULL;
	if (l->tail)
		l->tail->next = run;
	else
		l->head = run;
	l->tail = run;
	l->n++;
}

static void list_remove(struct gb_list *l, struct gb_run *run)
{
	if (run->prev)
		run->prev->next = run->next;
	else
		l->head = run->next;
	if (run->next)
		run->next->prev = run->prev;
	else
		l->tail = run->prev;
	run->prev = run->next = NULL;
	l->n--;
}

static void run_free(struct gb_run *run)
{
	if (!run)
		return;
	if (run->argv)
		for (char **a = run->argv; *a; a++)
			free(*a);
	free(run->argv);
	free(run->result_file);
	gb_closep(&run->pidfd);
	gb_closep(&run->timerfd);
	gb_closep(&run->input_fd);
	free(run);
}

json_t *gb_runner_make_result(const char *name, const char *text)
{
	return json_pack("{s:s, s:s, s:f, s:{}, s:{}, s:{}, s:s, s:n, s:s, s:s, "
			 "s:{s:f, s:f, s:i, s:i}}",
			 "result", name, "text", text, "grade", 0.0, "problems", "tests",
			 "custom", "state", "", "archive", "stdout", "", "stderr", "",
			 "stats", "cpu_time", 0.0, "wall_time", 0.0, "memory_peak", 0,
			 "student_runs", 0);
}

static int write_json_atomic(const char *path, json_t *o, gb_error *err)
{
	char tmp[PATH_MAX];
	_cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
	_cleanup_close_ int fd = -1;

	if (!text)
		return gb_fail(err, ENOMEM, "%s", path);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return gb_fail(err, ENAMETOOLONG, "%s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return gb_fail_errno(err, "%s", tmp);
	if (gb_write_all(fd, text, strlen(text)) < 0 || gb_write_all(fd, "\n", 1) < 0 ||
	    fsync(fd) < 0) {
		gb_fail_errno(err, "%s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		gb_fail_errno(err, "rename %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int gb_runner_write_result(const char *path, const char *name, const char *text,
			   gb_error *err)
{
	json_t *o = gb_runner_make_result(name, text);
	int r;

	if (!o)
		return gb_fail(err, ENOMEM, "%s", path);
	r = write_json_atomic(path, o, err);
	json_decref(o);
	return r;
}

int gb_runner_new(const struct gb_config *cfg, unsigned slots, struct gb_runner **out,
		  gb_error *err)
{
	struct gb_runner *r;
	const char *hook = getenv("GRADEBOX_GRADE_EXEC");
	ssize_t n;

	if (slots == 0)
		return gb_fail(err, 0, "the number of slots must be at least 1");
	r = calloc(1, sizeof(*r));
	if (!r)
		return gb_fail(err, ENOMEM, "runner");
	r->cfg = cfg;
	r->slots = slots;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		free(r);
		return gb_fail_errno(err, "epoll_create1");
	}
	n = readlink("/proc/self/exe", r->argv0, sizeof(r->argv0) - 1);
	if (n <= 0 || n >= (ssize_t)sizeof(r->argv0) - 1)
		strcpy(r->argv0, "gradebox");
	else
		r->argv0[n] = '\0';
	snprintf(r->exe, sizeof(r->exe), "%s", hook && *hook ? hook : "/proc/self/exe");
	*out = r;
	return 0;
}

void gb_runner_set_program(struct gb_runner *r, const char *path)
{
	const char *hook = getenv("GRADEBOX_GRADE_EXEC");

	snprintf(r->argv0, sizeof(r->argv0), "%s", path);
	if (!hook || !*hook)
		snprintf(r->exe, sizeof(r->exe), "%s", path);
}

int gb_runner_fd(const struct gb_runner *r)
{
	return r->epfd;
}

unsigned gb_runner_slots(const struct gb_runner *r) { return r->slots; }
unsigned gb_runner_running(const struct gb_runner *r) { return r->running.n; }
unsigned gb_runner_queued(const struct gb_runner *r) { return r->queue.n; }
enum gb_run_state gb_run_state(const struct gb_run *run) { return run->state; }
pid_t gb_run_pid(const struct gb_run *run) { return run->state == GB_RUN_IS_RUNNING ? run->pid : 0; }
void *gb_run_arg(const struct gb_run *run) { return run->arg; }

unsigned gb_run_position(const struct gb_run *run)
{
	unsigned pos = 1;

	if (run->state != GB_RUN_IS_QUEUED)
		return 0;
	for (const struct gb_run *p = run->r->queue.head; p && p != run; p = p->next)
		pos++;
	return pos;
}

static int add_arg(char **argv, size_t *n, const char *s)
{
	if (*n + 1 >= RUNNER_ARGV_MAX)
		return -1;
	argv[*n] = strdup(s);
	if (!argv[*n])
		return -1;
	(*n)++;
	return 0;
}

static int add_opt(char **argv, size_t *n, const char *flag, const char *value)
{
	if (!value)
		return 0;
	return add_arg(argv, n, flag) < 0 ? -1 : add_arg(argv, n, value);
}

static int add_num(char **argv, size_t *n, const char *flag, double v, bool whole)
{
	char num[RUNNER_NUM_MAX];

	if (v <= 0)
		return 0;
	if (whole)
		snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	else
		snprintf(num, sizeof(num), "%.17g", v);
	return add_opt(argv, n, flag, num);
}

static char **build_argv(const struct gb_runner *r, const struct gb_grade_req *q)
{
	char **argv = calloc(RUNNER_ARGV_MAX, sizeof(*argv));
	size_t n = 0;

	if (!argv)
		return NULL;
	if (add_arg(argv, &n, r->argv0) < 0 || add_arg(argv, &n, "grade") < 0 ||
	    add_opt(argv, &n, "--task", q->task_dir) < 0 ||
	    add_opt(argv, &n, "--course", q->course_dir) < 0 ||
	    add_opt(argv, &n, "--input", q->input_file) < 0 ||
	    add_opt(argv, &n, "--params", q->params_file) < 0 ||
	    add_opt(argv, &n, "--image", q->image) < 0 ||
	    add_num(argv, &n, "--time", q->time, false) < 0 ||
	    add_num(argv, &n, "--hard-time", q->hard_time, false) < 0 ||
	    add_num(argv, &n, "--memory", (double)q->memory_mb, true) < 0 ||
	    add_num(argv, &n, "--disk", (double)q->disk_mb, true) < 0 ||
	    add_num(argv, &n, "--output", (double)q->output_bytes, true) < 0 ||
	    add_opt(argv, &n, "--result", q->result_file) < 0 || add_arg(argv, &n, "--json") < 0) {
		for (size_t i = 0; i < n; i++)
			free(argv[i]);
		free(argv);
		return NULL;
	}
	return argv;
}

/* End a run: hand the outcome to the caller, then free it. */
static void finish(struct gb_run *run, json_t *result, bool synthesized, int wait_status,
		   double cpu)
{
	struct gb_runner *r = run->r;
	struct gb_run_outcome oc = {
		.result = result,
		.synthesized = synthesized,
		.killed = run->killed,
		.wait_status = wait_status,
		.child_cpu = cpu,
		.queued_ns = run->queued_ns,
		.started_ns = run->started_ns,
		.finished_ns = run->ended_ns ? run->ended_ns : gb_now_ns(),
	};
	json_t *name = json_object_get(result, "result");

	oc.result_name = json_is_string(name) ? json_string_value(name) : "error";
	if (run->state == GB_RUN_IS_QUEUED)
		list_remove(&r->queue, run);
	else if (run->state == GB_RUN_IS_RUNNING)
		list_remove(&r->running, run);
	run->state = GB_RUN_IS_FINISHED;
	run->fn(run, GB_RUN_FINISHED, &oc, run->arg);
	json_decref(result);
	run_free(run);
}

/* A result the runner makes itself, written where grade would have. */
static void finish_synthesized(struct gb_run *run, const char *name, const char *text,
			       int wait_status, double cpu)
{
	json_t *res = gb_runner_make_result(name, text);
	gb_error err = { 0 };

	if (res && write_json_atomic(run->result_file, res, &err) < 0) {
		/* The caller still gets the result in the callback. */
		fprintf(stderr, "gradebox: writing the result: %s\n", err.msg);
	}
	finish(run, res ? res : json_object(), true, wait_status, cpu);
}

static int spawn(struct gb_run *run, gb_error *err)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, all;
	struct epoll_event ev = { .events = EPOLLIN };
	int rc;

	/* A stale result from an earlier attempt must not pass for this one. */
	if (unlink(run->result_file) < 0 && errno != ENOENT)
		return gb_fail_errno(err, "%s", run->result_file);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_init(&fa);
	if (run->input_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, run->input_fd, STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&run->pid, run->r->exe, &fa, &attr, run->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return gb_fail(err, rc, "starting %s grade", run->r->exe);
	run->pidfd = (int)syscall(SYS_pidfd_open, run->pid, 0);
	if (run->pidfd < 0) {
		gb_fail_errno(err, "pidfd_open");
		kill(run->pid, SIGKILL);
		GB_RETRY(waitpid(run->pid, NULL, 0));
		return -1;
	}
	fcntl(run->pidfd, F_SETFD, FD_CLOEXEC);
	ev.data.ptr = run;
	if (epoll_ctl(run->r->epfd, EPOLL_CTL_ADD, run->pidfd, &ev) < 0) {
		gb_fail_errno(err, "epoll_ctl");
		kill(run->pid, SIGKILL);
		GB_RETRY(waitpid(run->pid, NULL, 0));
		return -1;
	}
	return 0;
}

/* Fill free slots from the head of the queue. */
static void start_queued(struct gb_runner *r)
{
	while (!r->hold && r->queue.head && r->running.n < r->slots) {
		struct gb_run *run = r->queue.head;
		gb_error err = { 0 };
		char text[GB_ERROR_MAX + 64];

		list_remove(&r->queue, run);
		run->state = GB_RUN_IS_RUNNING;
		list_push(&r->running, run);
		run->started_ns = gb_now_ns();
		if (spawn(run, &err) < 0) {
			snprintf(text, sizeof(text), "the grading supervisor could not start: %s",
				 err.msg);
			finish_synthesized(run, "error", text, -1, 0);
			continue;
		}
		run->fn(run, GB_RUN_STARTED, NULL, run->arg);
	}
}

int gb_runner_submit(struct gb_runner *r, const struct gb_grade_req *req,
		     gb_run_event_fn fn, void *arg, struct gb_run **out, gb_error *err)
{
	struct gb_run *run;

	if (!req->task_dir || !req->input_file || !req->result_file)
		return gb_fail(err, EINVAL, "a job needs a task, an input and a result file");
	run = calloc(1, sizeof(*run));
	if (!run)
		return gb_fail(err, ENOMEM, "queueing a job");
	run->r = r;
	run->pidfd = run->timerfd = run->input_fd = -1;
	if (!strcmp(req->input_file, "-")) {
		run->input_fd = fcntl(req->input_fd, F_DUPFD_CLOEXEC, 3);
		if (run->input_fd < 0) {
			free(run);
			return gb_fail_errno(err, "the input descriptor of a job");
		}
	}
	run->fn = fn;
	run->arg = arg;
	run->argv = build_argv(r, req);
	run->result_file = strdup(req->result_file);
	if (!run->argv || !run->result_file) {
		run_free(run);
		return gb_fail(err, ENOMEM, "queueing a job");
	}
	run->state = GB_RUN_IS_QUEUED;
	run->queued_ns = gb_now_ns();
	list_push(&r->queue, run);
	if (out)
		*out = run;
	start_queued(r);
	return 0;
}

void gb_runner_hold(struct gb_runner *r, bool hold)
{
	r->hold = hold;
	if (!hold)
		start_queued(r);
}

void gb_run_kill(struct gb_run *run)
{
	struct itimerspec its = { .it_value = { .tv_sec = GB_RUNNER_KILL_GRACE_S } };
	struct epoll_event ev = { .events = EPOLLIN };

	if (run->state == GB_RUN_IS_QUEUED) {
		run->killed = true;
		finish_synthesized(run, "killed", "killed before grading started", -1, 0);
		return;
	}
	if (run->state != GB_RUN_IS_RUNNING || run->killed)
		return;
	run->killed = true;
	syscall(SYS_pidfd_send_signal, run->pidfd, SIGTERM, NULL, 0);
	run->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (run->timerfd < 0)
		goto now;
	ev.data.ptr = (void *)((uintptr_t)run | RUNNER_TIMER_TAG);
	if (timerfd_settime(run->timerfd, 0, &its, NULL) < 0 ||
	    epoll_ctl(run->r->epfd, EPOLL_CTL_ADD, run->timerfd, &ev) < 0)
		goto now;
	return;
now:
	/* No timer: no grace either, rather than a child that may never end. */
	run->escalated = true;
	kill(-run->pid, SIGKILL);
	syscall(SYS_pidfd_send_signal, run->pidfd, SIGKILL, NULL, 0);
}

static void escalate(struct gb_run *run)
{
	uint64_t ticks;

	if (read(run->timerfd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	epoll_ctl(run->r->epfd, EPOLL_CTL_DEL, run->timerfd, NULL);
	gb_closep(&run->timerfd);
	run->escalated = true;
	/* The group leader is not reaped yet, so its pgid is still ours. */
	kill(-run->pid, SIGKILL);
	syscall(SYS_pidfd_send_signal, run->pidfd, SIGKILL, NULL, 0);
}

static void describe_end(const siginfo_t *si, char *buf, size_t size)
{
	if (si->si_code == CLD_EXITED)
		snprintf(buf, size, "it exited with status %d without writing a result",
			 si->si_status);
	else
		snprintf(buf, size, "killed by signal %d (%s)", si->si_status,
			 strsignal(si->si_status));
}

static void reap(struct gb_run *run)
{
	siginfo_t si = { 0 };
	struct rusage ru = { 0 };
	int status;
	double cpu;
	_cleanup_free_ char *text = NULL;
	json_t *res = NULL;
	gb_error err = { 0 };
	char why[128], msg[256];

	/* waitid with P_PIDFD; the raw call also returns the rusage. */
	if (syscall(SYS_waitid, P_PIDFD, run->pidfd, &si, WEXITED | WNOHANG, &ru) < 0 ||
	    si.si_pid == 0)
		return;
	epoll_ctl(run->r->epfd, EPOLL_CTL_DEL, run->pidfd, NULL);
	/* The slot is free: the next job starts before this one's result is
	 * handed over (the caller's fsyncs must not leave a slot idle). */
	run->ended_ns = gb_now_ns();
	list_remove(&run->r->running, run);
	run->state = GB_RUN_IS_FINISHED;
	start_queued(run->r);
	status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (gb_read_file(run->result_file, GB_RUNNER_RESULT_MAX, &text, NULL, &err) == 0)
		res = json_loads(text, 0, NULL);
	if (res && json_is_object(res) && json_is_string(json_object_get(res, "result"))) {
		finish(run, res, false, status, cpu);
		return;
	}
	json_decref(res);
	/* The supervisor died before its cleanup: remove its cgroups. */
	{
		unsigned removed;
		gb_error gcerr = { 0 };
		if (gb_job_gc(run->r->cfg, &removed, &gcerr) < 0)
			fprintf(stderr, "gradebox: cleaning after a crashed supervisor: %s\n",
				gcerr.msg);
	}
	describe_end(&si, why, sizeof(why));
	if (run->killed) {
		snprintf(msg, sizeof(msg), "killed; the grading supervisor %s", why);
		finish_synthesized(run, "killed", msg, status, cpu);
	} else {
		snprintf(msg, sizeof(msg), "the grading supervisor crashed: %s", why);
		finish_synthesized(run, "error", msg, status, cpu);
	}
}

void gb_runner_dispatch(struct gb_runner *r)
{
	struct epoll_event evs[RUNNER_EVENTS_MAX];
	int n = GB_RETRY(epoll_wait(r->epfd, evs, RUNNER_EVENTS_MAX, 0));

	/* Timers first: they never free a run, a reap does. */
	for (int i = 0; i < n; i++) {
		uintptr_t p = (uintptr_t)evs[i].data.ptr;
		if (p & RUNNER_TIMER_TAG)
			escalate((struct gb_run *)(p & ~RUNNER_TIMER_TAG));
	}
	for (int i = 0; i < n; i++) {
		uintptr_t p = (uintptr_t)evs[i].data.ptr;
		if (!(p & RUNNER_TIMER_TAG))
			reap((struct gb_run *)p);
	}
	start_queued(r);
}

void gb_runner_free(struct gb_runner *r)
{
	struct gb_run *run;

	if (!r)
		return;
	while ((run = r->running.head)) {
		list_remove(&r->running, run);
		kill(-run->pid, SIGKILL);
		syscall(SYS_pidfd_send_signal, run->pidfd, SIGKILL, NULL, 0);
		GB_RETRY(waitpid(run->pid, NULL, 0));
		run_free(run);
	}
	while ((run = r->queue.head)) {
		list_remove(&r->queue, run);
		run_free(run);
	}
	gb_closep(&r->epfd);
	free(r);
}
