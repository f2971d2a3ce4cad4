/* fuzz_input: an input file (the student's answers) through gb_input_parse
 * and gb_input_dump. The dump must be JSON that reads back as the same
 * document (Python-style floats round-trip), every upload must be numbered
 * in order, and every @-field present. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

/* Messages are one line. */
static void check_message(const char *msg)
{
	for (; *msg; msg++)
		if ((unsigned char)*msg < 0x20)
			abort();
}

#define NRANDOM 2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const at[] = { "@username", "@email",  "@lang",  "@time",
					  "@attempts", "@random", "@state", NULL };
	struct gb_input in;
	gb_error err;
	json_t *back, *answers;
	char *dump;

	if (gb_input_parse((const char *)data, size, "input.json", NRANDOM, &in, &err) < 0) {
		if (strncmp(err.msg, "input.json", strlen("input.json")) || in.doc)
			abort();
		check_message(err.msg);
		return 0;
	}
	answers = json_object_get(in.doc, "input");
	for (size_t i = 0; at[i]; i++)
		if (!json_object_get(answers, at[i]))
			abort();
	for (size_t i = 0; i < in.nuploads; i++)
		if (in.uploads[i].index != i || (in.uploads[i].len && !in.uploads[i].data))
			abort();
	dump = gb_input_dump(&in);
	if (!dump)
		abort();
	back = json_loads(dump, JSON_ALLOW_NUL, NULL);
	if (!back || !json_equal(back, in.doc)) {
		fprintf(stderr, "dump does not read back: %s\n", dump);
		abort();
	}
	json_decref(back);
	free(dump);
	gb_input_free(&in);
	return 0;
}
