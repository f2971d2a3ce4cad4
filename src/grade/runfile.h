/* runfile: the command that starts a grading (runfile.c says how INGInious
 * picks it). */
#ifndef GB_RUNFILE_H
#define GB_RUNFILE_H

#include <stddef.h>

#include "error.h"

#define GB_RUNFILE_MAX_ARGS 256

struct gb_runfile {
	char *argv[GB_RUNFILE_MAX_ARGS];
	size_t argc;
};

/* task_fd and common_fd: the task dir and the course's $common (-1 if
 * none). 0 = found (r->argv), 1 = no run file, -1 = error. */
int gb_runfile_find(const char *run_cmd, int task_fd, int common_fd, struct gb_runfile *r,
		    gb_error *err);
void gb_runfile_free(struct gb_runfile *r);

#endif
