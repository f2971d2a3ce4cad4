/* fuzz_testfile: a recorded INGInious submission (.test) through
 * gb_testfile_parse, then, when it parses, gb_testfile_compare against a
 * fixed result and gb_testfile_update with it. Checks: messages are one line
 * and name the file; what parses has an input map; the rewritten file parses
 * again and compares equal to the result written into it (the --update
 * round trip), unless the file uses aliases (an alias may name a replaced
 * value or stand for a key, which the rewrite does not follow). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testfile.h"

static void check_message(const char *msg)
{
	if (strncmp(msg, "f.test", strlen("f.test")))
		abort();
	for (; *msg; msg++)
		if (*msg == '\n')
			abort();
}

static json_t *result;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	result = json_pack("{s:s, s:f, s:s, s:{s:[s,s]}, s:{s:i}, s:{}, s:s, s:s, s:s}",
			   "result", "failed", "grade", 12.5, "text", "multi\nline  ",
			   "problems", "q", "failed", "no", "tests", "t", 1, "custom",
			   "state", "yes", "stdout", "", "stderr", "x: y");
	return result ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_testfile tf;
	gb_error err = { 0 };
	unsigned line, col;
	char *out = NULL;
	size_t outlen;

	if (gb_testfile_parse((const char *)data, size, "f.test", &tf, &line, &col, &err) < 0) {
		check_message(err.msg);
		return 0;
	}
	if (!json_is_object(tf.doc) || !json_is_object(tf.input) || !json_is_array(tf.personal))
		abort();
	json_t *diffs = gb_testfile_compare(tf.doc, result);
	if (!diffs)
		abort();
	json_decref(diffs);
	gb_testfile_free(&tf);

	if (gb_testfile_update((const char *)data, size, "f.test", result, &out, &outlen,
			       &err) < 0) {
		check_message(err.msg);
		return 0;
	}
	if (!memchr(data, '*', size)) {
		if (gb_testfile_parse(out, outlen, "f.test", &tf, &line, &col, &err) < 0)
			abort();
		diffs = gb_testfile_compare(tf.doc, result);
		if (!diffs || json_array_size(diffs))
			abort();
		json_decref(diffs);
		gb_testfile_free(&tf);
	}
	free(out);
	return 0;
}
