/* fuzz_feedback: a feedback file (written by the run file, so hostile)
 * through gb_feedback_judge. Whatever it holds, the result must be
 * complete and valid JSON: a result and a text, a finite grade, the
 * objects, a string state, every key of the result JSON. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "result.h"

#define GB_RESULT_KEYS 11

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_grade_result r;
	json_t *j;
	char *s;

	gb_result_init(&r);
	gb_feedback_judge((const char *)data, size, true, &r);
	if (!r.result || !r.text || !r.grade_set || !isfinite(r.grade) ||
	    !json_is_object(r.problems) || !json_is_object(r.tests) || !json_is_object(r.custom) ||
	    !json_is_string(r.state))
		abort();
	j = gb_result_json(&r);
	if (!j || json_object_size(j) != GB_RESULT_KEYS)
		abort();
	s = json_dumps(j, JSON_COMPACT);
	if (!s)
		abort();
	free(s);
	json_decref(j);
	gb_result_free(&r);
	return 0;
}
