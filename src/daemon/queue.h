/* queue: the queue daemon's jobs. It accepts a job (from the socket or
 * the spool's incoming/), makes it durable (spool.h), hands it to the
 * runner's slots, and when the grader is done writes the result with the
 * job's id and timestamps to done/ID.json, logs one line, counts it.
 *
 * A job's states: queued -> grading -> done (its result in done/). At
 * shutdown, jobs still grading after the grace are killed and "requeued":
 * their records stay, so the next start grades them again. */
#ifndef GB_QUEUE_H
#define GB_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "jobspec.h"
#include "metrics.h"
#include "runner.h"
#include "spool.h"

/* A job the daemon stopped (SIGKILL, power loss) this many times while it
 * graded is not graded again: it ends as `error` with why. */
#define GB_QUEUE_MAX_TRIES 3

struct gb_queue_opts {
	unsigned slots;
	uint64_t queue_max;       /* jobs waiting at most */
	const char *spool_dir;
	gid_t gid;                /* group of the spool, -1 = unchanged */
	FILE *log;                /* one line per job */
};

struct gb_queue;

/* The server's hook: a job started grading (result NULL) or is done. */
typedef void (*gb_queue_event_fn)(void *ctx, const char *id, json_t *result);

int gb_queue_open(const struct gb_config *cfg, const struct gb_queue_opts *o,
		  struct gb_queue **out, gb_error *err);
/* Kill every grader (SIGKILL), free everything; records stay for later. */
void gb_queue_free(struct gb_queue *q);
void gb_queue_set_hook(struct gb_queue *q, gb_queue_event_fn fn, void *ctx);

/* Queue again what the spool holds (at start), then read incoming/. */
int gb_queue_recover(struct gb_queue *q, gb_error *err);
/* Take what incoming/ holds, as far as the queue bound allows. */
void gb_queue_ingest(struct gb_queue *q);
int gb_queue_runner_fd(const struct gb_queue *q);
int gb_queue_spool_fd(const struct gb_queue *q);   /* readable: incoming/ changed */
void gb_queue_dispatch(struct gb_queue *q);        /* runner fd readable */
void gb_queue_spool_event(struct gb_queue *q);     /* spool fd readable */
/* Periodic chores: expire old results (done_keep), retry incoming/. */
void gb_queue_tick(struct gb_queue *q);

/* Submit a job object; id_out gets its id. Refusals (bad job, queue
 * full, memory) say why in err. */
int gb_queue_submit(struct gb_queue *q, json_t *job, char id_out[GB_JOB_ID_MAX],
		    gb_error *err);
/* {"id", "state": queued|grading|done, "position", "queued", "started",
 * "finished", "result", "grade"}; NULL for an unknown id. */
json_t *gb_queue_status(struct gb_queue *q, const char *id);
/* The result of a done job (a new reference), NULL if not done. */
json_t *gb_queue_result(struct gb_queue *q, const char *id);
/* Kill a queued or grading job. -1 for an unknown or finished one. */
int gb_queue_kill(struct gb_queue *q, const char *id, gb_error *err);
json_t *gb_queue_list(struct gb_queue *q);   /* the jobs not done yet */
json_t *gb_queue_summary(struct gb_queue *q);
char *gb_queue_metrics(struct gb_queue *q);

/* Shutdown: start nothing new; kill_running kills what still grades and
 * marks it requeued. */
void gb_queue_stop(struct gb_queue *q);
void gb_queue_kill_running(struct gb_queue *q);
unsigned gb_queue_running(const struct gb_queue *q);

#endif
