/* feedback: see feedback.h.
 *
 * INGInious judges the feedback file twice. In the container, at the end
 * of the job, it loads the file as every API call does (absent or empty ->
 * {}, unparsable -> a crash record) and turns {} into the "No feedback was
 * given !" crash. The agent then checks the record's keys and types and
 * turns any violation into a crash "The grader did not return a readable
 * output : ...", and fills in the defaults (result "error", grade 100/0).
 * The front-end rounds the grade to 2 decimals. This file does the three
 * steps in that order on the bytes the grading sandbox read.
 *
 * The file is JSON as Python reads it, which jansson almost matches: NaN,
 * Infinity and -Infinity (Python accepts them; gradebox refuses them, see
 * feedback.h), reals too large for a double (Python: inf) and lone
 * UTF-16 surrogate escapes (Python keeps them; INGInious's own writers
 * produce \udcff for non-UTF-8 arguments) are handled by a scan before
 * jansson parses. */
#include "feedback.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Big enough for "%.2f" of any double (DBL_MAX has 309 digits). */
#define GB_GRADE_FMT_MAX 400

/* What the pre-scan found. */
struct scan {
	bool nonfinite; /* NaN, Infinity or -Infinity where a value goes */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool hex4(const char *p, size_t left, unsigned *out)
{
	unsigned v = 0;

	if (left < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* Is buf[at..at+n) a value position for Python's scanner: after '[', ',',
 * ':' or the start (spaces skipped), and followed by a space, ',', ']', '}'
 * or the end? Only there is NaN a number and not junk. */
static bool value_slot(const char *buf, size_t len, size_t at, size_t n)
{
	size_t i = at;

	while (i > 0 && is_ws(buf[i - 1]))
		i--;
	if (i > 0 && buf[i - 1] != '[' && buf[i - 1] != ',' && buf[i - 1] != ':')
		return false;
	return at + n == len || is_ws(buf[at + n]) || buf[at + n] == ',' || buf[at + n] == ']' ||
	       buf[at + n] == '}';
}

static bool is_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* A number at buf[i] in a value slot that no double holds (1e999, which
 * Python reads as inf and jansson refuses): blanked to "0" and spaces, of
 * the same length, and noted. Returns the index after the token. */
static size_t blank_overflow(char *buf, size_t len, size_t i, struct scan *s)
{
	char num[GB_GRADE_FMT_MAX];
	size_t end = i;
	bool real = false;

	while (end < len && is_number_char(buf[end])) {
		real |= buf[end] == '.' || buf[end] == 'e' || buf[end] == 'E';
		end++;
	}
	/* only a real can overflow (a long integer is jansson's "too big
	 * integer"), and one longer than this is junk for jansson to refuse */
	if (!real || end - i >= sizeof(num) || !value_slot(buf, len, i, end - i))
		return end;
	memcpy(num, buf + i, end - i);
	num[end - i] = '\0';
	if (isinf(strtod(num, NULL))) {
		memset(buf + i, ' ', end - i);
		buf[i] = '0';
		s->nonfinite = true;
	}
	return end;
}

/* Rewrite buf (a copy of the file) in place, keeping its length, so that
 * jansson parses what Python parses: a non-finite number becomes a finite
 * one of the same length (and is noted), a lone surrogate escape becomes
 * \ufffd. Anything else is left for jansson to accept or refuse. */
static void prescan(char *buf, size_t len, struct scan *s)
{
	bool in_string = false;
	size_t i = 0;

	while (i < len) {
		char c = buf[i];

		if (in_string) {
			unsigned u, lo;

			if (c == '"') {
				in_string = false;
				i++;
			} else if (c != '\\') {
				i++;
			} else if (i + 1 < len && buf[i + 1] == 'u' && hex4(buf + i + 2, len - i - 2, &u)) {
				if (u >= 0xd800 && u <= 0xdbff && i + 11 < len && buf[i + 6] == '\\' &&
				    buf[i + 7] == 'u' && hex4(buf + i + 8, len - i - 8, &lo) &&
				    lo >= 0xdc00 && lo <= 0xdfff) {
					i += 12; /* a proper pair */
				} else {
					if (u >= 0xd800 && u <= 0xdfff)
						memcpy(buf + i + 2, "fffd", 4);
					i += 6;
				}
			} else {
				i += 2; /* any other escape: jansson judges it */
			}
			continue;
		}
		if (c == '"') {
			in_string = true;
			i++;
		} else if (c == 'N' && len - i >= 3 && !memcmp(buf + i, "NaN", 3) &&
			   value_slot(buf, len, i, 3)) {
			memcpy(buf + i, "0.0", 3);
			s->nonfinite = true;
			i += 3;
		} else if (c == 'I' && len - i >= 8 && !memcmp(buf + i, "Infinity", 8) &&
			   (value_slot(buf, len, i, 8) ||
			    (i > 0 && buf[i - 1] == '-' && value_slot(buf, len, i - 1, 9)))) {
			memcpy(buf + i, "0.000000", 8);
			s->nonfinite = true;
			i += 8;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			i = blank_overflow(buf, len, i, s);
		} else {
			i++;
		}
	}
}

/* Python's str() of a KeyError: the repr() of the key. Printable
 * characters stay as they are (non-ASCII included), the rest is escaped. */
static char *py_repr(const char *s, size_t len)
{
	bool has_sq = memchr(s, '\'', len) != NULL, has_dq = memchr(s, '"', len) != NULL;
	char quote = has_sq && !has_dq ? '"' : '\'';
	size_t o = 0;
	char *out = malloc(len * 4 + 3); /* \xhh is the widest escape per byte */

	if (!out)
		return NULL;
	out[o++] = quote;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == (unsigned char)quote) {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			o += (size_t)sprintf(out + o, "\\n");
		} else if (c == '\r') {
			o += (size_t)sprintf(out + o, "\\r");
		} else if (c == '\t') {
			o += (size_t)sprintf(out + o, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] <= 0xa0) {
			/* U+0080..U+00A0: C1 controls and the no-break space */
			o += (size_t)sprintf(out + o, "\\x%02x", (unsigned char)s[i + 1]);
			i++;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = quote;
	out[o] = '\0';
	return out;
}

/* INGInious's id_checker (tests: id_checker_tests, which adds '*'):
 * re.match("^[a-z0-9._-]+$", id, re.IGNORECASE). Python's "$" also matches
 * before a final newline, and case folding lets four non-ASCII letters
 * through (İ ı ſ and the Kelvin sign). */
static bool id_ok(const char *id, size_t len, bool tests)
{
	size_t i = 0, n = 0;

	if (len > 1 && id[len - 1] == '\n')
		len--;
	while (i < len) {
		unsigned char c = (unsigned char)id[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-' || (tests && c == '*')) {
			i++;
		} else if (len - i >= 2 && c == 0xc4 &&
			   ((unsigned char)id[i + 1] == 0xb0 || (unsigned char)id[i + 1] == 0xb1)) {
			i += 2; /* U+0130, U+0131 */
		} else if (len - i >= 2 && c == 0xc5 && (unsigned char)id[i + 1] == 0xbf) {
			i += 2; /* U+017F */
		} else if (len - i >= 3 && !memcmp(id + i, "\xe2\x84\xaa", 3)) {
			i += 3; /* U+212A */
		} else {
			return false;
		}
		n++;
	}
	return n > 0;
}

/* The agent's type of each key it accepts. */
enum fb_type { FB_STR, FB_FLOAT, FB_DICT };
static const struct {
	const char *key;
	enum fb_type type;
} fb_keys[] = {
	{ "stdout", FB_STR },   { "stderr", FB_STR },	  { "result", FB_STR },
	{ "text", FB_STR },     { "grade", FB_FLOAT },	  { "problems", FB_DICT },
	{ "custom", FB_DICT },  { "tests", FB_DICT },	  { "state", FB_STR },
	{ "archive", FB_STR },
};

/* The agent's checks; NULL when they pass, else the text after
 * GB_FEEDBACK_UNREADABLE (malloc'd). */
static char *agent_check(json_t *fb)
{
	for (void *it = json_object_iter(fb); it; it = json_object_iter_next(fb, it)) {
		const char *key = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		json_t *v = json_object_iter_value(it);
		size_t k;

		for (k = 0; k < GB_ARRAY_SIZE(fb_keys); k++)
			if (strlen(fb_keys[k].key) == klen && !memcmp(fb_keys[k].key, key, klen))
				break;
		if (k == GB_ARRAY_SIZE(fb_keys))
			return py_repr(key, klen);
		switch (fb_keys[k].type) {
		case FB_STR:
			if (!json_is_string(v))
				return strdup(GB_FEEDBACK_BADLY_FORMATTED);
			break;
		case FB_FLOAT:
			if (!json_is_real(v)) /* Python: an int such as 5 is not a float */
				return strdup(GB_FEEDBACK_BADLY_FORMATTED);
			break;
		case FB_DICT:
			if (!json_is_object(v))
				return strdup(GB_FEEDBACK_BADLY_FORMATTED);
			if (!strcmp(fb_keys[k].key, "custom"))
				break; /* custom may hold anything */
			for (void *s = json_object_iter(v); s; s = json_object_iter_next(v, s))
				if (!id_ok(json_object_iter_key(s), json_object_iter_key_len(s),
					   !strcmp(fb_keys[k].key, "tests")) ||
				    json_is_object(json_object_iter_value(s)))
					return strdup(GB_FEEDBACK_BADLY_FORMATTED);
			break;
		}
	}
	return NULL;
}

/* Python's round(x, 2): correctly rounded, ties to even, as printf. */
static double round2(double x)
{
	char buf[GB_GRADE_FMT_MAX];

	snprintf(buf, sizeof(buf), "%.2f", x);
	return strtod(buf, NULL);
}

static void set_string(char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
}

static void set_object(json_t **dst, json_t *v)
{
	json_decref(*dst);
	*dst = json_is_object(v) ? json_incref(v) : json_object();
}

/* A crash: the result INGInious's agent sends when its checks fail. The
 * state stays (see feedback.h). */
static void crash_unreadable(struct gb_grade_result *r, const char *why)
{
	gb_result_set(r, GB_RESULT_CRASH, "%s%s", GB_FEEDBACK_UNREADABLE, why ? why : "");
	r->grade = GB_RESULT_GRADE_OTHER;
	r->grade_set = true;
	set_object(&r->problems, NULL);
	set_object(&r->tests, NULL);
	set_object(&r->custom, NULL);
}

/* The agent's defaults for a record that passed its checks. */
static void take_record(struct gb_grade_result *r, json_t *fb)
{
	json_t *result = json_object_get(fb, "result"), *text = json_object_get(fb, "text");
	json_t *grade = json_object_get(fb, "grade"), *state = json_object_get(fb, "state");

	set_string(&r->result, result ? json_string_value(result) : GB_RESULT_ERROR);
	set_string(&r->text, text ? json_string_value(text) : "");
	set_object(&r->problems, json_object_get(fb, "problems"));
	set_object(&r->tests, json_object_get(fb, "tests"));
	set_object(&r->custom, json_object_get(fb, "custom"));
	gb_result_set_state(r, state ? json_string_value(state) : "");
	r->grade_set = true;
	if (grade)
		r->grade = round2(json_real_value(grade));
	else
		r->grade = r->result && !strcmp(r->result, GB_RESULT_SUCCESS) ? GB_RESULT_GRADE_SUCCESS
									  : GB_RESULT_GRADE_OTHER;
}

/* A record built here rather than read: the container's own crash dicts. */
static void take_crash_record(struct gb_grade_result *r, const char *text)
{
	json_t *fb = json_pack("{s:s, s:s}", "result", GB_RESULT_CRASH, "text", text);

	if (!fb) {
		crash_unreadable(r, text);
		return;
	}
	take_record(r, fb);
	json_decref(fb);
}

void gb_feedback_judge(const char *buf, size_t len, bool present, struct gb_grade_result *r)
{
	struct scan scan = { 0 };
	json_error_t jerr;
	char *copy, *why;
	json_t *fb;

	if (len > GB_FEEDBACK_MAX) {
		crash_unreadable(r, GB_FEEDBACK_TOO_LARGE);
		return;
	}
	if (!present || len == 0) {
		/* {"result": "crash", "text": "No feedback was given !",
		 * "problems": {}, "tests": {}} from the container */
		take_crash_record(r, GB_FEEDBACK_NONE);
		return;
	}
	copy = malloc(len);
	if (!copy) {
		crash_unreadable(r, "out of memory");
		return;
	}
	memcpy(copy, buf, len);
	prescan(copy, len, &scan);
	fb = json_loadb(copy, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	free(copy);
	if (!fb) {
		take_crash_record(r, GB_FEEDBACK_MODIFIED);
		return;
	}
	if (scan.nonfinite) {
		json_decref(fb);
		crash_unreadable(r, GB_FEEDBACK_BADLY_FORMATTED);
		return;
	}
	if (!json_is_object(fb)) {
		/* INGInious's container fails on it (TypeError) */
		json_decref(fb);
		crash_unreadable(r, GB_FEEDBACK_BADLY_FORMATTED);
		return;
	}
	if (json_object_size(fb) == 0) {
		json_decref(fb);
		take_crash_record(r, GB_FEEDBACK_NONE);
		return;
	}
	why = agent_check(fb);
	if (why) {
		crash_unreadable(r, why);
		free(why);
	} else {
		take_record(r, fb);
	}
	json_decref(fb);
}
