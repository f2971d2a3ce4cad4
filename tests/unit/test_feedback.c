/* Unit tests: the run file's feedback file judged as INGInious's container
 * and agent judge it (inginious-api.md §1 "Job end", §2), and gradebox's
 * documented choices (NaN/Infinity, a feedback file over the cap). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "result.h"
#include "tap.h"

#define UNREADABLE GB_FEEDBACK_UNREADABLE
#define BADLY UNREADABLE GB_FEEDBACK_BADLY_FORMATTED

static struct gb_grade_result r;

/* Judge text (present) with the state the submission had before. */
static void judge(const char *text)
{
	gb_result_free(&r);
	gb_result_init(&r);
	gb_result_set_state(&r, "previous");
	gb_feedback_judge(text, strlen(text), true, &r);
}

static bool is(const char *result, const char *text, double grade)
{
	bool ok = r.result && !strcmp(r.result, result) && r.text && !strcmp(r.text, text) &&
		  r.grade_set && r.grade == grade;

	if (!ok)
		printf("# got: result %s, text '%s', grade %g\n", r.result, r.text, r.grade);
	return ok;
}

static const char *state(void)
{
	return json_string_value(r.state);
}

static bool obj_is(json_t *o, const char *json)
{
	json_t *want = json_loads(json, 0, NULL);
	bool ok = json_equal(o, want);

	json_decref(want);
	return ok;
}

static void test_no_feedback(void)
{
	gb_result_init(&r);
	gb_feedback_judge(NULL, 0, false, &r);
	TAP_OK(is("crash", GB_FEEDBACK_NONE, 0) && !json_object_size(r.problems) &&
		       !json_object_size(r.tests) && !strcmp(state(), ""),
	       "no feedback file: crash 'No feedback was given !', grade 0");
	judge("");
	TAP_OK(is("crash", GB_FEEDBACK_NONE, 0), "an empty feedback file: no feedback");
	judge("{}");
	TAP_OK(is("crash", GB_FEEDBACK_NONE, 0), "{}: no feedback");
	judge(" {  }\n");
	TAP_OK(is("crash", GB_FEEDBACK_NONE, 0), "{} with spaces: no feedback");
}

static void test_unparsable(void)
{
	judge("\n");
	TAP_OK(is("crash", GB_FEEDBACK_MODIFIED, 0) && !strcmp(state(), ""),
	       "white space only: crash 'Feedback file has been modified by user !'");
	judge("{\"result\": \"success\"");
	TAP_OK(is("crash", GB_FEEDBACK_MODIFIED, 0), "truncated JSON: modified by user");
	judge("{\"result\": 'success'}");
	TAP_OK(is("crash", GB_FEEDBACK_MODIFIED, 0), "single quotes: modified by user");
	judge("{\"grade\": NaNa}");
	TAP_OK(is("crash", GB_FEEDBACK_MODIFIED, 0), "NaN glued to junk: modified by user");
	judge("{\"grade\": 1NaN}");
	TAP_OK(is("crash", GB_FEEDBACK_MODIFIED, 0), "a digit before NaN: modified by user");
	judge("{\"result\": \"success\"} {}");
	TAP_OK(is("crash", GB_FEEDBACK_MODIFIED, 0), "two JSON values: modified by user");
	judge("[]");
	TAP_OK(is("crash", BADLY, 0), "a JSON list: badly formatted (gradebox's choice)");
	judge("null");
	TAP_OK(is("crash", BADLY, 0), "JSON null: badly formatted");
	judge("\"success\"");
	TAP_OK(is("crash", BADLY, 0), "a JSON string: badly formatted");
}

static void test_defaults(void)
{
	judge("{\"result\": \"success\"}");
	TAP_OK(is("success", "", 100), "success without a grade: 100, empty text");
	judge("{\"result\": \"failed\", \"text\": \"Wrong answer\"}");
	TAP_OK(is("failed", "Wrong answer", 0), "failed without a grade: 0");
	judge("{\"text\": \"no result\"}");
	TAP_OK(is("error", "no result", 0), "feedback without a result: error");
	judge("{\"result\": \"weird\"}");
	TAP_OK(is("weird", "", 0), "any result string is kept");
	judge("{\"result\": \"success\", \"grade\": 40.0}");
	TAP_OK(is("success", "", 40), "success may carry a grade below 100");
	judge("{\"result\": \"failed\", \"grade\": 75.0}");
	TAP_OK(is("failed", "", 75), "failed may carry a grade above 0");
	judge("{\"result\": \"success\", \"grade\": 150.0}");
	TAP_OK(is("success", "", 150), "the grade is not clamped (above 100)");
	judge("{\"result\": \"failed\", \"grade\": -5.0}");
	TAP_OK(is("failed", "", -5), "the grade is not clamped (below 0)");
	judge("{\"result\": \"success\", \"grade\": 87.456}");
	TAP_OK(is("success", "", 87.46), "the grade is rounded to 2 decimals");
	judge("{\"result\": \"success\", \"grade\": 0.125}");
	TAP_OK(is("success", "", 0.12), "rounding: an exact tie goes to even (Python's round)");
	judge("{\"result\": \"success\", \"grade\": 2.675}");
	TAP_OK(is("success", "", 2.67), "rounding: the double's exact value decides (2.675)");
	judge("{\"result\": \"success\", \"grade\": 1e2}");
	TAP_OK(is("success", "", 100), "an exponent makes a float");
	judge("{\"result\": \"failed\", \"result\": \"success\"}");
	TAP_OK(is("success", "", 100), "a repeated key: the last one wins");
	judge("{\"result\": \"success\", \"state\": \"step 2\"}");
	TAP_OK(!strcmp(state(), "step 2"), "state is the feedback's");
	judge("{\"result\": \"success\"}");
	TAP_OK(!strcmp(state(), ""), "a feedback without state resets it to ''");
	judge("{\"result\": \"success\", \"stdout\": \"x\", \"stderr\": \"y\", \"archive\": \"z\"}");
	TAP_OK(is("success", "", 100), "stdout, stderr and archive strings pass the checks");
	judge("{\"text\": \"a\\u0000b\", \"result\": \"failed\"}");
	TAP_OK(is("failed", "a", 0), "a NUL in a string is read (the text ends there)");
}

