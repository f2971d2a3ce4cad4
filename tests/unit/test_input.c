/* Unit tests: INGInious input data (src/grade/input.c): both file forms,
 * several problems, uploads, the @-fields' defaults, and the dump that
 * must match Python's json.dumps byte for byte. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "tap.h"

#define SHOWN "input.json"

static gb_error err;

static int parse(const char *text, unsigned nrandom, struct gb_input *in)
{
	gb_error_clear(&err);
	return gb_input_parse(text, strlen(text), SHOWN, nrandom, in, &err);
}

static json_t *answers(const struct gb_input *in)
{
	return json_object_get(in->doc, "input");
}

static const char *str(const struct gb_input *in, const char *key)
{
	return json_string_value(json_object_get(answers(in), key));
}

static bool fails_with(const char *text, const char *msg)
{
	struct gb_input in;
	bool ok = parse(text, 0, &in) < 0 && !strcmp(err.msg, msg) && !in.doc && !in.nuploads;

	if (!ok)
		printf("# got: %s\n", err.msg);
	gb_input_free(&in);
	return ok;
}

static bool matches(const char *s, const char *re)
{
	regex_t rx;
	bool ok;

	if (!s || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
		return false;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

/* The keys of the input, in order, joined by ' '. */
static char *keys(const struct gb_input *in)
{
	static char buf[512];
	const char *k;
	json_t *v;

	buf[0] = '\0';
	json_object_foreach(answers(in), k, v) {
		if (buf[0])
			strcat(buf, " ");
		strcat(buf, k);
	}
	return buf;
}

#define ALL_AT "\"@username\": \"u\", \"@email\": \"e\", \"@lang\": \"fr\", \"@time\": \"t\", " \
	       "\"@attempts\": \"2\", \"@random\": [0.25], \"@state\": \"s\""

static void test_forms(void)
{
	struct gb_input in;
	int r;

	r = parse("{\"q1\": \"print(1)\"}", 0, &in);
	TAP_OK(r == 0 && !strcmp(str(&in, "q1"), "print(1)") &&
		       !strcmp(keys(&in), "q1 @username @email @lang @time @attempts @random @state"),
	       "bare map: the answer, then every @-field added");
	TAP_OK(r == 0 && !strcmp(str(&in, "@username"), "student") && !strcmp(str(&in, "@email"), "") &&
		       !strcmp(str(&in, "@lang"), "en") && !strcmp(str(&in, "@attempts"), "0") &&
		       !strcmp(str(&in, "@state"), "") &&
		       json_array_size(json_object_get(answers(&in), "@random")) == 0,
	       "@-field defaults: student, '', en, '0', '', no @random floats by default");
	TAP_OK(r == 0 && matches(str(&in, "@time"), "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:"
						     "[0-9]{2}(\\.[0-9]{6})?\\+00:00$"),
	       "@time now, as the front-end's str() of an aware UTC datetime");
	gb_input_free(&in);

	r = parse("{\"input\": {\"q1\": \"a\", \"q2\": [\"0\", \"2\"], \"q3\": 5}}", 0, &in);
	TAP_OK(r == 0 && !strncmp(keys(&in), "q1 q2 q3 @username", 18) &&
		       json_is_array(json_object_get(answers(&in), "q2")) &&
		       json_integer_value(json_object_get(answers(&in), "q3")) == 5,
	       "{\"input\": {...}}: several problems of any JSON type, in order");
	gb_input_free(&in);
	r = parse("{\"type\": \"start\", \"input\": {\"q1\": \"a\"}, \"debug\": false}", 0, &in);
	TAP_OK(r == 0 && !strncmp(keys(&in), "q1 @username", 12),
	       "INGInious's start message: its input is taken, the rest ignored");
	gb_input_free(&in);
	r = parse("{\"input\": \"just text\", \"q2\": \"b\"}", 0, &in);
	TAP_OK(r == 0 && !strcmp(str(&in, "input"), "just text") && !strcmp(str(&in, "q2"), "b"),
	       "a problem named input holding text: a bare map");
	gb_input_free(&in);
	r = parse("{\"input\": {\"filename\": \"a.txt\", \"value\": \"aGk=\"}}", 0, &in);
	TAP_OK(r == 0 && in.nuploads == 1 &&
		       json_is_object(json_object_get(answers(&in), "input")),
	       "a problem named input holding an upload: a bare map");
	gb_input_free(&in);
	r = parse("{\"box/1\": \"x\", \"box/2\": \"y\", \"@username\": \"alice,bob\", "
		  "\"@lang\": \"fr_FR\", \"@random\": [0.5, 0.75], \"@attempts\": \"3\", "
		  "\"@state\": \"s\", \"@time\": \"2026-11-22 10:00:00+00:00\", "
		  "\"@email\": \"a@b\", \"@settings\": {\"x\": 1}}",
		  4, &in);
	TAP_OK(r == 0 && !strcmp(str(&in, "@username"), "alice,bob") &&
		       !strcmp(str(&in, "@lang"), "fr_FR") &&
		       json_array_size(json_object_get(answers(&in), "@random")) == 2 &&
		       !strcmp(str(&in, "@time"), "2026-11-22 10:00:00+00:00") &&
		       !strcmp(str(&in, "@email"), "a@b") &&
		       json_is_object(json_object_get(answers(&in), "@settings")),
	       "given @-fields are kept (a group's users, @random, @settings)");
	TAP_OK(r == 0 && json_object_size(answers(&in)) == 10 &&
		       !strcmp(gb_input_state(&in), "s"),
	       "no key is added when every @-field is given; gb_input_state");
	gb_input_free(&in);
	r = parse("{\"q1\": \"a\"}", 3, &in);
	{
		json_t *rnd = json_object_get(answers(&in), "@random");
		bool ok = r == 0 && json_array_size(rnd) == 3;

		for (size_t i = 0; ok && i < 3; i++) {
			double d = json_real_value(json_array_get(rnd, i));

			ok = json_is_real(json_array_get(rnd, i)) && d >= 0 && d < 1;
		}
		TAP_OK(ok && json_real_value(json_array_get(rnd, 0)) !=
				     json_real_value(json_array_get(rnd, 1)),
		       "@random: input_random floats in [0, 1)");
	}
	TAP_OK(r == 0 && json_object_size(answers(&in)) == 8,
	       "no key without @ is added (run files count problems that way)");
	gb_input_free(&in);
}

