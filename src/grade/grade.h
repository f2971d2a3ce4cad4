/* grade: one INGInious submission graded in a grading sandbox (the life of
 * a grading job is told at the top of grade.c). */
#ifndef GB_GRADE_H
#define GB_GRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "result.h"

struct gb_grade_request {
	const char *task_dir;     /* as given */
	const char *course_dir;   /* NULL: the task dir's parent */
	const char *input;        /* the input file's text, and its name for messages */
	size_t input_len;
	const char *input_name;
	const char *params;       /* NULL, or environment_parameters JSON replacing task.yaml's */
	size_t params_len;
	const char *params_name;
	const char *image;        /* NULL, or the environment replacing task.yaml's */
	/* Overrides from the command line (0 = task.yaml's). */
	double time, hard_time;
	uint64_t memory_mb, disk_mb, output_bytes;
	bool debug;
};

/* Grade. A result is always filled in: `error` with a message naming the
 * file and the field when gradebox could not grade (then -1), else what the
 * run file and the limits made of it (0). */
int gb_grade(const struct gb_config *cfg, const struct gb_grade_request *req,
	     struct gb_grade_result *res, gb_error *err);

#endif