static void test_problems(void)
{
	judge("{\"result\": \"failed\", \"problems\": {\"q1\": [\"success\", \"Good\"], \"q2\": "
	      "\"text only\", \"q3\": [\"failed\", \"\"]}}");
	TAP_OK(is("failed", "", 0) &&
		       obj_is(r.problems, "{\"q1\": [\"success\", \"Good\"], \"q2\": \"text only\", "
					  "\"q3\": [\"failed\", \"\"]}"),
	       "problems: [result, text] and bare strings kept as they are");
	judge("{\"result\": \"success\", \"problems\": {\"not-in-task.yaml\": \"x\"}}");
	TAP_OK(is("success", "", 100) && json_object_get(r.problems, "not-in-task.yaml"),
	       "problem ids absent from task.yaml are kept");
	judge("{\"result\": \"success\", \"problems\": {\"Q.1_a-B\": \"x\"}}");
	TAP_OK(is("success", "", 100), "problem ids: letters of both cases, digits, . _ -");
	judge("{\"result\": \"success\", \"problems\": {\"q1\\n\": \"x\"}}");
	TAP_OK(is("success", "", 100), "a problem id with one final newline passes (Python's $)");
	judge("{\"result\": \"success\", \"problems\": {\"\\u017fum\": \"x\"}}");
	TAP_OK(is("success", "", 100), "a long s passes (Python's case folding)");
	judge("{\"result\": \"success\", \"problems\": {\"my q\": \"x\"}}");
	TAP_OK(is("crash", BADLY, 0) && !strcmp(state(), "previous") &&
		       !json_object_size(r.problems),
	       "a problem id with a space: crash, badly formatted, the state kept");
	judge("{\"result\": \"success\", \"problems\": {\"\": \"x\"}}");
	TAP_OK(is("crash", BADLY, 0), "an empty problem id: crash");
	judge("{\"result\": \"success\", \"problems\": {\"q1\\n\\n\": \"x\"}}");
	TAP_OK(is("crash", BADLY, 0), "a problem id with two final newlines: crash");
	judge("{\"result\": \"success\", \"problems\": {\"q*\": \"x\"}}");
	TAP_OK(is("crash", BADLY, 0), "'*' is for test ids only");
	judge("{\"result\": \"success\", \"problems\": {\"q1\": {\"a\": 1}}}");
	TAP_OK(is("crash", BADLY, 0), "a problem whose feedback is an object: crash");
	judge("{\"result\": \"success\", \"problems\": [\"q1\"]}");
	TAP_OK(is("crash", BADLY, 0), "problems that are a list: crash");
	judge("{\"result\": \"success\", \"tests\": {\"*auto-tag-8412\": \"slow\", \"fast\": true, "
	      "\"x\": false}}");
	TAP_OK(is("success", "", 100) &&
		       obj_is(r.tests, "{\"*auto-tag-8412\": \"slow\", \"fast\": true, \"x\": false}"),
	       "tests: tag-set and tag entries kept");
	judge("{\"result\": \"success\", \"tests\": {\"my tag\": true}}");
	TAP_OK(is("crash", BADLY, 0), "a test id with a space: crash (tag-set \"my tag\")");
	judge("{\"result\": \"success\", \"custom\": {\"any key at all\": {\"deep\": [1, 2.5]}}}");
	TAP_OK(is("success", "", 100) &&
		       obj_is(r.custom, "{\"any key at all\": {\"deep\": [1, 2.5]}}"),
	       "custom may hold any key and value");
}

