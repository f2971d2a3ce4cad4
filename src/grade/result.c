/* result: see result.h. */
#include "result.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define GB_REPLACEMENT_CHAR "\xef\xbf\xbd" /* U+FFFD in UTF-8 */
/* How far the terminal summary indents the feedback texts. */
#define GB_HUMAN_INDENT "    "

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void gb_result_init(struct gb_grade_result *r)
{
	memset(r, 0, sizeof(*r));
	r->result = strdup(GB_RESULT_ERROR);
	r->text = strdup("");
	r->problems = json_object();
	r->tests = json_object();
	r->custom = json_object();
	r->state = json_string("");
}

void gb_result_set(struct gb_grade_result *r, const char *result, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	free(r->result);
	r->result = dup_or_null(result);
	free(r->text);
	r->text = text;
}

void gb_result_set_state(struct gb_grade_result *r, const char *state)
{
	json_decref(r->state);
	r->state = json_string(state ? state : "");
}

double gb_result_grade(const struct gb_grade_result *r)
{
	if (r->grade_set && isfinite(r->grade))
		return r->grade;
	return r->result && !strcmp(r->result, GB_RESULT_SUCCESS) ? GB_RESULT_GRADE_SUCCESS
								   : GB_RESULT_GRADE_OTHER;
}

/* A reference to obj, or a fresh empty object when it is missing. */
static json_t *object_or_empty(json_t *obj)
{
	return json_is_object(obj) ? json_incref(obj) : json_object();
}

json_t *gb_result_json(const struct gb_grade_result *r)
{
	json_t *o = json_object(), *stats = json_object();

	if (!o || !stats) {
		json_decref(o);
		json_decref(stats);
		return NULL;
	}
	json_object_set_new(o, "result", json_string(r->result ? r->result : GB_RESULT_ERROR));
	json_object_set_new(o, "text", json_string(r->text ? r->text : ""));
	json_object_set_new(o, "grade", json_real(gb_result_grade(r)));
	json_object_set_new(o, "problems", object_or_empty(r->problems));
	json_object_set_new(o, "tests", object_or_empty(r->tests));
	json_object_set_new(o, "custom", object_or_empty(r->custom));
	json_object_set_new(o, "state", json_is_string(r->state) ? json_incref(r->state)
								  : json_string(""));
	json_object_set_new(o, "archive", r->archive_b64 ? json_string(r->archive_b64) : json_null());
	json_object_set_new(o, "stdout", json_string(r->out ? r->out : ""));
	json_object_set_new(o, "stderr", json_string(r->err ? r->err : ""));
	json_object_set_new(stats, "cpu_time", json_real(r->stats.cpu_time));
	json_object_set_new(stats, "wall_time", json_real(r->stats.wall_time));
	json_object_set_new(stats, "memory_peak", json_integer((json_int_t)r->stats.memory_peak));
	json_object_set_new(stats, "student_runs", json_integer(r->stats.student_runs));
	json_object_set_new(o, "stats", stats);
	return o;
}

/* Write s[0..len) for a terminal: the run file wrote it, so a control
 * character (an escape sequence would drive the teacher's terminal: move
 * the cursor, retitle the window, rewrite what is on screen) is shown as
 * '?', C0 and DEL as C1 (U+0080..U+009F); a tab stays. Newlines are the
 * caller's. */
static void put_safe(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fputc('?', f);
		} else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] <= 0x9f) {
			fputc('?', f);
			i++;
		} else {
			fputc(c, f);
		}
	}
}

static void put_safe_str(FILE *f, const char *s)
{
	put_safe(f, s, strlen(s));
}

/* Write text with every line indented; nothing for an empty text. */
static void write_indented(FILE *f, const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;

		fputs(GB_HUMAN_INDENT, f);
		put_safe(f, text + i, n);
		fputc('\n', f);
		i += n + 1;
	}
}

/* One problem: "  ID: RESULT" then its text, or its text alone (a bare
 * string), or its JSON for any other shape. */
static void write_problem(FILE *f, const char *id, json_t *v)
{
	json_t *res = json_array_get(v, 0), *text = json_array_get(v, 1);

	fputs("  ", f);
	put_safe_str(f, id);
	fputc(':', f);
	if (json_is_string(v)) {
		fputc('\n', f);
		write_indented(f, json_string_value(v), json_string_length(v));
	} else if (json_is_array(v) && json_array_size(v) == 2 && json_is_string(res) &&
		   json_is_string(text)) {
		fputc(' ', f);
		put_safe(f, json_string_value(res), json_string_length(res));
		fputc('\n', f);
		write_indented(f, json_string_value(text), json_string_length(text));
	} else {
		/* JSON escapes every control character */
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		fprintf(f, " %s\n", s ? s : "?");
		free(s);
	}
}

int gb_result_write_human(FILE *f, const struct gb_grade_result *r)
{
	const char *key;
	json_t *v;

	fputs("result: ", f);
	put_safe_str(f, r->result ? r->result : GB_RESULT_ERROR);
	fputc('\n', f);
	fprintf(f, "grade: %.2f\n", gb_result_grade(r));
	if (r->text && r->text[0]) {
		fputs("feedback:\n", f);
		write_indented(f, r->text, strlen(r->text));
	}
	if (json_object_size(r->problems)) {
		fputs("problems:\n", f);
		json_object_foreach(r->problems, key, v)
			write_problem(f, key, v);
	}
	if (fflush(f) == EOF || ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* The length of the valid UTF-8 sequence at s[0..len), or, for an invalid
 * one, minus the length of its maximal valid prefix (at least 1): the bytes
 * one U+FFFD replaces (Unicode's "maximal subpart" practice, as Python). */
static long utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3;
	else
		return -1;
	/* The second byte's narrower ranges exclude overlongs, surrogates and
	 * code points past U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i <= need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi)
			return -(long)i;
		lo = 0x80;
		hi = 0xbf;
	}
	return (long)need + 1;
}

char *gb_utf8_sanitize(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, o = 0;
	char *out;

	/* At worst every byte becomes 3: a U+FFFD each. */
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	while (i < len) {
		long n = utf8_seq(s + i, len - i);

		if (n > 0) {
			memcpy(out + o, s + i, (size_t)n);
			o += (size_t)n;
			i += (size_t)n;
		} else {
			memcpy(out + o, GB_REPLACEMENT_CHAR, 3);
			o += 3;
			i += (size_t)-n;
		}
	}
	out[o] = '\0';
	return out;
}

void gb_result_free(struct gb_grade_result *r)
{
	free(r->result);
	free(r->text);
	json_decref(r->problems);
	json_decref(r->tests);
	json_decref(r->custom);
	json_decref(r->state);
	free(r->archive_b64);
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}
