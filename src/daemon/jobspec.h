/* jobspec: what a queue job is, as a client writes it (a spool file or a
 * socket `submit`), checked field by field:
 *
 *   {"task": "/abs/task/dir", "course": "/abs/course/dir",   (optional)
 *    "input": {problem_id: value, ...},   (or {"input": {...}} inside)
 *    "params": {environment_parameters},  (optional, INGInious's shape)
 *    "image": "environment name",         (optional)
 *    "limits": {"time": s, "hard_time": s, "memory": MB, "disk": MB,
 *               "output": bytes}}         (optional overrides)
 *
 * Numbers may be JSON numbers or numeric strings, as in task.yaml. */
#ifndef GB_JOBSPEC_H
#define GB_JOBSPEC_H

#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "runner.h"

/* The longest job id: a spool file name without ".json". */
#define GB_JOB_ID_MAX 64

struct gb_jobspec {
	json_t *job;      /* the whole checked job object (owned) */
	const char *task, *course, *image; /* point into job */
	json_t *input;    /* the input map (borrowed from job) */
	json_t *params;   /* NULL or an object (borrowed) */
	double time, hard_time;
	uint64_t memory_mb, disk_mb, output_bytes;
};

/* Check a job object (takes a reference of its own). The error names the
 * field and what is wrong with it. */
int gb_jobspec_parse(json_t *job, struct gb_jobspec *spec, gb_error *err);
void gb_jobspec_clear(struct gb_jobspec *spec);
/* Refuse a job whose memory limit (its limits, else its params', else its
 * task.yaml's, as grade applies them) is more than the host has. A task
 * directory or task.yaml grade could not read is refused here as well. */
int gb_jobspec_check_memory(const struct gb_jobspec *spec, uint64_t host_bytes,
			    gb_error *err);
/* A grade request for spec; paths are the caller's, valid while spec is. */
void gb_jobspec_request(const struct gb_jobspec *spec, const char *input_file,
			const char *params_file, const char *result_file,
			struct gb_grade_req *req);
/* Is s a valid job id: 1..GB_JOB_ID_MAX-1 of [A-Za-z0-9_.-], not starting
 * with '.'? */
bool gb_job_id_valid(const char *s);

#endif
