/* result: the grading result gradebox returns, with INGInious's keys (see
 * the brief's result JSON): built by the grading sandbox (gb_result_set for
 * its own verdicts: timeout, overflow, killed, error...) or from the run
 * file's feedback (gb_feedback_judge, feedback.h), written as JSON or as a
 * short summary for a terminal. */
#ifndef GB_RESULT_H
#define GB_RESULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GB_RESULT_SUCCESS "success"
#define GB_RESULT_FAILED "failed"
#define GB_RESULT_TIMEOUT "timeout"
#define GB_RESULT_OVERFLOW "overflow"
#define GB_RESULT_CRASH "crash"
#define GB_RESULT_KILLED "killed"
#define GB_RESULT_ERROR "error"
/* INGInious's grade when the run file sets none. */
#define GB_RESULT_GRADE_SUCCESS 100.0
#define GB_RESULT_GRADE_OTHER 0.0

struct gb_grade_stats {
	double cpu_time, wall_time;  /* seconds */
	uint64_t memory_peak;        /* bytes */
	unsigned student_runs;
};

struct gb_grade_result {
	char *result, *text;        /* result: success failed timeout overflow crash killed error
				     * (or any string the run file set); init: "error", "" */
	double grade;
	bool grade_set;             /* false: 100 for success, 0 otherwise */
	json_t *problems, *tests, *custom;  /* objects, never NULL after init */
	json_t *state;              /* string */
	char *archive_b64;          /* NULL = null */
	char *out, *err;            /* run file's stdout/stderr (already capped), UTF-8 with
				     * replacement; NULL = "" */
	struct gb_grade_stats stats;
};

void gb_result_init(struct gb_grade_result *r);
/* result + text (printf format); the rest is kept. */
void gb_result_set(struct gb_grade_result *r, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replace the state (a string, e.g. the input's @state, which INGInious
 * keeps when the grading did not finish). */
void gb_result_set_state(struct gb_grade_result *r, const char *state);
/* The grade returned: grade when set, else 100 for success and 0 otherwise. */
double gb_result_grade(const struct gb_grade_result *r);
/* The result as JSON, keys in the brief's order: result, text, grade,
 * problems, tests, custom, state, archive, stdout, stderr, stats. */
json_t *gb_result_json(const struct gb_grade_result *r);
/* A short summary for a terminal: result and grade, the feedback text,
 * one line per problem. 0, or -1 with errno on a write error. */
int gb_result_write_human(FILE *f, const struct gb_grade_result *r);
/* buf[0..len) decoded as UTF-8 with every invalid sequence replaced by
 * U+FFFD (Python's decode(errors="replace")); malloc'd, NUL-terminated, NUL
 * bytes kept as they are. NULL on OOM. */
char *gb_utf8_sanitize(const char *buf, size_t len);
void gb_result_free(struct gb_grade_result *r);

#include "feedback.h"

#endif
