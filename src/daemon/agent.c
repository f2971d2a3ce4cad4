/* agent: `gradebox agent`, a drop-in INGInious grading agent.
 *
 * Theory of operation. One process, one thread, one epoll loop over:
 * - the ZeroMQ DEALER socket connected to the backend's agent address
 *   (its ZMQ_FD; ZeroMQ signals it on state changes only, so after every
 *   pass of the loop the socket is pumped until nothing moves: receive
 *   what is there, send what the outbox may send);
 * - the runner's fd (runner.h): one `gradebox grade` child per job, at
 *   most `slots` at once, each watched by pidfd. Grading never happens in
 *   this process, so a Ping is answered at once while every slot grades;
 * - a signalfd (SIGTERM, SIGINT: kill the jobs, report them, exit) and a
 *   timerfd ticking every second for the silence rule below.
 *
 * The life of a job: BackendNewJob is checked (ids, environment, task
 * directory, debug mode; agent_job.c); a job that cannot run is answered
 * at once with AgentJobDone crash/error and a sentence for the teacher.
 * Otherwise its input and environment parameters are written to the work
 * directory <state_dir>/agent and the job goes to the runner; when the
 * child starts, AgentJobStarted; when it ends, AgentJobDone built from
 * the result file (agent_msg.c). BackendKillJob kills the job's grader
 * (SIGTERM: grade kills its sandboxes and writes `killed`); an id the
 * agent does not know is answered `killed` at once, since the backend
 * frees the slot only on AgentJobDone.
 *
 * The connection. Messages go through an outbox, so nothing ever waits
 * on the socket. The socket is made with ZMQ_IMMEDIATE: a message is
 * handed to ZeroMQ only when a connection is up, so results produced
 * while the backend is away stay in the outbox instead of a dead pipe.
 * A new socket sends AgentHello first (slots, the store's images).
 * The backend pings every second; when it has been quiet for
 * GB_AGENT_HOLD_S the agent holds its results back (the backend may have
 * restarted and would not know this agent), and after GB_AGENT_SILENCE_S
 * it closes the socket and opens a new one: the backend sees a new agent,
 * gets a hello, then the held results of the jobs that ended meanwhile.
 * A socket that never connected is kept instead: ZeroMQ retries the TCP
 * connection itself with a growing interval (the backoff while the
 * backend is down). The connection's state (waiting, connected, silent)
 * is logged once per change.
 *
 * A killed agent leaves its graders running; they are in their own
 * process groups. Each running grader's pid is kept in the work
 * directory, and the next agent stops them (SIGTERM, then SIGKILL) and
 * collects what they leave (gb_job_gc) before it says hello. */
#include "agent.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include <zmq.h>

#include "agent_env.h"
#include "agent_job.h"
#include "agent_msg.h"
#include "metrics.h"
#include "runner.h"
#include "supervisor.h"
#include "util.h"

/* Results wait in the outbox once the backend has missed this many of its
 * one-second pings. */
#define GB_AGENT_HOLD_S 3
#define NS_PER_S 1000000000ull
#define NS_PER_MS 1000000ull
/* ZeroMQ's own reconnection while the backend is down: from 100 ms,
 * doubling, up to 5 s between attempts. */
#define AGENT_RECONNECT_IVL_MS 100
#define AGENT_RECONNECT_IVL_MAX_MS 5000
/* On exit, time given to the last results to leave. */
#define AGENT_EXIT_LINGER_MS 2000
#define AGENT_EPOLL_EVENTS 8
#define AGENT_METRICS_FILE "metrics"

enum out_kind { OUT_HELLO, OUT_STARTED, OUT_DONE, OUT_PONG };

struct out_msg {
	struct out_msg *next;
	enum out_kind kind;
	struct gb_agent_frame frame;
};

enum conn_state { CONN_WAITING, CONN_UP, CONN_SILENT };

struct agent {
	const struct gb_config *cfg;
	struct gb_agent_opts o;
	void *zctx, *sock;
	int sockfd, ep, sigfd, tickfd, workfd;
	char workdir[PATH_MAX];
	struct gb_runner *runner;
	json_t *envs;
	struct gb_agent_job *jobs;
	unsigned seq;
	struct out_msg *out_head, *out_tail;
	bool hello_sent;        /* on the current socket */
	uint64_t heard_ns;      /* last message from the backend, or socket creation */
	enum conn_state state;
	bool stopping;
	struct gb_metrics metrics; /* the queue daemon's, metrics.h */
};

