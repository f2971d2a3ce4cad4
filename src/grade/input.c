/* input: see input.h.
 *
 * __inputdata.json is written the way INGInious's container writes it,
 * Python's json.dumps with its defaults: keys in input order, separators
 * ", " and ": ", every character outside printable ASCII as \uXXXX
 * (astral ones as a surrogate pair), floats as Python's repr (the shortest
 * text that reads back the same: 0.1, 1e-05, 1e+16, 100.0). jansson keeps
 * the order but prints floats differently, so the dump is done here. */
#include "input.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "text.h"
#include "util.h"

/* Python repr needs at most 17 significant digits to read a double back. */
#define GB_DOUBLE_DIGITS_MAX 17
#define GB_FLOAT_TEXT_MAX 32
/* "/.__input/__inputfile_" and a count. */
#define GB_UPLOAD_PATH_MAX 64
/* How much of a problem id a message quotes. */
#define GB_KEY_SHOWN_MAX 64

/* Errors are one line: control characters (a problem id may hold any, and
 * jansson quotes the input near a syntax error) become '?'. */
static int one_line(gb_error *err)
{
	for (char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	return -1;
}

/* A problem id as a message shows it: cut short, one line. */
static const char *key_shown(const char *key, char buf[GB_KEY_SHOWN_MAX + 4])
{
	size_t n = strnlen(key, GB_KEY_SHOWN_MAX), i;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)key[i] < 0x20 ? '?' : key[i];
	strcpy(buf + n, key[n] ? "..." : "");
	return buf;
}

/* ---- the @-fields ---- */

void gb_input_format_time(const struct timespec *ts, char buf[GB_INPUT_TIME_MAX])
{
	struct tm tm;
	time_t t = ts->tv_sec;
	long usec = ts->tv_nsec / 1000;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, GB_INPUT_TIME_MAX, "%Y-%m-%d %H:%M:%S", &tm);
	if (usec)
		n += (size_t)snprintf(buf + n, GB_INPUT_TIME_MAX - n, ".%06ld", usec);
	snprintf(buf + n, GB_INPUT_TIME_MAX - n, "+00:00");
}

/* Python's random.random(): 53 random bits as a double in [0, 1). */
static int random_list(unsigned count, json_t **out)
{
	json_t *list = json_array();

	if (!list)
		return -1;
	for (unsigned i = 0; i < count; i++) {
		uint64_t x;

		if (GB_RETRY(getrandom(&x, sizeof(x), 0)) != (ssize_t)sizeof(x)) {
			json_decref(list);
			return -1;
		}
		json_array_append_new(list, json_real((double)(x >> 11) * 0x1.0p-53));
	}
	*out = list;
	return 0;
}

static int add_default(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -1;
	if (json_object_get(obj, key)) {
		json_decref(v);
		return 0;
	}
	return json_object_set_new(obj, key, v);
}

static int add_defaults(json_t *obj, unsigned input_random)
{
	char now[GB_INPUT_TIME_MAX];
	struct timespec ts;
	json_t *random = NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	gb_input_format_time(&ts, now);
	if (add_default(obj, "@username", json_string(GB_INPUT_DEFAULT_USERNAME)) < 0 ||
	    add_default(obj, "@email", json_string(GB_INPUT_DEFAULT_EMAIL)) < 0 ||
	    add_default(obj, "@lang", json_string(GB_INPUT_DEFAULT_LANG)) < 0 ||
	    add_default(obj, "@time", json_string(now)) < 0 ||
	    add_default(obj, "@attempts", json_string(GB_INPUT_DEFAULT_ATTEMPTS)) < 0)
		return -1;
	if (!json_object_get(obj, "@random")) {
		if (random_list(input_random, &random) < 0)
			return -1;
		if (json_object_set_new(obj, "@random", random) < 0)
			return -1;
	}
	return add_default(obj, "@state", json_string(GB_INPUT_DEFAULT_STATE));
}

/* ---- parsing ---- */

/* INGInious's test: an object whose key set is exactly {filename, value}. */
static bool is_upload(json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 2 && json_object_get(v, "filename") &&
	       json_object_get(v, "value");
}

static const char *type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* One upload: decoded into in->uploads, and its entry rewritten with the
 * path the grading sandbox gets, keys in the order given. */
