/* Unit tests for testfile: reading recorded INGInious submissions, comparing
 * a new result with them, writing the new result back. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testfile.h"
#include "util.h"

/* A recording shaped as INGInious stores one (values invented). */
static const char recording[] =
	"_id: 5f0c1e2d3a4b5c6d7e8f9012\n"
	"courseid: demo\n"
	"taskid: hello\n"
	"status: done\n"
	"submitted_on: 2024-03-01 10:20:30.123000\n"
	"username:\n"
	"- alice.martin\n"
	"user_ip: 192.0.2.17\n"
	"response_type: rst\n"
	"input:\n"
	"  q1: print('hi')\n"
	"  upload:\n"
	"    filename: main.c\n"
	"    value: !!binary |\n"
	"      aW50IG1haW4o\n"
	"      KSB7fQo=\n"
	"  '@username': alice.martin\n"
	"  '@email': alice@example.org\n"
	"  '@lang': en\n"
	"result: success\n"
	"grade: 100.0\n"
	"text: Well done\n"
	"problems:\n"
	"  q1:\n"
	"  - success\n"
	"  - 'Right answer '\n"
	"tests: {}\n"
	"custom:\n"
	"  score: 3\n"
	"state: ''\n"
	"stdout: |\n"
	"  line one\n"
	"archive: null\n"
	"grader_note: yes\n";

static json_t *result_ok(void)
{
	return json_pack("{s:s, s:f, s:s, s:{s:[s,s]}, s:{}, s:{s:f}, s:s, s:s, s:s, s:n}",
			 "result", "success", "grade", 100.0, "text", "Well done",
			 "problems", "q1", "success", "Right answer", "tests", "custom",
			 "score", 3.0, "state", "", "stdout", "line one\n", "stderr", "",
			 "archive");
}

static bool has_key(const json_t *diffs, const char *key)
{
	size_t i;
	json_t *d;
	json_array_foreach(diffs, i, d)
		if (!strcmp(json_string_value(json_object_get(d, "key")), key))
			return true;
	return false;
}

static bool personal_has(const json_t *list, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(v), s))
			return true;
	return false;
}

static int parse(const char *text, struct gb_testfile *tf, unsigned *line, unsigned *col,
		 gb_error *err)
{
	return gb_testfile_parse(text, strlen(text), "t.test", tf, line, col, err);
}

