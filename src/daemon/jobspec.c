/* jobspec: see jobspec.h. */
#include "jobspec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "task.h"
#include "util.h"

/* Limits past these are typos (a year of CPU, a petabyte). */
#define JOBSPEC_MAX_SECONDS (365.0 * 24 * 3600)
#define JOBSPEC_MAX_MB (1ull << 30)
#define JOBSPEC_MAX_OUTPUT (1ull << 40)

bool gb_job_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= GB_JOB_ID_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* A number or a numeric string, in [0, max]. */
static int get_number(json_t *v, const char *field, double max, double *out, gb_error *err)
{
	double d;

	if (json_is_number(v))
		d = json_number_value(v);
	else if (!json_is_string(v) || gb_parse_double(json_string_value(v), &d) < 0)
		return gb_fail(err, 0, "%s must be a number", field);
	if (!(d >= 0 && d <= max))
		return gb_fail(err, 0, "%s must be between 0 and %g", field, max);
	*out = d;
	return 0;
}

static int get_path(json_t *job, const char *key, bool required, const char **out,
		    gb_error *err)
{
	json_t *v = json_object_get(job, key);

	*out = NULL;
	if (!v) {
		if (required)
			return gb_fail(err, 0, "field \"%s\" is missing", key);
		return 0;
	}
	if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
	    strlen(json_string_value(v)) >= PATH_MAX || strlen(json_string_value(v)) != json_string_length(v))
		return gb_fail(err, 0, "field \"%s\" must be an absolute path", key);
	*out = json_string_value(v);
	return 0;
}

static int parse_limits(json_t *lim, struct gb_jobspec *spec, gb_error *err)
{
	static const char *const known[] = { "time", "hard_time", "memory", "disk", "output" };
	double *dst[] = { &spec->time, &spec->hard_time, NULL, NULL, NULL };
	double max[] = { JOBSPEC_MAX_SECONDS, JOBSPEC_MAX_SECONDS, JOBSPEC_MAX_MB,
			 JOBSPEC_MAX_MB, JOBSPEC_MAX_OUTPUT };
	uint64_t *whole[] = { NULL, NULL, &spec->memory_mb, &spec->disk_mb, &spec->output_bytes };
	const char *key;
	json_t *v;
	char field[80];

	if (!json_is_object(lim))
		return gb_fail(err, 0, "field \"limits\" must be an object");
	json_object_foreach(lim, key, v) {
		size_t i;
		double d = 0;

		for (i = 0; i < GB_ARRAY_SIZE(known) && strcmp(key, known[i]); i++)
			;
		if (i == GB_ARRAY_SIZE(known))
			return gb_fail(err, 0, "field \"limits\": unknown limit \"%.40s\"", key);
		snprintf(field, sizeof(field), "field \"limits.%s\"", key);
		if (get_number(v, field, max[i], &d, err) < 0)
			return -1;
		if (dst[i])
			*dst[i] = d;
		else
			*whole[i] = (uint64_t)d;
	}
	return 0;
}

int gb_jobspec_parse(json_t *job, struct gb_jobspec *spec, gb_error *err)
{
	static const char *const known[] = { "task", "course", "input", "params", "image",
					     "limits" };
	const char *key;
	json_t *v, *in;

	memset(spec, 0, sizeof(*spec));
	if (!json_is_object(job))
		return gb_fail(err, 0, "a job must be a JSON object");
	json_object_foreach(job, key, v) {
		size_t i;
		for (i = 0; i < GB_ARRAY_SIZE(known) && strcmp(key, known[i]); i++)
			;
		if (i == GB_ARRAY_SIZE(known))
			return gb_fail(err, 0, "unknown field \"%.40s\"", key);
	}
	if (get_path(job, "task", true, &spec->task, err) < 0 ||
	    get_path(job, "course", false, &spec->course, err) < 0)
		return -1;
	in = json_object_get(job, "input");
	if (!in)
		return gb_fail(err, 0, "field \"input\" is missing");
	if (json_is_object(in) && json_object_size(in) == 1 &&
	    json_is_object(json_object_get(in, "input")))
		in = json_object_get(in, "input");
	if (!json_is_object(in))
		return gb_fail(err, 0, "field \"input\" must be an object");
	spec->input = in;
	v = json_object_get(job, "params");
	if (v && !json_is_object(v))
		return gb_fail(err, 0, "field \"params\" must be an object");
	spec->params = v;
	v = json_object_get(job, "image");
	if (v && (!json_is_string(v) || !json_string_length(v) ||
		  json_string_length(v) != strlen(json_string_value(v))))
		return gb_fail(err, 0, "field \"image\" must be a non-empty string");
	spec->image = v ? json_string_value(v) : NULL;
	v = json_object_get(job, "limits");
	if (v && parse_limits(v, spec, err) < 0)
		return -1;
	spec->job = json_incref(job);
	return 0;
}

void gb_jobspec_clear(struct gb_jobspec *spec)
{
	json_decref(spec->job);
	memset(spec, 0, sizeof(*spec));
}

int gb_jobspec_check_memory(const struct gb_jobspec *spec, uint64_t host_bytes,
			    gb_error *err)
{
	struct gb_task t = { 0 };
	_cleanup_close_ int fd = -1;
	uint64_t mb = spec->memory_mb;

	if (!mb) {
		/* What grade will apply: task.yaml's, replaced by the params'. */
		fd = open(spec->task, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return gb_fail_errno(err, "field \"task\": %s", spec->task);
		if (gb_task_load(fd, spec->task, &t, err) < 0)
			return -1;
		if (spec->params) {
			_cleanup_free_ char *p = json_dumps(spec->params, JSON_COMPACT);
			if (!p || gb_task_apply_params(&t, p, strlen(p), "field \"params\"", err) < 0) {
				gb_task_free(&t);
				return p ? -1 : gb_fail(err, ENOMEM, "params");
			}
		}
		mb = t.limits.memory_mb;
		gb_task_free(&t);
	}
	if ((double)mb * 1024 * 1024 > (double)host_bytes)
		return gb_fail(err, 0, "the job's memory limit (%llu MB) is more than this host "
			       "has (%llu MB): it could never run", (unsigned long long)mb,
			       (unsigned long long)(host_bytes >> 20));
	return 0;
}

void gb_jobspec_request(const struct gb_jobspec *spec, const char *input_file,
			const char *params_file, const char *result_file,
			struct gb_grade_req *req)
{
	memset(req, 0, sizeof(*req));
	req->task_dir = spec->task;
	req->course_dir = spec->course;
	req->image = spec->image;
	req->input_file = input_file;
	req->params_file = spec->params ? params_file : NULL;
	req->result_file = result_file;
	req->time = spec->time;
	req->hard_time = spec->hard_time;
	req->memory_mb = spec->memory_mb;
	req->disk_mb = spec->disk_mb;
	req->output_bytes = spec->output_bytes;
}