static void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void agent_log(const char *fmt, ...)
{
	va_list ap;

	fputs("gradebox agent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- outbox ---- */

static void out_push(struct agent *a, enum out_kind kind, struct gb_agent_frame *f, bool front)
{
	struct out_msg *m = calloc(1, sizeof(*m));

	if (!m) {
		agent_log("out of memory: a message to the backend is lost");
		free(f->data);
		return;
	}
	m->kind = kind;
	m->frame = *f;
	if (front) {
		m->next = a->out_head;
		a->out_head = m;
		if (!a->out_tail)
			a->out_tail = m;
	} else {
		if (a->out_tail)
			a->out_tail->next = m;
		else
			a->out_head = m;
		a->out_tail = m;
	}
}

static void out_pop(struct agent *a)
{
	struct out_msg *m = a->out_head;

	a->out_head = m->next;
	if (!a->out_head)
		a->out_tail = NULL;
	free(m->frame.data);
	free(m);
}

/* A new socket: a hello and the results are all that still matter; pongs
 * and job starts were for the backend that went away. */
static void out_keep_results(struct agent *a)
{
	struct out_msg *keep = NULL, **tail = &keep, *m, *next;

	for (m = a->out_head; m; m = next) {
		next = m->next;
		m->next = NULL;
		if (m->kind == OUT_DONE) {
			*tail = m;
			tail = &m->next;
		} else {
			free(m->frame.data);
			free(m);
		}
	}
	a->out_head = keep;
	a->out_tail = NULL;
	for (m = keep; m; m = m->next)
		a->out_tail = m;
}

static bool quiet(const struct agent *a)
{
	return gb_now_ns() - a->heard_ns >= GB_AGENT_HOLD_S * NS_PER_S;
}

/* The hello leaves as soon as a connection is up; the rest only after it,
 * and not while the backend is quiet. */
static bool may_send(const struct agent *a, const struct out_msg *m)
{
	if (m->kind == OUT_HELLO)
		return true;
	return a->hello_sent && !quiet(a);
}

/* ---- connection ---- */

static int refresh_envs(struct agent *a, gb_error *err)
{
	json_t *envs;

	if (gb_agent_environments(a->cfg, &envs, err) < 0)
		return -1;
	json_decref(a->envs);
	a->envs = envs;
	return 0;
}

static void conn_close(struct agent *a)
{
	if (!a->sock)
		return;
	epoll_ctl(a->ep, EPOLL_CTL_DEL, a->sockfd, NULL);
	zmq_close(a->sock);
	a->sock = NULL;
	a->sockfd = -1;
}

static int conn_open(struct agent *a, gb_error *err)
{
	int zero = 0, one = 1, ivl = AGENT_RECONNECT_IVL_MS, ivl_max = AGENT_RECONNECT_IVL_MAX_MS;
	int64_t max = GB_AGENT_MSG_MAX;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = -1 };
	struct gb_agent_frame hello;
	size_t fdlen = sizeof(a->sockfd);
	gb_error envErr = { 0 };

	/* The store as it is now: a new hello announces what changed. */
	if (refresh_envs(a, &envErr) < 0)
		agent_log("reading the image store: %s (the hello offers the images read before)",
			  envErr.msg);
	if (gb_agent_msg_hello(a->o.name, a->o.slots, a->envs, &hello, err) < 0)
		return -1;
	a->sock = zmq_socket(a->zctx, ZMQ_DEALER);
	if (!a->sock) {
		free(hello.data);
		return gb_fail(err, zmq_errno(), "zmq_socket");
	}
	if (zmq_setsockopt(a->sock, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(a->sock, ZMQ_IMMEDIATE, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl)) < 0 ||
	    zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max)) < 0 ||
	    zmq_setsockopt(a->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0 ||
	    zmq_getsockopt(a->sock, ZMQ_FD, &a->sockfd, &fdlen) < 0) {
		gb_fail(err, zmq_errno(), "setting up the ZeroMQ socket");
		goto fail;
	}
	if (zmq_connect(a->sock, a->o.backend) < 0) {
		gb_fail(err, 0, "--backend %s: %s (expected tcp://HOST:PORT)", a->o.backend,
			zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (epoll_ctl(a->ep, EPOLL_CTL_ADD, a->sockfd, &ev) < 0) {
		gb_fail_errno(err, "epoll_ctl");
		goto fail;
	}
	out_keep_results(a);
	out_push(a, OUT_HELLO, &hello, true);
	a->hello_sent = false;
	a->heard_ns = gb_now_ns();
	return 0;
fail:
	free(hello.data);
	zmq_close(a->sock);
	a->sock = NULL;
	return -1;
}

static void heard(struct agent *a)
{
	a->heard_ns = gb_now_ns();
	if (a->state == CONN_UP)
		return;
	a->state = CONN_UP;
	agent_log("connected to the backend at %s: %u slots, %zu environments offered",
		  a->o.backend, a->o.slots,
		  json_object_size(json_object_get(a->envs, GB_AGENT_ENV_TYPE)));
}

/* The silence rule (see the top comment), once a second. */
static void tick(struct agent *a)
{
	gb_error err = { 0 };

	if (gb_now_ns() - a->heard_ns < GB_AGENT_SILENCE_S * NS_PER_S || !a->hello_sent)
		return;
	if (a->state != CONN_SILENT)
		agent_log("no message from the backend at %s for %d s: reconnecting with a new "
			  "hello (retrying while it is down)", a->o.backend, GB_AGENT_SILENCE_S);
	a->state = CONN_SILENT;
	conn_close(a);
	if (conn_open(a, &err) < 0)
		agent_log("reconnecting: %s", err.msg);
}

/* ---- jobs ---- */

static void send_msg(struct agent *a, enum out_kind kind, struct gb_agent_frame *f)
{
	out_push(a, kind, f, false);
}

static void send_done(struct agent *a, const char *job_id, json_t *result)
{
	struct gb_agent_frame f;
	gb_error err = { 0 };

	if (gb_agent_msg_done(job_id, result, &f, &err) < 0) {
		char text[GB_ERROR_MAX + 64];
		json_t *res;

		snprintf(text, sizeof(text), "The grader's result could not be sent: %s", err.msg);
		res = gb_runner_make_result("crash", text);
		if (!res || gb_agent_msg_done(job_id, res, &f, &err) < 0) {
			agent_log("job %s: no result could be encoded: %s", job_id, err.msg);
			json_decref(res);
			return;
		}
		json_decref(res);
	}
	send_msg(a, OUT_DONE, &f);
}

static void write_metrics(struct agent *a)
{
	_cleanup_free_ char *text = gb_metrics_render(&a->metrics, gb_runner_queued(a->runner),
						      gb_runner_running(a->runner), a->o.slots);
	_cleanup_close_ int fd = -1;
	char tmp[64];

	if (!text)
		return;
	snprintf(tmp, sizeof(tmp), ".%s.%d", AGENT_METRICS_FILE, (int)getpid());
	fd = openat(a->workfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || gb_write_all(fd, text, strlen(text)) < 0 ||
	    renameat(a->workfd, tmp, a->workfd, AGENT_METRICS_FILE) < 0) {
		agent_log("writing %s/%s: %s", a->workdir, AGENT_METRICS_FILE, strerror(errno));
		unlinkat(a->workfd, tmp, 0);
	}
}

static void job_unlink(struct agent *a, struct gb_agent_job *job)
{
	for (struct gb_agent_job **p = &a->jobs; *p; p = &(*p)->next)
		if (*p == job) {
			*p = job->next;
			break;
		}
	gb_agent_job_cleanup(a->workfd, job);
	free(job->job_id);
	free(job->kill_state);
	free(job);
}

/* A job answered without grading (refused, or its files failed). */
static void answer_now(struct agent *a, const char *job_id, const char *task,
		       const char *result, const char *text)
{
	json_t *res = gb_runner_make_result(result, text);

	a->metrics.refused++;
	gb_metrics_job(&a->metrics, result, 0, -1);
	agent_log("job %s task=%s result=%s: %s", job_id, task, result, text);
	if (res)
		send_done(a, job_id, res);
	json_decref(res);
	write_metrics(a);
}

static void on_run(struct gb_run *run, enum gb_run_event ev, const struct gb_run_outcome *oc,
		   void *arg)
{
	struct gb_agent_job *job = arg;
	struct agent *a = job->owner;
	struct gb_agent_frame f;
	gb_error err = { 0 };
	json_t *res, *grade;
	double wait, grading;

	if (ev == GB_RUN_STARTED) {
		job->started = true;
		if (gb_agent_msg_started(job->job_id, &f, &err) == 0)
			send_msg(a, OUT_STARTED, &f);
		if (gb_agent_job_pidfile(a->workfd, job, gb_run_pid(run), &err) < 0)
			agent_log("job %s: %s (a restarted agent could not stop its grader)",
				  job->job_id, err.msg);
		return;
	}
	job->run = NULL;
	res = json_deep_copy(oc->result);
	if (!res)
		res = gb_runner_make_result("error", "out of memory");
	/* INGInious's killed result carries the state the job had before. */
	if (res && job->kill_state && !strcmp(oc->result_name, "killed"))
		json_object_set_new(res, "state", json_string(job->kill_state));
	if (res)
		send_done(a, job->job_id, res);
	wait = oc->started_ns ? (double)(oc->started_ns - oc->queued_ns) / NS_PER_S
			      : (double)(oc->finished_ns - oc->queued_ns) / NS_PER_S;
	grading = oc->started_ns ? (double)(oc->finished_ns - oc->started_ns) / NS_PER_S : -1;
	gb_metrics_job(&a->metrics, oc->result_name, wait, grading);
	grade = json_object_get(res, "grade");
	agent_log("job %s task=%s/%s result=%s grade=%g cpu=%.3f wall=%.3f wait=%.3f "
		  "finished=%.6f", job->job_id, job->course_id, job->task_id, oc->result_name,
		  json_is_number(grade) ? json_number_value(grade) : 0.0, oc->child_cpu,
		  grading < 0 ? 0 : grading, wait, wall_now());
	json_decref(res);
	job_unlink(a, job);
	write_metrics(a);
}

static struct gb_agent_job *find_job(struct agent *a, const char *id)
{
	for (struct gb_agent_job *j = a->jobs; j; j = j->next)
		if (!strcmp(j->job_id, id))
			return j;
	return NULL;
}

static void new_job(struct agent *a, struct gb_agent_msg *msg)
{
	struct gb_agent_refusal why = { 0 };
	struct gb_agent_paths paths;
	struct gb_grade_req req = { 0 };
	struct gb_agent_job *job;
	char task[PATH_MAX], course[PATH_MAX], shown[2 * GB_AGENT_ID_MAX + 2];
	gb_error err = { 0 };
	int r;

	snprintf(shown, sizeof(shown), "%.64s/%.64s", msg->course_id ? msg->course_id : "-",
		 msg->task_id ? msg->task_id : "-");
	a->metrics.submitted++;
	if (find_job(a, msg->job_id)) {
		agent_log("job %s: the backend sent this job id again while it runs; ignored",
			  msg->job_id);
		return;
	}
	if (a->stopping) {
		answer_now(a, msg->job_id, shown, "crash", "The agent is shutting down");
		return;
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		answer_now(a, msg->job_id, shown, "crash", "The agent is out of memory");
		return;
	}
	job->owner = a;
	job->seq = ++a->seq;
	job->job_id = gb_steal_ptr(&msg->job_id);
	r = gb_agent_job_check(a->o.tasks_dir, a->envs, msg, job, &why);
	/* An image imported since the hello is found on a second look. */
	if (r == 1 && !strncmp(why.text, "Environment '", strlen("Environment '")) &&
	    refresh_envs(a, &err) == 0)
		r = gb_agent_job_check(a->o.tasks_dir, a->envs, msg, job, &why);
	if (r == 1) {
		answer_now(a, job->job_id, shown, why.result, why.text);
		free(job->job_id);
		free(job);
		return;
	}
	job->next = a->jobs;
	a->jobs = job;
	if (gb_agent_job_files(a->workfd, a->workdir, job, msg, &paths, &err) < 0)
		goto fail;
	snprintf(task, sizeof(task), "%s/%s/%s", a->o.tasks_dir, job->course_id, job->task_id);
	snprintf(course, sizeof(course), "%s/%s", a->o.tasks_dir, job->course_id);
	req.task_dir = task;
	req.course_dir = course;
	req.input_file = paths.input;
	req.params_file = paths.params;
	req.image = msg->environment;
	req.result_file = paths.result;
	/* From here the runner owns the job's end: on_run may even run (and
	 * free job) before gb_runner_submit returns. */
	if (gb_runner_submit(a->runner, &req, on_run, job, &job->run, &err) == 0)
		return;
fail:
	answer_now(a, job->job_id, shown, "crash", err.msg);
	job_unlink(a, job);
}

static void kill_job(struct agent *a, struct gb_agent_msg *msg)
{
	struct gb_agent_job *job = find_job(a, msg->job_id);
	json_t *res;

	if (job && job->run) {
		if (!job->kill_state)
			job->kill_state = gb_steal_ptr(&msg->state);
		agent_log("job %s: killed by the backend", job->job_id);
		gb_run_kill(job->run); /* may finish (and free) the job now */
		return;
	}
	/* Not ours (or already over): the backend still waits for an answer. */
	res = gb_runner_make_result("killed", "");
	if (res) {
		json_object_set_new(res, "state", json_string(msg->state ? msg->state : ""));
		send_done(a, msg->job_id, res);
	}
	json_decref(res);
	agent_log("job %s: kill for a job this agent does not run: answered killed",
		  msg->job_id);
}

static void handle_frame(struct agent *a, const void *data, size_t len)
{
	struct gb_agent_msg msg;
	struct gb_agent_frame f;
	gb_error err = { 0 };

	heard(a);
	if (gb_agent_msg_decode(data, len, &msg, &err) < 0) {
		agent_log("dropped a message from the backend (%zu bytes): %s", len, err.msg);
		return;
	}
	switch (msg.type) {
	case GB_AGENT_MSG_PING:
		if (gb_agent_msg_pong(&f, &err) == 0)
			send_msg(a, OUT_PONG, &f);
		break;
	case GB_AGENT_MSG_NEW_JOB:
		new_job(a, &msg);
		break;
	case GB_AGENT_MSG_KILL_JOB:
		kill_job(a, &msg);
		break;
	}
	gb_agent_msg_clear(&msg);
}

/* Move messages both ways until the socket has nothing more to give or
 * take. Every zmq call is non-blocking. */
static void pump(struct agent *a)
{
	while (a->sock) {
		int events = 0;
		size_t len = sizeof(events);
		bool moved = false;

		if (zmq_getsockopt(a->sock, ZMQ_EVENTS, &events, &len) < 0)
			return;
		if (events & ZMQ_POLLIN) {
			zmq_msg_t m;
			int more = 0;
			size_t mlen = sizeof(more);

			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, a->sock, ZMQ_DONTWAIT) >= 0) {
				zmq_getsockopt(a->sock, ZMQ_RCVMORE, &more, &mlen);
				if (more) {
					/* The protocol has single frames: drop the whole
					 * multipart message. */
					agent_log("dropped a multipart message from the backend");
					heard(a);
					do {
						zmq_msg_close(&m);
						zmq_msg_init(&m);
						if (zmq_msg_recv(&m, a->sock, ZMQ_DONTWAIT) < 0)
							break;
						zmq_getsockopt(a->sock, ZMQ_RCVMORE, &more, &mlen);
					} while (more);
				} else {
					handle_frame(a, zmq_msg_data(&m), zmq_msg_size(&m));
				}
				moved = true;
			}
			zmq_msg_close(&m);
		}
		if (a->sock && (events & ZMQ_POLLOUT) && a->out_head && may_send(a, a->out_head)) {
			struct out_msg *o = a->out_head;

			if (zmq_send(a->sock, o->frame.data, o->frame.len, ZMQ_DONTWAIT) >= 0) {
				if (o->kind == OUT_HELLO)
					a->hello_sent = true;
				out_pop(a);
				moved = true;
			}
		}
		if (!moved)
			return;
	}
}

