/* testfile_compare: a new result against the recorded one, key by key, the
 * way INGInious's task tester judges a replay: the result, the grade to two
 * decimals (the precision INGInious shows), each problem's result and
 * feedback (blanks around the text ignored, as the tester strips them), each
 * test and custom value, the state, and stdout/stderr only where the
 * recording has them. Never the archive (it holds timestamps), never the
 * global text (the tester does not compare it either). */
#include "testfile.h"

#include <stdlib.h>
#include <string.h>

/* INGInious rounds grades to two decimals when it shows and stores them. */
#define GB_GRADE_SCALE 100.0

static int diff_add(json_t *diffs, const char *key, const json_t *old, const json_t *new)
{
	json_t *d = json_pack("{s:s, s:O, s:O}", "key", key,
			      "old", old ? (json_t *)old : json_null(),
			      "new", new ? (json_t *)new : json_null());
	return d ? json_array_append_new(diffs, d) : -1;
}

static bool number_of(const json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	if (json_is_string(v)) { /* YAML may quote it */
		char *end;
		const char *s = json_string_value(v);
		*out = strtod(s, &end);
		return *s && !*end;
	}
	return false;
}

/* json_equal, but 1 and 1.0 are one number (YAML and Python disagree). */
static bool same_value(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!same_value(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, v) {
			const json_t *w = json_object_get(b, k);
			if (!w || !same_value(v, w))
				return false;
		}
		return true;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

/* Half away from zero, like Python's round() on the values INGInious
 * shows; without libm, which the static binary does not link. */
static long long round_cents(double v)
{
	double s = v * GB_GRADE_SCALE;
	return (long long)(s < 0 ? s - 0.5 : s + 0.5);
}

static bool same_grade(const json_t *a, const json_t *b)
{
	double x, y;
	if (!number_of(a, &x) || !number_of(b, &y))
		return same_value(a, b);
	return round_cents(x) == round_cents(y);
}

/* A problem's feedback is [result, text] or, from older INGInious, text. */
static void problem_parts(const json_t *v, const json_t **result, const char **text,
			  size_t *len)
{
	const json_t *t = v;
	*result = NULL;
	if (json_is_array(v)) {
		*result = json_array_get(v, 0);
		t = json_array_get(v, 1);
	}
	const char *s = json_is_string(t) ? json_string_value(t) : "";
	size_t n = json_is_string(t) ? json_string_length(t) : 0;
	while (n && strchr(" \t\r\n", *s)) {
		s++;
		n--;
	}
	while (n && strchr(" \t\r\n", s[n - 1]))
		n--;
	*text = s;
	*len = n;
}

static bool same_problem(const json_t *a, const json_t *b)
{
	const json_t *ra, *rb;
	const char *ta, *tb;
	size_t la, lb;
	if (!a || !b)
		return false;
	problem_parts(a, &ra, &ta, &la);
	problem_parts(b, &rb, &tb, &lb);
	if (ra && rb && !same_value(ra, rb))
		return false;
	return la == lb && !memcmp(ta, tb, la);
}

/* Per-id comparison of two maps; ids in either one count. */
static int compare_map(json_t *diffs, const char *name, const json_t *old,
		       const json_t *new, bool (*same)(const json_t *, const json_t *))
{
	const char *k;
	json_t *v;
	char key[512];
	json_t *empty = json_object();
	if (!empty)
		return -1;
	if (!json_is_object(old) || !json_is_object(new)) {
		int r = 0;
		if (!same_value(old ? old : empty, new ? new : empty))
			r = diff_add(diffs, name, old, new);
		json_decref(empty);
		return r;
	}
	json_decref(empty);
	json_object_foreach((json_t *)old, k, v) {
		const json_t *w = json_object_get(new, k);
		if (w && same(v, w))
			continue;
		snprintf(key, sizeof(key), "%s.%s", name, k);
		if (diff_add(diffs, key, v, w) < 0)
			return -1;
	}
	json_object_foreach((json_t *)new, k, v) {
		if (json_object_get(old, k))
			continue;
		snprintf(key, sizeof(key), "%s.%s", name, k);
		if (diff_add(diffs, key, NULL, v) < 0)
			return -1;
	}
	return 0;
}

static bool same_any(const json_t *a, const json_t *b)
{
	return a && b && same_value(a, b);
}

json_t *gb_testfile_compare(const json_t *recorded, const json_t *result)
{
	json_t *diffs = json_array();
	json_t *empty_str = json_string("");
	int r = 0;
	if (!diffs || !empty_str)
		goto fail;

	const json_t *old = json_object_get(recorded, "result");
	const json_t *new = json_object_get(result, "result");
	if (!old || !new || !same_value(old, new))
		r |= diff_add(diffs, "result", old, new);
	old = json_object_get(recorded, "grade");
	new = json_object_get(result, "grade");
	if (!old || !new || !same_grade(old, new))
		r |= diff_add(diffs, "grade", old, new);
	r |= compare_map(diffs, "problems", json_object_get(recorded, "problems"),
			 json_object_get(result, "problems"), same_problem);
	r |= compare_map(diffs, "tests", json_object_get(recorded, "tests"),
			 json_object_get(result, "tests"), same_any);
	r |= compare_map(diffs, "custom", json_object_get(recorded, "custom"),
			 json_object_get(result, "custom"), same_any);
	/* INGInious stores no state as "" */
	old = json_object_get(recorded, "state");
	new = json_object_get(result, "state");
	if (!same_value(old && !json_is_null(old) ? old : empty_str,
			new && !json_is_null(new) ? new : empty_str))
		r |= diff_add(diffs, "state", old, new);
	static const char *const streams[] = { "stdout", "stderr" };
	for (size_t i = 0; i < 2; i++) {
		old = json_object_get(recorded, streams[i]);
		if (!old)
			continue;
		new = json_object_get(result, streams[i]);
		if (!new || !same_value(old, new))
			r |= diff_add(diffs, streams[i], old, new);
	}
	if (r)
		goto fail;
	json_decref(empty_str);
	return diffs;
fail:
	json_decref(diffs);
	json_decref(empty_str);
	return NULL;
}