static int take_upload(struct gb_input *in, const char *shown, const char *rawkey, json_t *v,
		       json_t **entry, gb_error *err)
{
	char key[GB_KEY_SHOWN_MAX + 4];
	json_t *filename = json_object_get(v, "filename"), *value = json_object_get(v, "value");
	struct gb_upload *u, *grown;
	char path[GB_UPLOAD_PATH_MAX];
	const char *k;
	json_t *x;

	key_shown(rawkey, key);
	if (!json_is_string(filename))
		return gb_fail(err, 0, "%s: problem '%s': upload filename is %s, not a string", shown,
			       key, type_name(filename));
	if (!json_is_string(value))
		return gb_fail(err, 0, "%s: problem '%s': upload value is %s, not a base64 string",
			       shown, key, type_name(value));
	grown = realloc(in->uploads, (in->nuploads + 1) * sizeof(*in->uploads));
	if (!grown)
		return gb_fail(err, ENOMEM, "%s: problem '%s'", shown, key);
	in->uploads = grown;
	u = &in->uploads[in->nuploads];
	memset(u, 0, sizeof(*u));
	u->index = (unsigned)in->nuploads;
	if (gb_base64_decode(json_string_value(value), json_string_length(value), &u->data, &u->len) < 0)
		return gb_fail(err, 0, "%s: problem '%s': upload value is not base64", shown, key);
	in->nuploads++;
	snprintf(path, sizeof(path), GB_INPUT_FILE_PREFIX "%u", u->index);
	*entry = json_object();
	if (!*entry)
		return gb_fail(err, ENOMEM, "%s: problem '%s'", shown, key);
	json_object_foreach(v, k, x)
		json_object_set_new(*entry, k,
				    x == value ? json_string(path) : json_incref(x));
	return 0;
}

int gb_input_parse(const char *text, size_t len, const char *shown, unsigned input_random,
		   struct gb_input *in, gb_error *err)
{
	json_error_t jerr;
	json_t *root, *answers, *inner, *out;
	int r = 0;

	memset(in, 0, sizeof(*in));
	root = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		gb_fail(err, 0, "%s:%d:%d: JSON syntax error: %s", shown, jerr.line, jerr.column,
			jerr.text);
		return one_line(err);
	}
	if (!json_is_object(root)) {
		r = gb_fail(err, 0, "%s: expected a JSON object of answers, found %s", shown,
			    type_name(root));
		json_decref(root);
		return r;
	}
	inner = json_object_get(root, "input");
	answers = json_is_object(inner) && !is_upload(inner) ? inner : root;
	out = json_object();
	if (!out) {
		json_decref(root);
		return gb_fail(err, ENOMEM, "%s", shown);
	}
	for (void *it = json_object_iter(answers); it && r == 0;
	     it = json_object_iter_next(answers, it)) {
		const char *key = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		json_t *v = json_object_iter_value(it), *entry = NULL;

		if (is_upload(v))
			r = take_upload(in, shown, key, v, &entry, err);
		else
			entry = json_incref(v);
		if (r == 0 && json_object_setn_new(out, key, klen, entry) < 0)
			r = gb_fail(err, ENOMEM, "%s: problem", shown);
	}
	json_decref(root);
	if (r == 0 && add_defaults(out, input_random) < 0)
		r = gb_fail(err, errno ? errno : ENOMEM, "%s: adding the @-fields", shown);
	if (r == 0) {
		in->doc = json_pack("{s:o}", "input", out);
		out = NULL;
		if (!in->doc)
			r = gb_fail(err, ENOMEM, "%s", shown);
	}
	json_decref(out);
	if (r < 0)
		gb_input_free(in);
	return r;
}

const char *gb_input_state(const struct gb_input *in)
{
	json_t *state = json_object_get(json_object_get(in->doc, "input"), "@state");

	return json_is_string(state) ? json_string_value(state) : "";
}