static void test_types(void)
{
	judge("{\"result\": \"success\", \"grade\": 5}");
	TAP_OK(is("crash", BADLY, 0), "an integer grade: crash (the agent wants a float)");
	judge("{\"result\": \"success\", \"grade\": \"5\"}");
	TAP_OK(is("crash", BADLY, 0), "a string grade: crash");
	judge("{\"result\": null}");
	TAP_OK(is("crash", BADLY, 0), "a null result (set_global_result(None)): crash");
	judge("{\"result\": \"success\", \"text\": [\"a\"]}");
	TAP_OK(is("crash", BADLY, 0), "a list text: crash");
	judge("{\"result\": \"success\", \"state\": {\"n\": 1}}");
	TAP_OK(is("crash", BADLY, 0) && !strcmp(state(), "previous"),
	       "a state that is an object (set_state({...})): crash, the previous state kept");
	judge("{\"result\": \"success\", \"custom\": []}");
	TAP_OK(is("crash", BADLY, 0), "custom that is a list: crash");
	judge("{\"result\": \"success\", \"stdout\": 3}");
	TAP_OK(is("crash", BADLY, 0), "stdout that is a number: crash");
	judge("{\"result\": \"success\", \"score\": 3}");
	TAP_OK(is("crash", UNREADABLE "'score'", 0),
	       "an unknown key: crash naming it as Python's KeyError");
	judge("{\"it's\": 1}");
	TAP_OK(is("crash", UNREADABLE "\"it's\"", 0), "a key with a quote: Python's repr");
	judge("{\"a\\nb\": 1}");
	TAP_OK(is("crash", UNREADABLE "'a\\nb'", 0), "a key with a newline: Python's repr");
	judge("{\"score\": 1, \"grade\": 5}");
	TAP_OK(is("crash", UNREADABLE "'score'", 0), "the first failing key in file order: unknown");
	judge("{\"grade\": 5, \"score\": 1}");
	TAP_OK(is("crash", BADLY, 0), "the first failing key in file order: badly formatted");
}

static void test_nonfinite(void)
{
	judge("{\"result\": \"success\", \"grade\": NaN}");
	TAP_OK(is("crash", BADLY, 0), "a NaN grade: crash, badly formatted (gradebox's choice)");
	judge("{\"result\": \"success\", \"grade\": Infinity}");
	TAP_OK(is("crash", BADLY, 0), "an Infinity grade: crash");
	judge("{\"result\": \"success\", \"custom\": {\"x\": [1, -Infinity]}}");
	TAP_OK(is("crash", BADLY, 0), "-Infinity in custom: crash");
	judge("{\"result\": \"success\", \"grade\": 1e999}");
	TAP_OK(is("crash", BADLY, 0), "a grade too large for a double (Python: inf): crash");
	judge("{\"result\": \"success\", \"custom\": {\"x\": -1.5e400}}");
	TAP_OK(is("crash", BADLY, 0), "a real too large for a double (Python: -inf): crash");
	judge("{\"result\": \"success\", \"grade\": 1e-999}");
	TAP_OK(is("success", "", 0), "a real too small for a double is 0 (as Python)");
	judge("{\"result\": NaN, \"text\": }");
	TAP_OK(is("crash", GB_FEEDBACK_MODIFIED, 0), "NaN in a file that is not JSON: modified by user");
	judge("{\"grade\": 1e999,, }");
	TAP_OK(is("crash", GB_FEEDBACK_MODIFIED, 0),
	       "an overflowing real in a file that is not JSON: modified by user");
	judge("{\"result\": \"success\", \"text\": \"NaN Infinity\"}");
	TAP_OK(is("success", "NaN Infinity", 100), "NaN inside a string is text");
	judge("{\"result\": \"success\", \"text\": \"a\\udcffb\"}");
	TAP_OK(is("success", "a\xef\xbf\xbd" "b", 100),
	       "a lone surrogate (feedback-msg of a non-UTF-8 argument) becomes U+FFFD");
	judge("{\"result\": \"success\", \"text\": \"\\ud83d\\ude00\"}");
	TAP_OK(is("success", "\xf0\x9f\x98\x80", 100), "a surrogate pair is one character");
}

static void test_size(void)
{
	size_t n = GB_FEEDBACK_MAX;
	char *big = malloc(n + 2);
	const char *head = "{\"result\": \"success\", \"text\": \"";

	memset(big, 'a', n + 1);
	memcpy(big, head, strlen(head));
	memcpy(big + n - 2, "\"}", 2);
	big[n] = '\0';
	gb_result_free(&r);
	gb_result_init(&r);
	gb_feedback_judge(big, n, true, &r);
	TAP_OK(r.result && !strcmp(r.result, "success") && strlen(r.text) == n - strlen(head) - 2,
	       "a feedback file of exactly GB_FEEDBACK_MAX bytes is read");
	gb_result_free(&r);
	gb_result_init(&r);
	gb_feedback_judge(big, n + 1, true, &r);
	TAP_OK(is("crash", UNREADABLE GB_FEEDBACK_TOO_LARGE, 0),
	       "one byte more than GB_FEEDBACK_MAX: crash");
	free(big);
}

int main(void)
{
	TAP_PLAN(69);
	test_no_feedback();
	test_unparsable();
	test_defaults();
	test_problems();
	test_types();
	test_nonfinite();
	test_size();
	gb_result_free(&r);
	return TAP_DONE();
}