/* ---- setup and loop ---- */

static int add_fd(struct agent *a, int fd, gb_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(a->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return gb_fail_errno(err, "epoll_ctl");
	return 0;
}

static int setup(struct agent *a, gb_error *err)
{
	struct itimerspec tick_every = { .it_interval = { .tv_sec = 1 }, .it_value = { .tv_sec = 1 } };
	sigset_t mask;
	unsigned removed = 0;
	int stopped;

	if (gb_agent_workdir_open(a->cfg->state_dir, a->workdir, sizeof(a->workdir), &a->workfd,
				  err) < 0)
		return gb_context(err, "agent work directory");
	stopped = gb_agent_workdir_recover(a->workfd, err);
	if (stopped < 0)
		return -1;
	if (stopped > 0) {
		agent_log("stopped %d grader(s) left by an agent that was killed", stopped);
		if (gb_job_gc(a->cfg, &removed, err) < 0)
			return gb_context(err, "collecting what they left");
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return gb_fail_errno(err, "sigprocmask");
	sigdelset(&mask, SIGPIPE);
	a->ep = epoll_create1(EPOLL_CLOEXEC);
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->ep < 0 || a->sigfd < 0 || a->tickfd < 0 ||
	    timerfd_settime(a->tickfd, 0, &tick_every, NULL) < 0)
		return gb_fail_errno(err, "epoll, signalfd, timerfd");
	if (gb_runner_new(a->cfg, a->o.slots, &a->runner, err) < 0)
		return -1;
	if (a->o.gradebox)
		gb_runner_set_program(a->runner, a->o.gradebox);
	if (add_fd(a, a->sigfd, err) < 0 || add_fd(a, a->tickfd, err) < 0 ||
	    add_fd(a, gb_runner_fd(a->runner), err) < 0)
		return -1;
	a->zctx = zmq_ctx_new();
	if (!a->zctx)
		return gb_fail(err, zmq_errno(), "zmq_ctx_new");
	if (conn_open(a, err) < 0)
		return -1;
	write_metrics(a);
	agent_log("waiting for the backend at %s (%u slots, tasks in %s)", a->o.backend,
		  a->o.slots, a->o.tasks_dir);
	return 0;
}

static void teardown(struct agent *a)
{
	conn_close(a);
	while (a->out_head)
		out_pop(a);
	if (a->zctx)
		zmq_ctx_term(a->zctx);
	if (a->runner)
		gb_runner_free(a->runner);
	/* Nothing of a finished agent stays in the work directory. */
	if (a->workfd >= 0) {
		unlinkat(a->workfd, AGENT_METRICS_FILE, 0);
		if (!a->jobs)
			rmdir(a->workdir);
	}
	json_decref(a->envs);
	gb_closep(&a->ep);
	gb_closep(&a->sigfd);
	gb_closep(&a->tickfd);
	gb_closep(&a->workfd);
}

static void stop(struct agent *a, int sig)
{
	if (a->stopping)
		return;
	a->stopping = true;
	agent_log("%s: killing %u running job(s) and reporting them", strsignal(sig),
		  gb_runner_running(a->runner) + gb_runner_queued(a->runner));
	gb_runner_hold(a->runner, true);
	/* gb_run_kill may free a queued job at once: take the next first. */
	for (struct gb_agent_job *j = a->jobs, *next; j; j = next) {
		next = j->next;
		if (j->run)
			gb_run_kill(j->run);
	}
}

/* The last results leave while the backend listens, for a short while. */
static void drain(struct agent *a)
{
	uint64_t end = gb_now_ns() + AGENT_EXIT_LINGER_MS * NS_PER_MS;

	while (a->sock && a->out_head && may_send(a, a->out_head) && gb_now_ns() < end) {
		zmq_pollitem_t item = { .socket = a->sock, .events = ZMQ_POLLOUT };

		pump(a);
		zmq_poll(&item, 1, 50);
	}
}

int gb_agent_run(const struct gb_config *cfg, const struct gb_agent_opts *opts, gb_error *err)
{
	struct agent a = { .cfg = cfg, .o = *opts, .sockfd = -1, .ep = -1, .sigfd = -1,
			   .tickfd = -1, .workfd = -1, .state = CONN_WAITING };
	struct epoll_event evs[AGENT_EPOLL_EVENTS];
	int r = 0;

	if (setup(&a, err) < 0) {
		teardown(&a);
		return -1;
	}
	while (!(a.stopping && !a.jobs)) {
		int n = epoll_wait(a.ep, evs, AGENT_EPOLL_EVENTS, -1);

		if (n < 0 && errno != EINTR) {
			r = gb_fail_errno(err, "epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == a.sigfd) {
				struct signalfd_siginfo si;

				while (read(a.sigfd, &si, sizeof(si)) == sizeof(si))
					stop(&a, (int)si.ssi_signo);
			} else if (fd == a.tickfd) {
				uint64_t ticks;

				if (read(a.tickfd, &ticks, sizeof(ticks)) == sizeof(ticks))
					tick(&a);
			} else if (fd == gb_runner_fd(a.runner)) {
				gb_runner_dispatch(a.runner);
			}
		}
		pump(&a);
	}
	drain(&a);
	teardown(&a);
	if (r == 0)
		agent_log("stopped");
	return r;
}
