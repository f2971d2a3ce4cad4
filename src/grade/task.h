/* task: an INGInious task.yaml, read with libyaml, in both the current form
 * (environment_type, environment_id, environment_parameters: {limits,
 * run_cmd, network_grading}) and the legacy one (top-level environment,
 * limits, run_cmd, network_grading), with INGInious's defaults; and the
 * environment_parameters JSON object the agent and `grade --params` give,
 * which replaces the file's. docs/gradebox-task.yaml.5 is the reference. */
#ifndef GB_TASK_H
#define GB_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* INGInious's defaults (its agent; output as its legacy editor). */
#define GB_TASK_DEFAULT_TIME 30.0          /* CPU seconds */
#define GB_TASK_HARD_TIME_FACTOR 3.0       /* hard (wall) time = 3 x time when unset */
#define GB_TASK_DEFAULT_MEMORY_MB 200
#define GB_TASK_DEFAULT_DISK_MB 1024
#define GB_TASK_DEFAULT_OUTPUT_MB 2
/* INGInious's agent raises a smaller memory limit to this. */
#define GB_TASK_MIN_MEMORY_MB 20
/* Bounds that keep every conversion (seconds to ns, MB to bytes) exact and
 * far from overflow: a week, and a petabyte. */
#define GB_TASK_MAX_TIME (7.0 * 24 * 3600)
#define GB_TASK_MAX_MB (UINT64_C(1) << 30)
/* How many @random floats a task may ask for. */
#define GB_TASK_MAX_INPUT_RANDOM 1000
/* task.yaml files larger than this are refused (real ones are < 100 KiB). */
#define GB_TASK_YAML_MAX (4u << 20)
/* Deeper YAML nesting is refused before the tree is built (real files
 * nest 5 levels). */
#define GB_TASK_YAML_MAX_DEPTH 64
#define GB_TASK_FILE "task.yaml"

struct gb_task_limits {
	double time, hard_time;     /* seconds; hard_time already defaulted */
	uint64_t memory_mb, disk_mb, output_bytes;
};

struct gb_task {
	char *environment_type;   /* NULL if absent */
	char *environment_id;     /* image name or INGInious label; NULL = the default image */
	struct gb_task_limits limits; /* INGInious defaults applied: 30 s, 3 x time,
				       * 200 MB, 1024 MB, 2 MiB */
	char *run_cmd;            /* NULL when unset or '' */
	bool network_grading;
	char **problem_ids;       /* `problems:` keys in file order */
	size_t nproblems;
	unsigned input_random;    /* task.yaml input_random (number of @random floats), 0 default */
};

/* Read <task dir>/task.yaml through task_dirfd (openat O_NOFOLLOW|O_CLOEXEC,
 * a regular file of at most GB_TASK_YAML_MAX bytes); `shown` is the path
 * used in messages. Numbers may be ints, floats or strings ("30"); null and
 * hard_time '' mean unset; unknown fields are ignored. Errors fill err with
 * one line starting with `shown`: "task.yaml:4:11: limits.time: 'abc' is
 * not a number", libyaml's problem and mark for a syntax error. On error
 * *t is left empty (safe to gb_task_free). */
int gb_task_load(int task_dirfd, const char *shown, struct gb_task *t, gb_error *err);
/* The same from a buffer (tests, fuzzing): text[0..len) is the file. */
int gb_task_parse(const char *text, size_t len, const char *shown, struct gb_task *t,
		  gb_error *err);
/* Replace the environment parameters (limits, run_cmd, network_grading: all
 * of them, absent ones back to their defaults) from an INGInious
 * environment_parameters JSON object (text[0..len)), as `gradebox grade
 * --params FILE` and the agent give it; `shown` names the file in errors
 * ("params.json: limits.memory: 'x' is not a number"). *t is unchanged on
 * error. */
int gb_task_apply_params(struct gb_task *t, const char *json, size_t len, const char *shown,
			 gb_error *err);
/* The defaults alone (a task with no task.yaml fields). */
void gb_task_limits_default(struct gb_task_limits *l);
void gb_task_free(struct gb_task *t);

#endif
