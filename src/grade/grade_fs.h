/* grade_fs: the files of a grading job on its tmpfs (gb_job_scratch) and
 * the binds that show them in the grading sandbox:
 *   input/    -> /.__input  (read-only: __inputdata.json, __inputfile_N)
 *   output/   -> /.__output (the feedback file)
 *   archive/  -> /archive
 *   student/  -> /task/student, shared with the job's student sandboxes
 *   hosts, resolv.conf -> /etc/... when the task has systemfiles/
 * The supervisor writes them before the run and reads them after it only
 * through the tmpfs root it holds, never through a path, and never
 * following a symlink the sandbox may have planted. */
#ifndef GB_GRADE_FS_H
#define GB_GRADE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "input.h"
#include "mount.h"

#define GB_GRADE_IN_DIR "input"
#define GB_GRADE_OUT_DIR "output"
#define GB_GRADE_ARCHIVE_DIR "archive"
#define GB_GRADE_STUDENT_DIR "student"
#define GB_GRADE_FEEDBACK "__feedback.json"
/* The run file's user and group inside, as INGInious names it (worker). */
#define GB_GRADE_WORKER 4242u

/* Ids of files the supervisor makes for the sandbox: host ids of the
 * sandbox's uid slot, or (for an idmapped tree) the ids inside. */
struct gb_grade_ids {
	uid_t root;    /* host id of root inside */
	uid_t worker;  /* host id of the worker */
	bool student_idmapped; /* student/ idmaps: its files carry inside ids */
};

/* Write input/ (the input document and the uploads) and make output/,
 * archive/ and student/ for the worker. */
int gb_grade_fs_prepare(int scratch, const struct gb_input *in, const struct gb_grade_ids *ids,
			gb_error *err);
/* A detached tree of scratch/name to bind (one per sandbox). */
int gb_grade_fs_tree(int scratch, const char *name, gb_error *err);
/* The task's systemfiles/hosts and resolv.conf, as INGInious applies them:
 * hosts appended to the usual localhost lines, resolv.conf replaced. Each
 * present one is written to scratch and its name put in names[] (NULL
 * otherwise). */
int gb_grade_fs_systemfiles(int scratch, int task_fd, const char *names[2], gb_error *err);
/* Read a file the sandbox could have written (scratch/dir/name): a regular
 * file reached without any symlink, at most max bytes (*len = max + 1 when
 * longer). 0 = read, 1 = absent, -1 = unreadable (err says why). */
int gb_grade_fs_read(int scratch, const char *path, size_t max, char **out, size_t *len,
		     gb_error *err);

#endif
