/* fuzz_task_yaml: a task.yaml through gb_task_parse (what gb_task_load does
 * after reading the file), and the same bytes as `grade --params` JSON
 * through gb_task_apply_params. Checks what a loaded task promises the
 * grading sandbox: limits in range, hard time set, problem ids strings. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "task.h"

/* Messages are one line. */
static void check_message(const char *msg)
{
	for (; *msg; msg++)
		if ((unsigned char)*msg < 0x20)
			abort();
}

static void check(const struct gb_task *t)
{
	const struct gb_task_limits *l = &t->limits;

	if (!(l->time > 0) || l->time > GB_TASK_MAX_TIME || !(l->hard_time > 0) ||
	    l->hard_time > GB_TASK_MAX_TIME * GB_TASK_HARD_TIME_FACTOR ||
	    l->memory_mb < GB_TASK_MIN_MEMORY_MB || l->memory_mb > GB_TASK_MAX_MB ||
	    l->disk_mb < 1 || l->disk_mb > GB_TASK_MAX_MB || l->output_bytes < (1u << 20) ||
	    l->output_bytes > GB_TASK_MAX_MB << 20 || t->input_random > GB_TASK_MAX_INPUT_RANDOM)
		abort();
	if (t->run_cmd && !t->run_cmd[0])
		abort(); /* '' is unset, never an empty command */
	if (t->nproblems && !t->problem_ids)
		abort();
	for (size_t i = 0; i < t->nproblems; i++)
		if (!t->problem_ids[i])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_task t;
	gb_error err;

	if (gb_task_parse((const char *)data, size, "task.yaml", &t, &err) == 0) {
		check(&t);
		if (gb_task_apply_params(&t, (const char *)data, size, "params.json", &err) == 0)
			check(&t);
		else if (strncmp(err.msg, "params.json", strlen("params.json")))
			abort(); /* every message names the file */
		else
			check_message(err.msg);
	} else if (strncmp(err.msg, "task.yaml", strlen("task.yaml"))) {
		abort();
	} else {
		check_message(err.msg);
	}
	gb_task_free(&t);
	return 0;
}
