/* fuzz_api_json: gradebox-api's JSON parser (helpers/api/json.c), which
 * reads what a run file left in __feedback.json and the input file, and
 * its serializer. Beyond memory safety: whatever parses must dump as
 * ASCII, and the dump must parse again to the same dump (what one helper
 * writes, the next reads back unchanged); every finite float's repr must
 * read back as the same double. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static void check_floats(const struct api_json *v)
{
	if (v->type == AJ_FLOAT && isfinite(v->f)) {
		struct api_buf b = {0};
		api_float_repr(&b, v->f);
		if (strtod(api_buf_cstr(&b), NULL) != v->f)
			abort();
		api_buf_free(&b);
	}
	for (size_t i = 0; i < v->len; i++)
		check_floats(v->items[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *err;
	struct api_json *v = api_json_parse((const char *)data, size, &err);
	if (!v)
		return 0;
	struct api_buf a = {0}, b = {0};
	api_json_dump(&a, v);
	for (size_t i = 0; i < a.n; i++)
		if ((unsigned char)a.p[i] < 0x20 || (unsigned char)a.p[i] > 0x7e)
			abort();
	check_floats(v);
	struct api_json *w = api_json_parse(a.p, a.n, &err);
	if (!w)
		abort();
	api_json_dump(&b, w);
	if (a.n != b.n || memcmp(a.p, b.p, a.n))
		abort();
	api_json_free(v);
	api_json_free(w);
	api_buf_free(&a);
	api_buf_free(&b);
	return 0;
}
