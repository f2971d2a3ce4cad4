/* Unit tests: the grading result (src/grade/result.c): defaults, the JSON
 * with the brief's keys in order, the terminal summary, UTF-8 repair of
 * the run file's output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "result.h"
#include "tap.h"

static char *compact(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));

	json_decref(j);
	return s;
}

static bool sanitizes_to(const char *in, size_t len, const char *want)
{
	char *s = gb_utf8_sanitize(in, len);
	bool ok = s && !strcmp(s, want);

	free(s);
	return ok;
}

static char *human(const struct gb_grade_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	gb_result_write_human(f, r);
	fclose(f);
	return buf;
}

#define FFFD "\xef\xbf\xbd"

int main(void)
{
	struct gb_grade_result r;
	char *s;
	FILE *full;

	TAP_PLAN(23);

	gb_result_init(&r);
	TAP_OK(!strcmp(r.result, "error") && !strcmp(r.text, "") && json_is_object(r.problems) &&
		       json_is_object(r.tests) && json_is_object(r.custom) &&
		       !strcmp(json_string_value(r.state), "") && !r.archive_b64,
	       "init: result error, empty text, empty objects, state ''");
	s = compact(gb_result_json(&r));
	TAP_OK(s && !strcmp(s, "{\"result\":\"error\",\"text\":\"\",\"grade\":0.0,\"problems\":{},"
				"\"tests\":{},\"custom\":{},\"state\":\"\",\"archive\":null,"
				"\"stdout\":\"\",\"stderr\":\"\",\"stats\":{\"cpu_time\":0.0,"
				"\"wall_time\":0.0,\"memory_peak\":0,\"student_runs\":0}}"),
	       "JSON: every key, in the brief's order, archive null");
	free(s);

	gb_result_set(&r, GB_RESULT_TIMEOUT, "CPU time limit of %d s exceeded", 30);
	TAP_OK(!strcmp(r.result, "timeout") && !strcmp(r.text, "CPU time limit of 30 s exceeded"),
	       "set: result and formatted text");
	TAP_OK(gb_result_grade(&r) == 0, "no grade set, not success: 0");
	gb_result_set(&r, GB_RESULT_SUCCESS, "%s", "");
	TAP_OK(gb_result_grade(&r) == 100, "no grade set, success: 100");
	r.grade = 42.5;
	r.grade_set = true;
	TAP_OK(gb_result_grade(&r) == 42.5, "a set grade is returned as is");

	gb_result_set_state(&r, "s1");
	r.archive_b64 = strdup("H4sIAAAA");
	r.out = strdup("hello\n");
	r.err = strdup("warn\n");
	r.stats.cpu_time = 1.5;
	r.stats.wall_time = 2.25;
	r.stats.memory_peak = 1048576;
	r.stats.student_runs = 3;
	json_object_set_new(r.problems, "q1", json_pack("[ss]", "success", "ok"));
	s = compact(gb_result_json(&r));
	TAP_OK(s && !strcmp(s, "{\"result\":\"success\",\"text\":\"\",\"grade\":42.5,\"problems\":"
				"{\"q1\":[\"success\",\"ok\"]},\"tests\":{},\"custom\":{},\"state\":"
				"\"s1\",\"archive\":\"H4sIAAAA\",\"stdout\":\"hello\\n\",\"stderr\":"
				"\"warn\\n\",\"stats\":{\"cpu_time\":1.5,\"wall_time\":2.25,"
				"\"memory_peak\":1048576,\"student_runs\":3}}"),
	       "JSON: state, archive, stdout, stderr and stats as set");
	free(s);
	gb_result_free(&r);

	gb_result_init(&r);
	gb_feedback_judge("{\"result\": \"failed\", \"text\": \"Two of four tests fail.\\nSee below.\","
			  " \"grade\": 50.0, \"problems\": {\"q1\": [\"success\", \"Fine\"], \"q2\":"
			  " \"Only text\\non two lines\", \"q3\": [\"failed\", \"\"], \"q4\": 7}}",
			  strlen("{\"result\": \"failed\", \"text\": \"Two of four tests fail.\\nSee "
				 "below.\", \"grade\": 50.0, \"problems\": {\"q1\": [\"success\", "
				 "\"Fine\"], \"q2\": \"Only text\\non two lines\", \"q3\": "
				 "[\"failed\", \"\"], \"q4\": 7}}"),
			  true, &r);
	s = human(&r);
	TAP_OK(s && !strncmp(s, "result: failed\ngrade: 50.00\n", 28), "summary: result and grade");
	TAP_OK(s && strstr(s, "feedback:\n    Two of four tests fail.\n    See below.\n"),
	       "summary: the feedback text, indented");
	TAP_OK(s && strstr(s, "problems:\n  q1: success\n    Fine\n"),
	       "summary: a problem's result and text");
	TAP_OK(s && strstr(s, "  q2:\n    Only text\n    on two lines\n"),
	       "summary: a bare-string problem");
	TAP_OK(s && strstr(s, "  q3: failed\n  q4: 7\n"),
	       "summary: an empty text, and any other shape as JSON");
	free(s);
	full = fopen("/dev/full", "w");
	if (full) {
		TAP_OK(gb_result_write_human(full, &r) < 0, "summary: a write error is reported");
		fclose(full);
	} else {
		TAP_SKIP("summary: a write error is reported", "no /dev/full");
	}
	gb_result_free(&r);
	TAP_OK(r.result == NULL && r.problems == NULL, "free leaves nothing");

	gb_result_init(&r);
	gb_result_set(&r, "fail\x1b[2Jed", "line\x1b]0;title\x07 one\n\ttab\xc2\x9b" "31m");
	json_object_set_new(r.problems, "q\x1b[1m", json_string("x\ry"));
	s = human(&r);
	TAP_OK(s && !strchr(s, '\x1b') && !strchr(s, '\r') && !strchr(s, '\x07') &&
		       !strstr(s, "\xc2\x9b") && strstr(s, "result: fail?[2Jed\n") &&
		       strstr(s, "    line?]0;title? one\n    \ttab?31m\n") &&
		       strstr(s, "  q?[1m:\n    x?y\n"),
	       "summary: the run file's control characters never reach the terminal");
	free(s);
	gb_result_free(&r);

	TAP_OK(sanitizes_to("plain é ✓ 😀", strlen("plain é ✓ 😀"), "plain é ✓ 😀"),
	       "UTF-8: valid text unchanged");
	TAP_OK(sanitizes_to("a\xff" "b", 3, "a" FFFD "b"), "UTF-8: a bad byte becomes U+FFFD");
	TAP_OK(sanitizes_to("\xe2\x82", 2, FFFD), "UTF-8: a truncated sequence is one U+FFFD");
	TAP_OK(sanitizes_to("\xe2\x82" "A", 3, FFFD "A"),
	       "UTF-8: a broken sequence keeps the byte that broke it");
	TAP_OK(sanitizes_to("\xc0\xaf", 2, FFFD FFFD), "UTF-8: an overlong form, one per byte");
	TAP_OK(sanitizes_to("\xed\xa0\x80", 3, FFFD FFFD FFFD),
	       "UTF-8: an encoded surrogate, one per byte (as Python)");
	TAP_OK(sanitizes_to("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD),
	       "UTF-8: past U+10FFFF, one per byte");
	s = gb_utf8_sanitize("a\0b", 3);
	TAP_OK(s && s[0] == 'a' && s[1] == '\0' && s[2] == 'b' && s[3] == '\0',
	       "UTF-8: NUL bytes are kept");
	free(s);
	return TAP_DONE();
}