/* ---- the dump, as Python's json.dumps ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* The code point of the (valid: jansson checked it) UTF-8 at s. */
static uint32_t utf8_next(const unsigned char *s, size_t *adv)
{
	if (s[0] < 0x80) {
		*adv = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*adv = 2;
		return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if (s[0] < 0xf0) {
		*adv = 3;
		return (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	*adv = 4;
	return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
	       (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
}

static void dump_string(struct sbuf *b, const char *s, size_t len)
{
	char esc[16];

	sb_put(b, "\"", 1);
	for (size_t i = 0; i < len;) {
		size_t adv = 1;
		uint32_t c = utf8_next((const unsigned char *)s + i, &adv);

		if (adv > len - i) /* cannot happen with jansson's strings */
			break;
		i += adv;
		switch (c) {
		case '"':
			sb_str(b, "\\\"");
			continue;
		case '\\':
			sb_str(b, "\\\\");
			continue;
		case '\n':
			sb_str(b, "\\n");
			continue;
		case '\r':
			sb_str(b, "\\r");
			continue;
		case '\t':
			sb_str(b, "\\t");
			continue;
		case '\b':
			sb_str(b, "\\b");
			continue;
		case '\f':
			sb_str(b, "\\f");
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			char ch = (char)c;

			sb_put(b, &ch, 1);
		} else if (c < 0x10000) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sb_str(b, esc);
		} else {
			c -= 0x10000;
			snprintf(esc, sizeof(esc), "\\u%04x\\u%04x", 0xd800 + (c >> 10),
				 0xdc00 + (c & 0x3ff));
			sb_str(b, esc);
		}
	}
	sb_put(b, "\"", 1);
}

/* Python's repr() of a finite double. */
static void format_float(double x, char out[GB_FLOAT_TEXT_MAX])
{
	char e[GB_FLOAT_TEXT_MAX], digits[GB_DOUBLE_DIGITS_MAX + 1];
	int prec, exp, nd = 0, decpt, o = 0;
	const char *p;

	if (isnan(x)) {
		strcpy(out, "NaN");
		return;
	}
	if (isinf(x)) {
		strcpy(out, x > 0 ? "Infinity" : "-Infinity");
		return;
	}
	/* the shortest digits that read back as x */
	for (prec = 1; prec < GB_DOUBLE_DIGITS_MAX; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, x);
		if (strtod(e, NULL) == x)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", prec - 1, x);
	p = e;
	if (*p == '-') {
		out[o++] = '-';
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	decpt = exp + 1; /* x = 0.DIGITS x 10^decpt */
	if (decpt <= -4 || decpt > 16) {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		snprintf(out + o, (size_t)(GB_FLOAT_TEXT_MAX - o), "e%c%02d", exp < 0 ? '-' : '+',
			 exp < 0 ? -exp : exp);
		return;
	}
	if (decpt <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -decpt; i++)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t)nd);
		o += nd;
	} else if (decpt >= nd) {
		memcpy(out + o, digits, (size_t)nd);
		o += nd;
		for (int i = nd; i < decpt; i++)
			out[o++] = '0';
		out[o++] = '.';
		out[o++] = '0';
	} else {
		memcpy(out + o, digits, (size_t)decpt);
		o += decpt;
		out[o++] = '.';
		memcpy(out + o, digits + decpt, (size_t)(nd - decpt));
		o += nd - decpt;
	}
	out[o] = '\0';
}

static void dump_value(struct sbuf *b, json_t *v)
{
	char num[GB_FLOAT_TEXT_MAX];
	bool first = true;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		sb_put(b, "{", 1);
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			if (!first)
				sb_put(b, ", ", 2);
			first = false;
			dump_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
			sb_put(b, ": ", 2);
			dump_value(b, json_object_iter_value(it));
		}
		sb_put(b, "}", 1);
		break;
	case JSON_ARRAY:
		sb_put(b, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				sb_put(b, ", ", 2);
			dump_value(b, json_array_get(v, i));
		}
		sb_put(b, "]", 1);
		break;
	case JSON_STRING:
		dump_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		sb_str(b, num);
		break;
	case JSON_REAL:
		format_float(json_real_value(v), num);
		sb_str(b, num);
		break;
	case JSON_TRUE:
		sb_str(b, "true");
		break;
	case JSON_FALSE:
		sb_str(b, "false");
		break;
	default:
		sb_str(b, "null");
	}
}

char *gb_input_dump(const struct gb_input *in)
{
	struct sbuf b = { 0 };

	dump_value(&b, in->doc);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

void gb_input_free(struct gb_input *in)
{
	json_decref(in->doc);
	for (size_t i = 0; i < in->nuploads; i++)
		free(in->uploads[i].data);
	free(in->uploads);
	memset(in, 0, sizeof(*in));
}