static void test_uploads(void)
{
	struct gb_input in;
	char *dump;
	int r;

	r = parse("{\"code\": {\"filename\": \"main.c\", \"value\": \"aW50IG1haW4oKTsK\"}, \"q\": "
		  "\"text\", \"report\": {\"value\": \"AAEC/w==\", \"filename\": \"r.bin\"}}",
		  0, &in);
	TAP_OK(r == 0 && in.nuploads == 2 && in.uploads[0].index == 0 &&
		       in.uploads[0].len == 12 && !memcmp(in.uploads[0].data, "int main();\n", 12) &&
		       in.uploads[1].index == 1 && in.uploads[1].len == 4 &&
		       !memcmp(in.uploads[1].data, "\x00\x01\x02\xff", 4),
	       "uploads: decoded, numbered in input order");
	dump = gb_input_dump(&in);
	TAP_OK(dump && strstr(dump, "\"code\": {\"filename\": \"main.c\", \"value\": "
				    "\"/.__input/__inputfile_0\"}, \"q\": \"text\", \"report\": "
				    "{\"value\": \"/.__input/__inputfile_1\", \"filename\": \"r.bin\"}"),
	       "uploads: value replaced by /.__input/__inputfile_N, key order kept");
	free(dump);
	gb_input_free(&in);

	r = parse("{\"f\": {\"filename\": \"x\", \"value\": \"aGVs\\nbG8\"}, \"g\": {\"filename\": "
		  "\"y\", \"value\": \"\"}}",
		  0, &in);
	TAP_OK(r == 0 && in.nuploads == 2 && in.uploads[0].len == 5 &&
		       !memcmp(in.uploads[0].data, "hello", 5) && in.uploads[1].len == 0,
	       "uploads: wrapped lines, no padding, an empty file");
	gb_input_free(&in);
	r = parse("{\"f\": {\"filename\": \"x\", \"value\": \"aGk=\", \"size\": 2}}", 0, &in);
	TAP_OK(r == 0 && in.nuploads == 0 &&
		       json_object_size(json_object_get(answers(&in), "f")) == 3,
	       "an object with more keys than filename and value is not an upload");
	gb_input_free(&in);

	TAP_OK(fails_with("{\"q1\": {\"filename\": \"a\", \"value\": \"not base64!\"}}",
			  "input.json: problem 'q1': upload value is not base64"),
	       "bad base64: the file, the problem and the reason");
	TAP_OK(fails_with("{\"q1\": {\"filename\": \"a\", \"value\": \"a===\"}}",
			  "input.json: problem 'q1': upload value is not base64"),
	       "bad base64: too much padding");
	TAP_OK(fails_with("{\"q1\": {\"filename\": \"a\", \"value\": \"aG=k\"}}",
			  "input.json: problem 'q1': upload value is not base64"),
	       "bad base64: data after the padding");
	TAP_OK(fails_with("{\"q1\": {\"filename\": \"a\", \"value\": \"a\"}}",
			  "input.json: problem 'q1': upload value is not base64"),
	       "bad base64: a lone sextet");
	TAP_OK(fails_with("{\"ok\": {\"filename\": \"a\", \"value\": \"\"}, \"q2\": {\"filename\": "
			  "\"a\", \"value\": 12}}",
			  "input.json: problem 'q2': upload value is a number, not a base64 string"),
	       "an upload value that is not a string");
	TAP_OK(fails_with("{\"q\\n1\": {\"filename\": \"a\", \"value\": \"!\"}}",
			  "input.json: problem 'q?1': upload value is not base64"),
	       "a problem id with a newline: the message stays one line");
	TAP_OK(fails_with("{\"q1\": {\"filename\": null, \"value\": \"\"}}",
			  "input.json: problem 'q1': upload filename is null, not a string"),
	       "an upload filename that is not a string");
}

