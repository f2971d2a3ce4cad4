/* spool: the queue daemon's directory, its only durable state.
 *
 *   SPOOL/lock          flock'd by the one daemon that serves it
 *   SPOOL/incoming/     clients drop jobs here: write ".NAME" (a dot name is
 *                       never read), then rename it to "ID.json"
 *   SPOOL/jobs/ID.job   an accepted job: {"id", "seq", "queued_at", "job"};
 *                       written with fsync + rename before the job is
 *                       acknowledged (socket) or its incoming file removed
 *   SPOOL/jobs/ID.params, ID.result
 *                       what one grading attempt reads and writes (remade
 *                       from ID.job on every attempt; the input goes to the
 *                       grader through a memfd, never the disk)
 *   SPOOL/tries         a line per grading attempt started (bounds a job
 *                       that keeps taking the daemon down)
 *   SPOOL/done/ID.json  the result, fsync'd and renamed into place; only
 *                       then are the jobs/ID.* files removed
 *
 * Recovery is therefore: every ID.job without done/ID.json is queued
 * again, in seq order; one with done/ID.json is finished (its leftovers
 * are removed). Nothing is lost and nothing is graded twice into done/.
 *
 * The spool's directories are reached through held fds; an incoming entry
 * is opened with O_NOFOLLOW | O_NONBLOCK and must be a regular file with a
 * single link, of bounded size: whoever can write incoming/ cannot make the
 * daemon (root) read a file through a symlink or a hard link, block on a
 * FIFO, or swallow a huge file. */
#ifndef GB_SPOOL_H
#define GB_SPOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

/* A job file or socket message larger than this is refused unread. */
#define GB_SPOOL_JOB_MAX (16u << 20)
#define GB_SPOOL_RESULT_MAX (256u << 20)

struct gb_spool {
	char path[PATH_MAX];
	int fd, incoming_fd, jobs_fd, done_fd, lock_fd;
	int inotify_fd;  /* readable when something arrived in incoming/ */
};

/* Make (if needed) and lock the spool; gid (or -1) owns what clients use. */
int gb_spool_open(struct gb_spool *sp, const char *path, gid_t gid, gb_error *err);
void gb_spool_close(struct gb_spool *sp);
/* Drain the inotify fd: GB_SPOOL_COMPLETE when a file was renamed into
 * incoming/ or closed after writing (or events were lost), GB_SPOOL_CREATED
 * when an entry was created (a symlink, a hard link, a FIFO made in place,
 * or a file still being written). */
#define GB_SPOOL_COMPLETE 1
#define GB_SPOOL_CREATED 2
int gb_spool_arrived(struct gb_spool *sp);
/* An entry that will be refused whatever its content (not a regular file,
 * or more than one link): taken at once, not when it is complete. */
bool gb_spool_refusable(struct gb_spool *sp, const char *name);

/* Replace dirfd/name atomically (temp name, rename); durable = fsync the
 * file before and the directory after. */
int gb_spool_write(int dirfd, const char *name, const char *data, size_t len, bool durable,
		   gb_error *err);
int gb_spool_write_json(int dirfd, const char *name, json_t *o, bool durable, gb_error *err);

/* The names in incoming/ (no dot names), oldest first. Free with
 * gb_spool_names_free. */
int gb_spool_incoming(struct gb_spool *sp, char ***names, size_t *n, gb_error *err);
void gb_spool_names_free(char **names, size_t n);
/* Read and parse one incoming job. The error says what is wrong (not a
 * regular file, too large, bad JSON with its line). */
int gb_spool_read_incoming(struct gb_spool *sp, const char *name, json_t **job,
			   gb_error *err);
/* Remove an incoming entry (never follows it) and make that durable. */
void gb_spool_take_incoming(struct gb_spool *sp, const char *name);

/* Every job record (jobs/ *.job), in seq order. */
int gb_spool_records(struct gb_spool *sp, json_t ***recs, size_t *n, gb_error *err);
bool gb_spool_done_exists(struct gb_spool *sp, const char *id);
int gb_spool_read_done(struct gb_spool *sp, const char *id, json_t **out, gb_error *err);
/* jobs/ID.EXT as a path grade can open (the spool is root's). */
void gb_spool_job_path(const struct gb_spool *sp, const char *id, const char *ext, char *buf,
		       size_t size);
/* Remove jobs/ID.* (after the result is in done/). */
void gb_spool_forget(struct gb_spool *sp, const char *id);
/* Attempts recorded for id in SPOOL/tries; gb_spool_try adds one, reset
 * takes one back (a graceful requeue); compact keeps the lines of the jobs
 * still recorded (at start, after recovery). */
unsigned gb_spool_tries(struct gb_spool *sp, const char *id);
void gb_spool_tries_compact(struct gb_spool *sp);
void gb_spool_try(struct gb_spool *sp, const char *id);
void gb_spool_tries_reset(struct gb_spool *sp, const char *id);
/* Remove results older than keep seconds; returns how many. */
unsigned gb_spool_expire(struct gb_spool *sp, double keep);

#endif
