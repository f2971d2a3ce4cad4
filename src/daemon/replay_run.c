/* replay_run: grading the recorded submissions, `jobs` at a time.
 *
 * Theory of operation. One process, one poll loop, no threads:
 *   gradebox test
 *     └─ gradebox grade (one per submission, at most `jobs` at once;
 *        spawned, watched and killed by the runner, runner.h)
 * Each submission's input ({"input": ...} from the recording) is written to
 * a private temporary directory, handed to the runner, and the result file
 * grade writes there is compared with the recording when the runner
 * reports the run finished. Only about 2 × jobs submissions are handed over
 * at a time, so the inputs (uploads included) of a large course are never
 * all on disk at once; each input and result file is removed as soon as
 * its run is done, the directory at the end.
 *
 * The grade children run in their own process groups (runner.h), so a ^C
 * on the terminal reaches only this process: SIGINT, SIGTERM and SIGHUP
 * arrive on a signalfd, every run is killed (grade kills its sandboxes),
 * the loop waits for all of them and the run fails as interrupted.
 * grade's own stderr (one line when it cannot grade, which the result's
 * text repeats) goes to a file in the temporary directory rather than
 * through the progress bar. */
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codes.h"
#include "runner.h"
#include "util.h"

/* Submissions handed to the runner per slot: enough to keep every slot
 * busy between two turns of the loop. */
#define GB_REPLAY_QUEUE_PER_SLOT 2
#define GB_REPLAY_TMP_TEMPLATE "gradebox-test.XXXXXX"
#define GB_REPLAY_STDERR_NAME "grade.stderr"

struct run_ctx {
	struct gb_replay *r;
	int dirfd;
	const char *dir;
	size_t done, total, active;
	gb_replay_progress_fn *progress;
	void *arg;
	struct gb_run **runs; /* per submission, NULL unless handed over */
	gb_error *err;
	bool failed;
};

static void job_files(size_t i, char *in, char *out, size_t size)
{
	snprintf(in, size, "%zu.input.json", i);
	snprintf(out, size, "%zu.result.json", i);
}

/* The runner's callback argument: the context and the submission's index,
 * packed into one allocation per run. */
struct job {
	struct run_ctx *c;
	size_t index;
};

static void finished(struct gb_run *run, enum gb_run_event ev, const struct gb_run_outcome *oc,
		     void *arg)
{
	struct job *j = arg;
	struct run_ctx *c = j->c;
	struct gb_replay_sub *s = &c->r->subs[j->index];
	char in[64], out[64];

	(void)run;
	if (ev != GB_RUN_FINISHED)
		return;
	c->runs[j->index] = NULL;
	c->active--;
	c->done++;
	job_files(j->index, in, out, sizeof(in));
	unlinkat(c->dirfd, in, 0);
	unlinkat(c->dirfd, out, 0);

	const char *text = json_string_value(json_object_get(oc->result, "text"));
	bool could_not = oc->synthesized || oc->killed ||
			 (oc->wait_status >= 0 && WIFEXITED(oc->wait_status) &&
			  WEXITSTATUS(oc->wait_status) == GB_EXIT_FAILURE);
	if (could_not) {
		s->status = GB_REPLAY_ERROR;
		if (asprintf(&s->message, "could not grade: %s", text ? text : "no result") < 0)
			s->message = NULL;
	} else {
		s->result = json_incref(oc->result);
		s->diffs = gb_testfile_compare(s->tf.doc, oc->result);
		if (!s->diffs) {
			s->status = GB_REPLAY_ERROR;
			s->message = strdup("out of memory comparing the result");
		} else {
			s->status = json_array_size(s->diffs) ? GB_REPLAY_DIFFERENT
							      : GB_REPLAY_SAME;
		}
	}
	if (c->progress)
		c->progress(c->arg, c->done, c->total);
	free(j);
}

