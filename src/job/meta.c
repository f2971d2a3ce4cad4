/* meta: the --meta FILE JSON object of the contract. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "outfile.h"
#include "supervisor.h"
#include "util.h"

int gb_meta_write(const struct gb_outfile *f, const struct gb_result *r, gb_error *err)
{
	json_t *o = json_pack("{s:s, s:i, s:i, s:f, s:f, s:I, s:b, s:o, s:b, s:b, s:s}",
			      "status", gb_status_name(r->status), "exit_code", r->exit_code,
			      "signal", r->signal, "cpu_time", r->cpu_time, "wall_time",
			      r->wall_time, "memory_peak", (json_int_t)r->memory_peak,
			      "oom_killed", r->oom_killed, "timeout",
			      r->timeout ? json_string(r->timeout) : json_null(),
			      "output_truncated", r->output_truncated, "disk_full", r->disk_full,
			      "message", r->message);
	_cleanup_free_ char *text = NULL;

	if (!o)
		return gb_fail(err, ENOMEM, "build meta JSON");
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (!text)
		return gb_fail(err, ENOMEM, "build meta JSON");
	/* Whole or not at all: a reader never sees half a result. */
	if (gb_outfile_replace(f, text, strlen(text), err) < 0)
		return gb_context(err, "--meta");
	return 0;
}
