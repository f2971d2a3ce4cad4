/* outfile: files gradebox writes on the host for its caller (--stdout,
 * --stderr, --meta; later results, spool files and archives). A sandbox that
 * could write into such a directory (a previous run's :rw bind) could plant a
 * symlink and make host root overwrite any file; so:
 *  - the path is walked as written, one component at a time, and every
 *    directory looked into must not be writable by a sandbox id (owner or
 *    group at or above uid_base, or world-writable without the sticky bit),
 *    so nothing a sandbox planted is ever resolved; the admin's own symlinks
 *    are followed, but only out of such safe directories;
 *  - the parent stays held (O_PATH) and the file is opened relative to it
 *    with O_NOFOLLOW, must be a regular file with one link not owned by a
 *    sandbox id, and is truncated only once checked (never a FIFO/device);
 *  - whole-file results (meta) are written to a temporary name in the held
 *    directory and renamed over the target. */
#ifndef GB_OUTFILE_H
#define GB_OUTFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct gb_outfile {
	const char *path;        /* as given, for messages */
	char name[NAME_MAX + 1]; /* last component */
	int dirfd;               /* the parent directory, held (O_PATH) */
	uid_t sandbox_ids;       /* ids from here up are sandbox ids (uid_base) */
	bool replace;            /* set before prepare: written by gb_outfile_replace */
};

/* Resolve and check the parent of path and any file already there; nothing
 * is created. f->dirfd is -1 on failure. */
int gb_outfile_prepare(struct gb_outfile *f, const char *path, uid_t sandbox_ids,
		       gb_error *err);
/* Create or truncate the file: returns a write-only fd or -1. */
int gb_outfile_open(const struct gb_outfile *f, gb_error *err);
/* Replace the file's content atomically with data. */
int gb_outfile_replace(const struct gb_outfile *f, const void *data, size_t len,
		       gb_error *err);
void gb_outfile_close(struct gb_outfile *f);

/* prepare + open in one: an fd for path, or -1. */
int gb_open_output(const char *path, uid_t sandbox_ids, gb_error *err);

#endif