/* Write the input and hand submission i to the runner. */
static int submit(struct run_ctx *c, struct gb_runner *runner, size_t i, gb_error *err)
{
	struct gb_replay_sub *s = &c->r->subs[i];
	char in[64], out[64];
	_cleanup_free_ char *task = NULL, *inpath = NULL, *outpath = NULL;

	job_files(i, in, out, sizeof(in));
	if (asprintf(&task, "%s/%s", c->r->course, s->task) < 0 ||
	    asprintf(&inpath, "%s/%s", c->dir, in) < 0 ||
	    asprintf(&outpath, "%s/%s", c->dir, out) < 0)
		return gb_fail(err, ENOMEM, "%s", s->file);
	json_t *wrapped = json_pack("{s:O}", "input", s->tf.input);
	if (!wrapped)
		return gb_fail(err, ENOMEM, "%s", s->file);
	_cleanup_close_ int fd = openat(c->dirfd, in, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int r = fd < 0 ? -1 : json_dumpfd(wrapped, fd, JSON_COMPACT);
	json_decref(wrapped);
	if (r < 0)
		return gb_fail_errno(err, "%s/%s", c->dir, in);

	struct job *j = malloc(sizeof(*j));
	if (!j)
		return gb_fail(err, ENOMEM, "%s", s->file);
	*j = (struct job){ .c = c, .index = i };
	struct gb_grade_req req = {
		.task_dir = task,
		.course_dir = c->r->course,
		.input_file = inpath,
		.result_file = outpath,
	};
	c->active++;
	if (gb_runner_submit(runner, &req, finished, j, &c->runs[i], err) < 0) {
		c->active--;
		free(j);
		return gb_context(err, "%s", s->file);
	}
	return 0;
}

static void kill_all(struct run_ctx *c)
{
	for (size_t i = 0; i < c->r->nsubs; i++)
		if (c->runs[i])
			gb_run_kill(c->runs[i]);
}

/* The loop proper: c->dirfd is the temporary directory. */
static int run_loop(struct run_ctx *c, struct gb_runner *runner, unsigned jobs, int sigfd,
		    gb_error *err)
{
	size_t next = 0, window = (size_t)jobs * GB_REPLAY_QUEUE_PER_SLOT;
	int stop_signal = 0;

	for (;;) {
		while (!stop_signal && c->active < window && next < c->r->nsubs) {
			if (c->r->subs[next].status == GB_REPLAY_PENDING &&
			    submit(c, runner, next, err) < 0) {
				stop_signal = -1;
				kill_all(c);
				break;
			}
			next++;
		}
		if (c->active == 0 && (stop_signal || next == c->r->nsubs))
			break;
		struct pollfd p[2] = {
			{ .fd = gb_runner_fd(runner), .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
		};
		if (GB_RETRY(poll(p, 2, -1)) < 0) {
			gb_fail_errno(err, "poll");
			stop_signal = -1;
			kill_all(c);
			continue;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si) && !stop_signal) {
				stop_signal = (int)si.ssi_signo;
				kill_all(c);
			}
		}
		if (p[0].revents & POLLIN)
			gb_runner_dispatch(runner);
	}
	if (stop_signal > 0)
		return gb_fail(err, 0, "interrupted by %s: every grading run was stopped, "
			       "nothing was updated", strsignal(stop_signal));
	return stop_signal < 0 ? -1 : 0;
}

int gb_replay_run(struct gb_replay *r, const struct gb_config *cfg, unsigned jobs,
		  gb_replay_progress_fn *progress, void *arg, gb_error *err)
{
	const char *tmp = getenv("TMPDIR");
	_cleanup_free_ char *dir = NULL;
	struct gb_runner *runner = NULL;
	sigset_t mask, old;
	int rc = -1;

	if (asprintf(&dir, "%s/%s", tmp && *tmp ? tmp : "/tmp", GB_REPLAY_TMP_TEMPLATE) < 0)
		return gb_fail(err, ENOMEM, "temporary directory");
	if (!mkdtemp(dir))
		return gb_fail_errno(err, "temporary directory %s", dir);
	struct run_ctx c = { .r = r, .dir = dir, .progress = progress, .arg = arg, .err = err };
	c.runs = calloc(r->nsubs, sizeof(*c.runs));
	c.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < r->nsubs; i++)
		c.total += r->subs[i].status == GB_REPLAY_PENDING;
	_cleanup_close_ int saved_stderr = -1, sigfd = -1;
	if (!c.runs || c.dirfd < 0) {
		gb_fail(err, c.runs ? errno : ENOMEM, "temporary directory %s", dir);
		goto out;
	}
	_cleanup_close_ int errfd = openat(c.dirfd, GB_REPLAY_STDERR_NAME,
					   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (errfd < 0 || saved_stderr < 0 || dup2(errfd, STDERR_FILENO) < 0) {
		gb_fail_errno(err, "%s/%s", dir, GB_REPLAY_STDERR_NAME);
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		gb_fail_errno(err, "signalfd");
	else if (gb_runner_new(cfg, jobs, &runner, err) == 0)
		rc = run_loop(&c, runner, jobs, sigfd, err);
	if (runner)
		gb_runner_free(runner);
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	if (saved_stderr >= 0)
		dup2(saved_stderr, STDERR_FILENO);
	free(c.runs);
	if (c.dirfd >= 0)
		close(c.dirfd);
	gb_error rmerr = { 0 };
	if (gb_rm_rf(dir, &rmerr) < 0 && rc == 0)
		rc = gb_fail(err, rmerr.errnum, "%s", rmerr.msg);
	return rc;
}
