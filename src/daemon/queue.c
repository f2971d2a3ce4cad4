/* queue: see queue.h. The jobs not done yet are a list (thousands at
 * most: a linear search per request costs less than its syscalls). */
#include "queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Ticks (seconds) between two scans of done/ for old results. */
#define QUEUE_EXPIRE_TICKS 60
/* ... and between two rewrites of the tries log without the finished jobs. */
#define QUEUE_COMPACT_TICKS 3600

struct qjob {
	struct qjob *prev, *next;
	struct gb_queue *q;
	char id[GB_JOB_ID_MAX];
	struct gb_jobspec spec;
	struct gb_run *run;
	double queued_at, started_at;  /* wall clock, seconds since the epoch */
	bool requeue;                  /* killed by the shutdown */
};

struct gb_queue {
	const struct gb_config *cfg;
	struct gb_queue_opts o;
	struct gb_spool spool;
	struct gb_runner *runner;
	struct qjob *head, *tail;
	uint64_t next_seq;
	uint64_t host_memory;
	bool stopping, incoming_waits;
	uint64_t ticks;
	struct gb_metrics metrics;
	gb_queue_event_fn hook;
	void *hook_ctx;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct qjob *find(struct gb_queue *q, const char *id)
{
	for (struct qjob *j = q->head; j; j = j->next)
		if (!strcmp(j->id, id))
			return j;
	return NULL;
}

static void unlink_job(struct gb_queue *q, struct qjob *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		q->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		q->tail = j->prev;
	gb_jobspec_clear(&j->spec);
	free(j);
}

static const char *task_name(const struct qjob *j)
{
	const char *s = strrchr(j->spec.task, '/');

	return s && s[1] ? s + 1 : j->spec.task;
}

/* Write the result to done/ (durable), then forget the job's files. */
static int store_result(struct gb_queue *q, const char *id, json_t *res, gb_error *err)
{
	char name[GB_JOB_ID_MAX + 8];

	snprintf(name, sizeof(name), "%s.json", id);
	if (gb_spool_write_json(q->spool.done_fd, name, res, true, err) < 0)
		return gb_context(err, "storing the result of job %s", id);
	gb_spool_forget(&q->spool, id);
	return 0;
}

static void on_run(struct gb_run *run, enum gb_run_event ev, const struct gb_run_outcome *oc,
		   void *arg)
{
	struct qjob *j = arg;
	struct gb_queue *q = j->q;
	json_t *res;
	gb_error err = { 0 };
	double finished, grading, wait;
	json_t *stats_grade;

	if (ev == GB_RUN_STARTED) {
		j->started_at = wall_now();
		gb_spool_try(&q->spool, j->id);
		if (q->hook)
			q->hook(q->hook_ctx, j->id, NULL);
		return;
	}
	/* when the grader ended, not now: the next job of its slot may have
	 * started since (runner.c), and the log's intervals must not overlap */
	finished = wall_now() - (double)(gb_now_ns() - oc->finished_ns) / 1e9;
	j->run = NULL;
	if (j->requeue) {
		gb_spool_tries_reset(&q->spool, j->id);
		q->metrics.requeued++;
		fprintf(q->o.log, "gradebox: job %s task=%s requeued (the daemon stopped)\n",
			j->id, task_name(j));
		unlink_job(q, j);
		return;
	}
	res = json_deep_copy(oc->result);
	if (!res)
		res = gb_runner_make_result("error", "out of memory");
	grading = oc->started_ns ? finished - j->started_at : -1;
	wait = (oc->started_ns ? j->started_at : finished) - j->queued_at;
	json_object_set_new(res, "id", json_string(j->id));
	json_object_set_new(res, "queued", json_real(j->queued_at));
	json_object_set_new(res, "started", oc->started_ns ? json_real(j->started_at) : json_null());
	json_object_set_new(res, "finished", json_real(finished));
	if (store_result(q, j->id, res, &err) < 0)
		fprintf(q->o.log, "gradebox: %s\n", err.msg);
	gb_metrics_job(&q->metrics, oc->result_name, wait, grading);
	stats_grade = json_object_get(res, "grade");
	fprintf(q->o.log,
		"gradebox: job %s task=%s result=%s grade=%g cpu=%.3f wall=%.3f wait=%.3f "
		"started=%.6f finished=%.6f\n",
		j->id, task_name(j), oc->result_name,
		json_is_number(stats_grade) ? json_number_value(stats_grade) : 0.0, oc->child_cpu,
		grading < 0 ? 0 : grading, wait < 0 ? 0 : wait,
		oc->started_ns ? j->started_at : 0, finished);
	fflush(q->o.log);
	if (q->hook)
		q->hook(q->hook_ctx, j->id, res);
	json_decref(res);
	unlink_job(q, j);
	if (q->incoming_waits)
		gb_queue_ingest(q);
}

/* The input through a memfd (grade --input -): a file per job in the spool
 * would cost ext4 an inode allocation, the daemon's largest cost per job. */
static int input_memfd(struct qjob *j, gb_error *err)
{
	json_t *in = json_pack("{s:O}", "input", j->spec.input);
	_cleanup_free_ char *text = in ? json_dumps(in, JSON_COMPACT) : NULL;
	_cleanup_close_ int fd = -1;

	json_decref(in);
	if (!text)
		return gb_fail(err, ENOMEM, "job %s", j->id);
	fd = memfd_create("gradebox-input", MFD_CLOEXEC);
	if (fd < 0)
		return gb_fail_errno(err, "memfd_create");
	if (gb_write_all(fd, text, strlen(text)) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return gb_fail_errno(err, "writing the input of job %s", j->id);
	return gb_steal_fd(&fd);
}

/* Write what a grading attempt reads, then queue the job in the runner. */
static int enqueue(struct gb_queue *q, struct qjob *j, gb_error *err)
{
	char params[PATH_MAX], result[PATH_MAX], name[GB_JOB_ID_MAX + 8];
	struct gb_grade_req req;
	_cleanup_close_ int in = input_memfd(j, err);

	if (in < 0)
		return -1;
	if (j->spec.params) {
		snprintf(name, sizeof(name), "%s.params", j->id);
		if (gb_spool_write_json(q->spool.jobs_fd, name, j->spec.params, false, err) < 0)
			return -1;
	}
	gb_spool_job_path(&q->spool, j->id, ".params", params, sizeof(params));
	gb_spool_job_path(&q->spool, j->id, ".result", result, sizeof(result));
	gb_jobspec_request(&j->spec, "-", params, result, &req);
	req.input_fd = in;
	return gb_runner_submit(q->runner, &req, on_run, j, &j->run, err);
}

static struct qjob *new_job(struct gb_queue *q, const char *id, json_t *job, gb_error *err)
{
	struct qjob *j = calloc(1, sizeof(*j));

	if (!j) {
		gb_fail(err, ENOMEM, "job %s", id);
		return NULL;
	}
	if (gb_jobspec_parse(job, &j->spec, err) < 0) {
		free(j);
		return NULL;
	}
	j->q = q;
	snprintf(j->id, sizeof(j->id), "%s", id);
	return j;
}

static void append(struct gb_queue *q, struct qjob *j)
{
	j->prev = q->tail;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

/* Accept a job under id: checks, the durable record, the runner. */
static int accept_job(struct gb_queue *q, const char *id, json_t *job, gb_error *err)
{
	struct qjob *j;
	json_t *rec;
	char name[GB_JOB_ID_MAX + 8];
	int r;

	if (find(q, id) || gb_spool_done_exists(&q->spool, id))
		return gb_fail(err, 0, "job id %s is taken", id);
	if (gb_runner_queued(q->runner) >= q->o.queue_max)
		return gb_fail(err, 0, "the queue is full (%llu jobs waiting, queue_max): "
			       "submit again later", (unsigned long long)q->o.queue_max);
	j = new_job(q, id, job, err);
	if (!j)
		return -1;
	if (gb_jobspec_check_memory(&j->spec, q->host_memory, err) < 0) {
		gb_jobspec_clear(&j->spec);
		free(j);
		return -1;
	}
	j->queued_at = wall_now();
	rec = json_pack("{s:s, s:I, s:f, s:O}", "id", id, "seq", (json_int_t)q->next_seq,
			"queued_at", j->queued_at, "job", job);
	snprintf(name, sizeof(name), "%s.job", id);
	r = rec ? gb_spool_write_json(q->spool.jobs_fd, name, rec, true, err)
		: gb_fail(err, ENOMEM, "job %s", id);
	json_decref(rec);
	if (r < 0) {
		gb_jobspec_clear(&j->spec);
		free(j);
		return gb_context(err, "recording job %s", id);
	}
	q->next_seq++;
	append(q, j);
	q->metrics.submitted++;
	if (enqueue(q, j, err) < 0) {
		/* Recorded: it will be graded at the next start. */
		fprintf(q->o.log, "gradebox: job %s: %s\n", id, err->msg);
		gb_error_clear(err);
	}
	return 0;
}

int gb_queue_submit(struct gb_queue *q, json_t *job, char id_out[GB_JOB_ID_MAX],
		    gb_error *err)
{
	if (q->stopping)
		return gb_fail(err, 0, "the daemon is stopping: submit again once it is back");
	/* seconds since the epoch and a sequence number: readable, sortable,
	 * never a valid name for two jobs (taken ids are refused anyway) */
	for (int attempt = 0; ; attempt++) {
		snprintf(id_out, GB_JOB_ID_MAX, "%lld-%llu", (long long)time(NULL),
			 (unsigned long long)q->next_seq);
		if (!find(q, id_out) && !gb_spool_done_exists(&q->spool, id_out))
			break;
		if (attempt > 1000)
			return gb_fail(err, 0, "no free job id");
		q->next_seq++;
	}
	if (accept_job(q, id_out, job, err) < 0) {
		q->metrics.refused++;
		return -1;
	}
	return 0;
}

/* A job that cannot be queued still gets a result, if its id is free. */
static void refuse_spool_job(struct gb_queue *q, const char *id, const char *why)
{
	json_t *res;
	gb_error err = { 0 };
	double now = wall_now();

	q->metrics.refused++;
	fprintf(q->o.log, "gradebox: job %s refused: %s\n", id, why);
	if (find(q, id) || gb_spool_done_exists(&q->spool, id))
		return;
	res = gb_runner_make_result("error", why);
	if (!res)
		return;
	json_object_set_new(res, "id", json_string(id));
	json_object_set_new(res, "queued", json_real(now));
	json_object_set_new(res, "started", json_null());
	json_object_set_new(res, "finished", json_real(now));
	if (store_result(q, id, res, &err) < 0)
		fprintf(q->o.log, "gradebox: %s\n", err.msg);
	gb_metrics_job(&q->metrics, "error", 0, -1);
	json_decref(res);
}

static void ingest(struct gb_queue *q, bool refusable_only)
{
	char **names = NULL;
	size_t n = 0;
	gb_error err = { 0 };

	if (!refusable_only)
		q->incoming_waits = false;
	if (q->stopping)
		return;
	if (gb_spool_incoming(&q->spool, &names, &n, &err) < 0) {
		fprintf(q->o.log, "gradebox: %s\n", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char id[GB_JOB_ID_MAX];
		size_t len = strlen(names[i]);
		json_t *job = NULL;

		if (refusable_only && !gb_spool_refusable(&q->spool, names[i]))
			continue;
		if (gb_runner_queued(q->runner) >= q->o.queue_max) {
			/* backpressure: the files wait where they are */
			q->incoming_waits = true;
			break;
		}
		if (len <= 5 || strcmp(names[i] + len - 5, ".json") || len - 5 >= GB_JOB_ID_MAX) {
			fprintf(q->o.log, "gradebox: incoming/%.80s: not a job file name (ID.json), "
				"removed\n", names[i]);
			gb_spool_take_incoming(&q->spool, names[i]);
			continue;
		}
		memcpy(id, names[i], len - 5);
		id[len - 5] = '\0';
		if (!gb_job_id_valid(id)) {
			fprintf(q->o.log, "gradebox: incoming/%.80s: a job id is letters, digits, "
				"'_', '-' and '.', removed\n", names[i]);
			gb_spool_take_incoming(&q->spool, names[i]);
			continue;
		}
		if (gb_spool_read_incoming(&q->spool, names[i], &job, &err) < 0 ||
		    accept_job(q, id, job, &err) < 0)
			refuse_spool_job(q, id, err.msg);
		json_decref(job);
		gb_error_clear(&err);
		gb_spool_take_incoming(&q->spool, names[i]);
	}
	gb_spool_names_free(names, n);
}

void gb_queue_ingest(struct gb_queue *q)
{
	ingest(q, false);
}

int gb_queue_recover(struct gb_queue *q, gb_error *err)
{
	json_t **recs = NULL;
	size_t n = 0;

	if (gb_spool_records(&q->spool, &recs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_object_get(recs[i], "id"));
		json_int_t seq = json_integer_value(json_object_get(recs[i], "seq"));
		unsigned tries = gb_spool_tries(&q->spool, id);
		struct qjob *j;
		char why[256];
		gb_error e = { 0 };

		if ((uint64_t)seq >= q->next_seq)
			q->next_seq = (uint64_t)seq + 1;
		if (!gb_job_id_valid(id) || find(q, id))
			continue;
		if (gb_spool_done_exists(&q->spool, id)) {
			gb_spool_forget(&q->spool, id);
			continue;
		}
		if (tries >= GB_QUEUE_MAX_TRIES) {
			snprintf(why, sizeof(why), "the daemon stopped %u times while grading this job: "
				 "it is not graded again", tries);
			refuse_spool_job(q, id, why);
			continue;
		}
		j = new_job(q, id, json_object_get(recs[i], "job"), &e);
		if (!j) {
			refuse_spool_job(q, id, e.msg);
			continue;
		}
		j->queued_at = json_number_value(json_object_get(recs[i], "queued_at"));
		append(q, j);
		if (enqueue(q, j, &e) < 0)
			fprintf(q->o.log, "gradebox: job %s: %s\n", id, e.msg);
		else if (tries)
			fprintf(q->o.log, "gradebox: job %s task=%s graded again (the daemon stopped "
				"while it graded)\n", id, task_name(j));
	}
	for (size_t i = 0; i < n; i++)
		json_decref(recs[i]);
	free(recs);
	gb_spool_tries_compact(&q->spool);
	gb_queue_ingest(q);
	return 0;
}

int gb_queue_open(const struct gb_config *cfg, const struct gb_queue_opts *o,
		  struct gb_queue **out, gb_error *err)
{
	struct gb_queue *q = calloc(1, sizeof(*q));
	struct sysinfo si;

	if (!q)
		return gb_fail(err, ENOMEM, "queue");
	q->cfg = cfg;
	q->o = *o;
	if (!q->o.log)
		q->o.log = stderr;
	q->spool.fd = q->spool.incoming_fd = q->spool.jobs_fd = q->spool.done_fd = -1;
	q->spool.lock_fd = q->spool.inotify_fd = -1;
	q->host_memory = sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : UINT64_MAX;
	if (gb_spool_open(&q->spool, o->spool_dir, o->gid, err) < 0 ||
	    gb_runner_new(cfg, o->slots, &q->runner, err) < 0) {
		gb_queue_free(q);
		return -1;
	}
	*out = q;
	return 0;
}

void gb_queue_free(struct gb_queue *q)
{
	if (!q)
		return;
	/* Without callbacks: the records stay for the next start. */
	gb_runner_free(q->runner);
	while (q->head)
		unlink_job(q, q->head);
	gb_spool_close(&q->spool);
	free(q);
}

void gb_queue_set_hook(struct gb_queue *q, gb_queue_event_fn fn, void *ctx)
{
	q->hook = fn;
	q->hook_ctx = ctx;
}

int gb_queue_runner_fd(const struct gb_queue *q) { return gb_runner_fd(q->runner); }
int gb_queue_spool_fd(const struct gb_queue *q) { return q->spool.inotify_fd; }
void gb_queue_dispatch(struct gb_queue *q) { gb_runner_dispatch(q->runner); }
unsigned gb_queue_running(const struct gb_queue *q) { return gb_runner_running(q->runner); }

void gb_queue_spool_event(struct gb_queue *q)
{
	int what = gb_spool_arrived(&q->spool);

	/* A file just created may still be written: only what is refused
	 * anyway (a symlink, a FIFO) is taken before it is complete. */
	if (what & GB_SPOOL_COMPLETE)
		ingest(q, false);
	else if (what & GB_SPOOL_CREATED)
		ingest(q, true);
}

void gb_queue_tick(struct gb_queue *q)
{
	/* done/ may hold a week of results: scan it now and then, not at
	 * every tick, yet at once for a short done_keep (tests, demos) */
	if (q->ticks % QUEUE_EXPIRE_TICKS == 0 || q->cfg->done_keep < QUEUE_EXPIRE_TICKS)
		gb_spool_expire(&q->spool, q->cfg->done_keep);
	if (++q->ticks % QUEUE_COMPACT_TICKS == 0)
		gb_spool_tries_compact(&q->spool);
	if (q->incoming_waits)
		gb_queue_ingest(q);
}

json_t *gb_queue_result(struct gb_queue *q, const char *id)
{
	json_t *res = NULL;
	gb_error err = { 0 };

	if (!gb_job_id_valid(id) || find(q, id))
		return NULL;
	if (gb_spool_read_done(&q->spool, id, &res, &err) < 0)
		return NULL;
	return res;
}

json_t *gb_queue_status(struct gb_queue *q, const char *id)
{
	struct qjob *j = gb_job_id_valid(id) ? find(q, id) : NULL;
	json_t *res, *st;

	if (j) {
		bool grading = j->run && gb_run_state(j->run) == GB_RUN_IS_RUNNING;
		st = json_pack("{s:s, s:s, s:s, s:f}", "id", j->id, "state",
			       grading ? "grading" : "queued", "task", j->spec.task, "queued",
			       j->queued_at);
		if (grading)
			json_object_set_new(st, "started", json_real(j->started_at));
		else if (j->run)
			json_object_set_new(st, "position",
					    json_integer(gb_run_position(j->run)));
		return st;
	}
	res = gb_queue_result(q, id);
	if (!res)
		return NULL;
	st = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?}", "id", id, "state", "done",
		       "queued", json_object_get(res, "queued"), "started",
		       json_object_get(res, "started"), "finished",
		       json_object_get(res, "finished"), "result", json_object_get(res, "result"),
		       "grade", json_object_get(res, "grade"));
	json_decref(res);
	return st;
}

int gb_queue_kill(struct gb_queue *q, const char *id, gb_error *err)
{
	struct qjob *j = gb_job_id_valid(id) ? find(q, id) : NULL;

	if (!j) {
		if (gb_job_id_valid(id) && gb_spool_done_exists(&q->spool, id))
			return gb_fail(err, 0, "job %s is already done", id);
		return gb_fail(err, 0, "no job %s", id);
	}
	if (!j->run)
		return gb_fail(err, 0, "job %s is not in the runner (see the log)", id);
	gb_run_kill(j->run);
	return 0;
}

json_t *gb_queue_list(struct gb_queue *q)
{
	json_t *a = json_array();

	for (struct qjob *j = q->head; a && j; j = j->next) {
		json_t *st = gb_queue_status(q, j->id);
		if (st)
			json_array_append_new(a, st);
	}
	return a;
}

json_t *gb_queue_summary(struct gb_queue *q)
{
	return json_pack("{s:i, s:i, s:i, s:I, s:b}", "queued", gb_runner_queued(q->runner),
			 "grading", gb_runner_running(q->runner), "slots",
			 gb_runner_slots(q->runner), "queue_max", (json_int_t)q->o.queue_max,
			 "stopping", q->stopping);
}

char *gb_queue_metrics(struct gb_queue *q)
{
	return gb_metrics_render(&q->metrics, gb_runner_queued(q->runner),
				 gb_runner_running(q->runner), gb_runner_slots(q->runner));
}

void gb_queue_stop(struct gb_queue *q)
{
	q->stopping = true;
	gb_runner_hold(q->runner, true);
}

void gb_queue_kill_running(struct gb_queue *q)
{
	for (struct qjob *j = q->head; j; j = j->next) {
		if (j->run && gb_run_state(j->run) == GB_RUN_IS_RUNNING && !j->requeue) {
			j->requeue = true;
			gb_run_kill(j->run);
		}
	}
}
