/* runner: one `gradebox grade` child per job, and a FIFO slot scheduler
 * that runs at most N of them at once. Shared by the queue daemon (serve),
 * the INGInious agent and `gradebox test`.
 *
 * Use from a poll/epoll loop, no threads:
 *
 *   struct gb_runner *r;
 *   gb_runner_new(cfg, slots, &r, &err);
 *   add gb_runner_fd(r) to your poll set (readable = something to do);
 *   gb_runner_submit(r, &req, on_event, arg, &run, &err);   // queued, FIFO
 *   ... when gb_runner_fd(r) is readable: gb_runner_dispatch(r);
 *   on_event(run, GB_RUN_STARTED, NULL, arg) -- a slot took it, child runs
 *   on_event(run, GB_RUN_FINISHED, &outcome, arg) -- result file written;
 *                       the run is freed when the callback returns
 *   gb_run_kill(run);   // queued: finishes now as killed; running: SIGTERM
 *
 * The child is /proc/self/exe `grade --task T [--course C] --input F
 * [--params P] [--image I] [--time S ...] --result R --json`, started with
 * posix_spawn in its own process group (a terminal's ^C or a signal to the
 * daemon's group does not reach it), stdin the job's input fd or /dev/null,
 * stdout on /dev/null, stderr
 * the runner's (the journal under systemd). It is watched through a pidfd.
 *
 * Killing: SIGTERM through the pidfd; `grade` kills its sandboxes and
 * writes a `killed` result. A child still there GB_RUNNER_KILL_GRACE_S
 * later gets SIGKILL (its whole process group). Whenever a child ends
 * without a result file (crashed, SIGKILLed), the runner writes an `error`
 * result itself ("the grading supervisor crashed: ...") and collects what
 * the dead supervisor left behind (gb_job_gc), so a job always ends with a
 * result and never hangs.
 *
 * Testing hook: the environment variable GRADEBOX_GRADE_EXEC, when set,
 * names the program to run instead of /proc/self/exe (it gets the same
 * arguments, `grade` first). Tests use it for a stand-in grader; never set
 * it in production. */
#ifndef GB_RUNNER_H
#define GB_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "error.h"

/* Seconds between SIGTERM and SIGKILL when a job is killed. */
#define GB_RUNNER_KILL_GRACE_S 5
/* More slots than this is a typo on any host. */
#define GB_RUNNER_SLOTS_MAX 4096u
/* A result file larger than this is not read back (results carry a capped
 * stdout/stderr and an archive; 256 MiB is far past any real one). */
#define GB_RUNNER_RESULT_MAX (256u << 20)

/* What to grade. Strings are copied by gb_runner_submit. Limits of 0 (or
 * NULL strings) are not passed: grade takes them from the task/params. */
struct gb_grade_req {
	const char *task_dir;     /* required */
	const char *course_dir;   /* optional */
	const char *input_file;   /* required: {"input": {...}} or the bare map;
				   * "-": read from input_fd */
	int input_fd;             /* with input_file "-": grade's stdin (the
				   * runner keeps a dup; the caller may close) */
	const char *params_file;  /* optional: environment_parameters JSON */
	const char *image;        /* optional: environment name */
	const char *result_file;  /* required: where grade writes the result */
	double time, hard_time;   /* seconds */
	uint64_t memory_mb, disk_mb, output_bytes;
};

enum gb_run_state {
	GB_RUN_IS_QUEUED,
	GB_RUN_IS_RUNNING,
	GB_RUN_IS_FINISHED,
};

enum gb_run_event {
	GB_RUN_STARTED,   /* moved from the queue to a slot, child spawned */
	GB_RUN_FINISHED,  /* result file in place (see gb_run_outcome) */
};

/* How a run ended, valid in the GB_RUN_FINISHED callback. */
struct gb_run_outcome {
	json_t *result;        /* the parsed result file; borrowed (json_incref
				* to keep it). Never NULL: the runner makes one
				* when the child could not. */
	const char *result_name; /* result's "result" field ("success", ...) */
	bool synthesized;      /* the runner wrote the result (crash, killed
				* while queued, spawn failure) */
	bool killed;           /* gb_run_kill was called on this run */
	int wait_status;       /* the child's status as from waitpid, -1 if
				* no child ran */
	double child_cpu;      /* user+sys seconds of grade and its children */
	uint64_t queued_ns, started_ns, finished_ns; /* CLOCK_MONOTONIC; 0 if
				* the phase never happened */
};

struct gb_runner;
struct gb_run;

/* oc is NULL for GB_RUN_STARTED. */
typedef void (*gb_run_event_fn)(struct gb_run *run, enum gb_run_event ev,
				const struct gb_run_outcome *oc, void *arg);

/* A scheduler with `slots` (>= 1) slots. cfg must outlive the runner. */
int gb_runner_new(const struct gb_config *cfg, unsigned slots, struct gb_runner **out,
		  gb_error *err);
/* Kills (SIGKILL) and reaps whatever still runs, without callbacks, then
 * frees. Callers normally kill and drain first. */
void gb_runner_free(struct gb_runner *r);
/* Run `path grade ...` instead of /proc/self/exe: for a program that is
 * not the gradebox binary itself (gradebox-agent). The testing hook
 * GRADEBOX_GRADE_EXEC still wins. */
void gb_runner_set_program(struct gb_runner *r, const char *path);
/* One fd for the caller's poll loop (an epoll fd of the children's pidfds
 * and timers); readable means gb_runner_dispatch has work. */
int gb_runner_fd(const struct gb_runner *r);
/* Reap finished children, escalate kills, start queued runs in free slots.
 * Callbacks run from here (and from gb_runner_submit / gb_run_kill). */
void gb_runner_dispatch(struct gb_runner *r);

/* Queue a job (FIFO). Starts it at once when a slot is free and the
 * runner is not held (the STARTED callback then runs before this
 * returns). *out (may be NULL) stays valid until the FINISHED callback
 * returns. */
int gb_runner_submit(struct gb_runner *r, const struct gb_grade_req *req,
		     gb_run_event_fn fn, void *arg, struct gb_run **out, gb_error *err);
/* Kill a run: a queued one finishes at once with a synthesized `killed`
 * result; a running one gets SIGTERM (then SIGKILL after the grace). */
void gb_run_kill(struct gb_run *run);

/* Hold: start nothing new from the queue (shutdown); release resumes. */
void gb_runner_hold(struct gb_runner *r, bool hold);
unsigned gb_runner_slots(const struct gb_runner *r);
unsigned gb_runner_running(const struct gb_runner *r);
unsigned gb_runner_queued(const struct gb_runner *r);
/* 1-based place of a queued run in the queue, 0 if not queued. */
unsigned gb_run_position(const struct gb_run *run);
enum gb_run_state gb_run_state(const struct gb_run *run);
pid_t gb_run_pid(const struct gb_run *run); /* 0 unless running */
void *gb_run_arg(const struct gb_run *run);

/* Write a result JSON {"result": name, "text": text, "grade": 0, ...} to
 * path atomically (temp file, fsync, rename): what a job gets when no
 * grader produced one. Exposed for callers that refuse a job themselves. */
int gb_runner_write_result(const char *path, const char *name, const char *text,
			   gb_error *err);
/* The same result as a fresh JSON object. */
json_t *gb_runner_make_result(const char *name, const char *text);

#endif
