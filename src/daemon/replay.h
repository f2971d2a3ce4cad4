/* replay: `gradebox test` — a course's recorded submissions graded again and
 * compared with what INGInious gave them (issue 14).
 *
 * gb_replay_collect finds and parses every `<task>/test/NAME.test` of the
 * course (a broken file becomes a BROKEN submission, never a failure);
 * gb_replay_run grades each with one `gradebox grade` child, at most `jobs`
 * at once, and compares; gb_replay_update writes the new results back into
 * the files that differ; replay_report prints and dumps the outcome. */
#ifndef GB_REPLAY_H
#define GB_REPLAY_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "testfile.h"

enum gb_replay_status {
	GB_REPLAY_PENDING,
	GB_REPLAY_SAME,
	GB_REPLAY_DIFFERENT,
	GB_REPLAY_ERROR,  /* could not be graded */
	GB_REPLAY_BROKEN, /* the .test file does not parse */
};

struct gb_replay_sub {
	char *task;   /* the task's directory name */
	char *file;   /* TASK/test/NAME.test, relative to the course */
	char *text;   /* the file as read */
	size_t len;
	struct gb_testfile tf;
	enum gb_replay_status status;
	json_t *result;   /* the new result (SAME, DIFFERENT) */
	json_t *diffs;    /* gb_testfile_compare's list */
	char *message;    /* ERROR, BROKEN: one line */
	unsigned line, column;
	bool updated;     /* rewritten by gb_replay_update */
};

struct gb_replay {
	char *course;   /* as given */
	int coursefd;   /* held for the whole run */
	char **tasks;   /* every task looked at, in order */
	size_t ntasks;
	struct gb_replay_sub *subs;
	size_t nsubs;
};

/* Find the recordings of the named tasks (all tasks when ntasks is 0). Fails
 * on a course or a named task that does not exist, or with no recording. */
int gb_replay_collect(struct gb_replay *r, const char *course, char *const *tasks,
		      size_t ntasks, gb_error *err);
void gb_replay_free(struct gb_replay *r);

/* The default -j: one per CPU, no more than the host's available memory
 * holds at a grading sandbox's default limit. *capped says memory lowered it. */
unsigned gb_replay_jobs(unsigned wanted, bool *capped);

/* Called after every graded submission, for a progress bar. */
typedef void gb_replay_progress_fn(void *ctx, size_t done, size_t total);

/* Grade every parsed submission with `gradebox grade` (runner.h), jobs at a
 * time. Fails only
 * when the run itself cannot go on (no temporary directory, interrupted);
 * a submission that cannot be graded is an ERROR. */
int gb_replay_run(struct gb_replay *r, const struct gb_config *cfg, unsigned jobs,
		  gb_replay_progress_fn *progress, void *ctx, gb_error *err);

/* Rewrite every DIFFERENT file with its new result; uid_base: files owned
 * by sandbox ids are never written (outfile.h). */
int gb_replay_update(struct gb_replay *r, uid_t uid_base, size_t *written, gb_error *err);

/* replay_report.c: what the user reads. verbose shows personal data. */
struct gb_replay_counts {
	size_t graded, same, different, errors;
};
void gb_replay_count(const struct gb_replay *r, const char *task, struct gb_replay_counts *c);
void gb_replay_print_lines(const struct gb_replay *r, FILE *out, bool verbose);
void gb_replay_print_table(const struct gb_replay *r, FILE *out);
json_t *gb_replay_json(const struct gb_replay *r, bool verbose);

#endif
