/* fuzz_student_proto: a run_student request as the supervisor receives it
 * from the grading sandbox (gb_student_req_decode), then INGInious's shlex
 * split of its words. A request that decodes must encode back to the very
 * same bytes: nothing is read that was not checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "student_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gb_student_req req;
	static char out[GB_STUDENT_REQ_MAX], store[GB_STUDENT_REQ_MAX];
	static const char *words[GB_STUDENT_MAX_ARGS + 1];
	const char *why = NULL;
	char *buf = malloc(size ? size : 1);
	long n;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (gb_student_req_decode(buf, size, &req, &why) == 0) {
		n = gb_student_req_encode(&req, out, sizeof(out), &why);
		if (n != (long)size || memcmp(out, buf, size))
			abort();
		n = gb_student_shlex((char *const *)req.argv, req.argc, store, sizeof(store), words,
				     GB_STUDENT_MAX_ARGS, &why);
		if (n >= 0 && words[n])
			abort();
	} else if (!why) {
		abort();
	}
	free(buf);
	return 0;
}