int main(void)
{
	struct gb_testfile tf;
	gb_error err = { 0 };
	unsigned line, col;

	TAP_PLAN(23);

	int r = parse(recording, &tf, &line, &col, &err);
	TAP_OK(r == 0, "a recording parses");
	if (r < 0) {
		printf("# %s\n", err.msg);
		TAP_SKIP_REST("the recording did not parse");
		return tap_done();
	}
	TAP_OK(!strcmp(json_string_value(json_object_get(tf.input, "q1")), "print('hi')"),
	       "text answers are read as strings");
	const json_t *up = json_object_get(tf.input, "upload");
	TAP_OK(!strcmp(json_string_value(json_object_get(up, "value")), "aW50IG1haW4oKSB7fQo="),
	       "!!binary uploads keep their base64 without line breaks");
	TAP_OK(!strcmp(json_string_value(json_object_get(tf.doc, "submitted_on")),
		       "2024-03-01 10:20:30.123000"),
	       "timestamps are kept as text");
	TAP_OK(json_is_real(json_object_get(tf.doc, "grade")) &&
		       json_is_integer(json_object_get(json_object_get(tf.doc, "custom"), "score")),
	       "plain numbers resolve to floats and ints");
	TAP_OK(json_is_true(json_object_get(tf.doc, "grader_note")) &&
		       json_is_null(json_object_get(tf.doc, "archive")),
	       "YAML 1.1 booleans (yes) and null resolve; unknown fields are kept");
	TAP_OK(personal_has(tf.personal, "alice.martin") &&
		       personal_has(tf.personal, "alice@example.org") &&
		       personal_has(tf.personal, "192.0.2.17"),
	       "usernames, e-mail and IP addresses are collected as personal data");

	json_t *res = result_ok();
	json_t *diffs = gb_testfile_compare(tf.doc, res);
	TAP_OK(diffs && json_array_size(diffs) == 0,
	       "the same result compares equal (problem text blanks, 3 vs 3.0)");
	json_decref(diffs);

	json_object_set_new(res, "grade", json_real(99.999));
	json_object_set_new(res, "archive", json_string("H4sIAAAA"));
	json_object_set_new(res, "text", json_string("other words"));
	diffs = gb_testfile_compare(tf.doc, res);
	TAP_OK(diffs && json_array_size(diffs) == 0,
	       "grades equal to 2 decimals, the archive and the text are not compared");
	json_decref(diffs);

	json_object_set_new(res, "grade", json_real(99.5));
	json_object_set_new(res, "result", json_string("failed"));
	json_object_set_new(res, "state", json_string("s1"));
	json_object_set_new(res, "stdout", json_string("line two\n"));
	json_object_set_new(res, "stderr", json_string("oops"));
	json_object_set_new(res, "problems", json_pack("{s:[s,s]}", "q1", "failed", "Right answer"));
	json_object_set_new(res, "tests", json_pack("{s:i}", "t1", 1));
	json_object_set_new(res, "custom", json_pack("{s:i}", "score", 2));
	diffs = gb_testfile_compare(tf.doc, res);
	TAP_OK(has_key(diffs, "result") && has_key(diffs, "grade") && has_key(diffs, "state"),
	       "result, grade and state differences are reported");
	TAP_OK(has_key(diffs, "problems.q1") && has_key(diffs, "tests.t1") &&
		       has_key(diffs, "custom.score"),
	       "problems, tests and custom differ per id");
	TAP_OK(has_key(diffs, "stdout") && !has_key(diffs, "stderr"),
	       "stdout is compared where recorded, stderr (not recorded) is not");
	TAP_OK(json_array_size(diffs) == 7, "nothing else differs");
	json_decref(diffs);

	/* --update: write the new result, read it back */
	char *out = NULL;
	size_t outlen = 0;
	r = gb_testfile_update(recording, strlen(recording), "t.test", res, &out, &outlen, &err);
	TAP_OK(r == 0, "a recording is rewritten with a new result");
	if (r < 0)
		printf("# %s\n", err.msg);
	struct gb_testfile tf2 = { 0 };
	r = out ? gb_testfile_parse(out, outlen, "t2", &tf2, &line, &col, &err) : -1;
	diffs = r == 0 ? gb_testfile_compare(tf2.doc, res) : NULL;
	TAP_OK(diffs && json_array_size(diffs) == 0, "the rewritten file compares equal");
	json_decref(diffs);
	bool order = false;
	if (r == 0) {
		const char *want[] = { "_id", "courseid", "taskid", "status", "submitted_on",
				       "username", "user_ip", "response_type", "input", "result",
				       "grade", "text", "problems", "tests", "custom", "state",
				       "stdout", "archive", "grader_note" };
		void *it = json_object_iter(tf2.doc);
		order = json_object_size(tf2.doc) == GB_ARRAY_SIZE(want);
		for (size_t i = 0; order && it; i++, it = json_object_iter_next(tf2.doc, it))
			order = !strcmp(json_object_iter_key(it), want[i]);
	}
	TAP_OK(order, "every key stays, in its order; stderr (unrecorded) is not added");
	TAP_OK(out && strstr(out, "!!binary") && strstr(out, "submitted_on: 2024-03-01 10:20:30"),
	       "uploads stay !!binary, timestamps as written");
	TAP_OK(r == 0 && json_is_true(json_object_get(tf2.doc, "grader_note")) &&
		       json_is_null(json_object_get(tf2.doc, "archive")),
	       "fields outside the result are not rewritten");
	gb_testfile_free(&tf2);
	free(out);
	gb_testfile_free(&tf);
	json_decref(res);

	/* a minimal recording gains the keys it lacks */
	static const char bare[] = "input: {q: x}\nresult: failed\n";
	res = result_ok();
	out = NULL;
	r = gb_testfile_update(bare, strlen(bare), "b", res, &out, &outlen, &err);
	r = r == 0 ? gb_testfile_parse(out, outlen, "b", &tf, &line, &col, &err) : -1;
	TAP_OK(r == 0 && json_object_get(tf.doc, "grade") && json_object_get(tf.doc, "problems") &&
		       !json_object_get(tf.doc, "stdout") &&
		       !strcmp(json_string_value(json_object_get(tf.doc, "result")), "success"),
	       "--update adds the always-compared keys a recording lacks");
	if (r == 0)
		gb_testfile_free(&tf);
	free(out);
	json_decref(res);

	/* malformed files */
	r = parse("input:\n  q1: [a, b\nresult: x\n", &tf, &line, &col, &err);
	TAP_OK(r < 0 && line == 3 && strstr(err.msg, "t.test:3:"),
	       "a YAML syntax error names the file, line and column");
	r = parse("- a\n- b\n", &tf, &line, &col, &err);
	TAP_OK(r < 0 && strstr(err.msg, "not a mapping"), "a document that is not a mapping is refused");
	r = parse("result: success\n", &tf, &line, &col, &err);
	TAP_OK(r < 0 && strstr(err.msg, "input"), "a recording without input is refused");
	r = parse("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		  "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\ninput: {}\n",
		  &tf, &line, &col, &err);
	TAP_OK(r < 0 && line == 6 && strstr(err.msg, "too large"),
	       "aliases that expand past the bound are refused (billion laughs)");
	return tap_done();
}