static void test_errors_and_dump(void)
{
	struct gb_input in;
	struct timespec ts;
	char t[GB_INPUT_TIME_MAX], *dump;
	int r;

	TAP_OK(fails_with("[\"q1\"]", "input.json: expected a JSON object of answers, found an array"),
	       "not an object: refused");
	TAP_OK(fails_with("{\"q1\": }", "input.json:1:8: JSON syntax error: unexpected token near '}'"),
	       "a JSON syntax error with line and column");
	TAP_OK(fails_with("", "input.json:1:0: JSON syntax error: unexpected token near end of file"),
	       "an empty file");

	r = parse("{\"input\": {\"q1\": \"\xc3\xa9\\n\\\"x\\\"\xf0\x9f\x98\x80\\u007f\\u0000\\t\\\\/\","
		  " \"n\": 1.5, \"i\": -3, \"b\": true, \"f\": false, \"z\": null, \"l\": [0.1, "
		  "1e-05, 0.0001, 1e16, 1e15, 100.0, -0.0, 123456789.125, 1.7976931348623157e308, "
		  "5e-324, 0.3333333333333333], \"m/b\": {\"k\": []}, " ALL_AT "}}",
		  0, &in);
	dump = r == 0 ? gb_input_dump(&in) : NULL;
	/* python3 -c 'import json; print(json.dumps(the same dict))' */
	TAP_OK(dump && !strcmp(dump,
			       "{\"input\": {\"q1\": \"\\u00e9\\n\\\"x\\\"\\ud83d\\ude00\\u007f\\u0000"
			       "\\t\\\\/\", \"n\": 1.5, \"i\": -3, \"b\": true, \"f\": false, \"z\": "
			       "null, \"l\": [0.1, 1e-05, 0.0001, 1e+16, 1000000000000000.0, 100.0, "
			       "-0.0, 123456789.125, 1.7976931348623157e+308, 5e-324, "
			       "0.3333333333333333], \"m/b\": {\"k\": []}, \"@username\": \"u\", "
			       "\"@email\": \"e\", \"@lang\": \"fr\", \"@time\": \"t\", \"@attempts\": "
			       "\"2\", \"@random\": [0.25], \"@state\": \"s\"}}"),
	       "dump: byte for byte Python's json.dumps (escapes, separators, float repr)");
	free(dump);
	gb_input_free(&in);

	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	gb_input_format_time(&ts, t);
	TAP_OK(!strcmp(t, "1970-01-01 00:00:00+00:00"), "@time: no fraction when microseconds are 0");
	ts.tv_sec = 1795342200; /* 2026-11-22 10:10:00 UTC */
	ts.tv_nsec = 123456789;
	gb_input_format_time(&ts, t);
	TAP_OK(!strcmp(t, "2026-11-22 10:10:00.123456+00:00"), "@time: microseconds, +00:00");
}

int main(void)
{
	TAP_PLAN(28);
	test_forms();
	test_uploads();
	test_errors_and_dump();
	return TAP_DONE();
}
