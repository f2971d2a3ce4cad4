/* Python's json, as INGInious's API uses it: json.loads (NaN, Infinity,
 * -Infinity accepted, control characters in strings refused, a duplicate
 * key keeps its first place and its last value, integers of any size) and
 * json.dumps with its defaults (ensure_ascii, ", " and ": ", insertion
 * order, float repr, bare NaN/Infinity, no trailing newline).
 * Integers are kept as their decimal digits so that no size is lost. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

struct api_json *api_json_new(enum api_jtype t)
{
	struct api_json *v = api_xmalloc(sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

struct api_json *api_json_str(const char *s, size_t n)
{
	struct api_json *v = api_json_new(AJ_STR);
	v->s = api_xstrndup(s, n);
	v->n = n;
	return v;
}

struct api_json *api_json_float(double f)
{
	struct api_json *v = api_json_new(AJ_FLOAT);
	v->f = f;
	return v;
}

void api_json_free(struct api_json *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->len; i++) {
		api_json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->klens);
	free(v->s);
	free(v);
}

static void grow(struct api_json *v)
{
	if (v->len < v->cap)
		return;
	v->cap = v->cap ? v->cap * 2 : 8;
	v->items = api_xrealloc(v->items, v->cap * sizeof(*v->items));
	if (v->type == AJ_OBJ) {
		v->keys = api_xrealloc(v->keys, v->cap * sizeof(*v->keys));
		v->klens = api_xrealloc(v->klens, v->cap * sizeof(*v->klens));
	}
}

void api_json_arr_add(struct api_json *a, struct api_json *v)
{
	grow(a);
	a->items[a->len++] = v;
}

struct api_json *api_json_obj_get(const struct api_json *o, const char *k, size_t kn)
{
	for (size_t i = 0; i < o->len; i++)
		if (o->klens[i] == kn && !memcmp(o->keys[i], k, kn))
			return o->items[i];
	return NULL;
}

void api_json_obj_set(struct api_json *o, const char *k, size_t kn, struct api_json *v)
{
	for (size_t i = 0; i < o->len; i++) {
		if (o->klens[i] == kn && !memcmp(o->keys[i], k, kn)) {
			if (o->items[i] != v)
				api_json_free(o->items[i]);
			o->items[i] = v;
			return;
		}
	}
	grow(o);
	o->keys[o->len] = api_xstrndup(k, kn);
	o->klens[o->len] = kn;
	o->items[o->len++] = v;
}

/* ---- parser ---- */
struct parser {
	const char *s;
	size_t n, i;
	const char *err;
};

static void skip_ws(struct parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
			       p->s[p->i] == '\r'))
		p->i++;
}

static bool lit(struct parser *p, const char *w)
{
	size_t l = strlen(w);
	if (p->n - p->i >= l && !memcmp(p->s + p->i, w, l)) {
		p->i += l;
		return true;
	}
	return false;
}

static int hex4(struct parser *p, uint32_t *out)
{
	uint32_t v = 0;
	if (p->n - p->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i + (size_t)k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	p->i += 4;
	*out = v;
	return 0;
}

static int parse_string(struct parser *p, struct api_buf *b)
{
	p->i++; /* the opening quote */
	while (p->i < p->n) {
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '"') {
			p->i++;
			return 0;
		}
		if (c < 0x20) {
			p->err = "Invalid control character";
			return -1;
		}
		if (c != '\\') {
			size_t at = p->i;
			api_wtf8_next(p->s, p->n, &p->i);
			api_buf_add(b, p->s + at, p->i - at);
			continue;
		}
		if (++p->i >= p->n)
			break;
		char e = p->s[p->i++];
		uint32_t cp, lo;
		switch (e) {
		case '"': api_buf_addc(b, '"'); break;
		case '\\': api_buf_addc(b, '\\'); break;
		case '/': api_buf_addc(b, '/'); break;
		case 'b': api_buf_addc(b, '\b'); break;
		case 'f': api_buf_addc(b, '\f'); break;
		case 'n': api_buf_addc(b, '\n'); break;
		case 'r': api_buf_addc(b, '\r'); break;
		case 't': api_buf_addc(b, '\t'); break;
		case 'u':
			if (hex4(p, &cp) < 0) {
				p->err = "Invalid \\uXXXX escape";
				return -1;
			}
			/* a high surrogate followed by an escaped low one is one
			 * character; any other surrogate stays alone */
			if (cp >= 0xd800 && cp <= 0xdbff && p->n - p->i >= 6 && p->s[p->i] == '\\' &&
			    p->s[p->i + 1] == 'u') {
				size_t save = p->i;
				p->i += 2;
				if (hex4(p, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff)
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				else
					p->i = save;
			}
			api_buf_addcp(b, cp);
			break;
		default:
			p->err = "Invalid \\escape";
			return -1;
		}
	}
	p->err = "Unterminated string starting at";
	return -1;
}

static struct api_json *parse_value(struct parser *p, int depth);

static struct api_json *parse_number(struct parser *p)
{
	size_t st = p->i;
	bool is_float = false;
	if (p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0') {
		p->i++;
	} else if (p->i < p->n && p->s[p->i] >= '1' && p->s[p->i] <= '9') {
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	} else {
		p->err = "Expecting value";
		return NULL;
	}
	if (p->i + 1 < p->n && p->s[p->i] == '.' && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9') {
		is_float = true;
		p->i++;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		size_t j = p->i + 1;
		if (j < p->n && (p->s[j] == '+' || p->s[j] == '-'))
			j++;
		if (j < p->n && p->s[j] >= '0' && p->s[j] <= '9') {
			is_float = true;
			while (j < p->n && p->s[j] >= '0' && p->s[j] <= '9')
				j++;
			p->i = j;
		}
	}
	if (is_float) {
		char *t = api_xstrndup(p->s + st, p->i - st);
		struct api_json *v = api_json_float(strtod(t, NULL));
		free(t);
		return v;
	}
	struct api_buf d = {0};
	if (api_py_int(p->s + st, p->i - st, &d) < 0) {
		api_buf_free(&d);
		p->err = "Exceeds the limit (4300 digits) for integer string conversion";
		return NULL;
	}
	struct api_json *v = api_json_new(AJ_INT);
	v->s = d.p;
	v->n = d.n;
	return v;
}

static struct api_json *parse_value(struct parser *p, int depth)
{
	if (depth > API_JSON_MAX_DEPTH) {
		p->err = "maximum recursion depth exceeded";
		return NULL;
	}
	if (p->i >= p->n) {
		p->err = "Expecting value";
		return NULL;
	}
	char c = p->s[p->i];
	if (c == '"') {
		struct api_buf b = {0};
		if (parse_string(p, &b) < 0) {
			api_buf_free(&b);
			return NULL;
		}
		struct api_json *v = api_json_new(AJ_STR);
		v->s = api_buf_cstr(&b);
		v->n = b.n;
		return v;
	}
	if (c == '{' || c == '[') {
		bool obj = c == '{';
		struct api_json *v = api_json_new(obj ? AJ_OBJ : AJ_ARR);
		p->i++;
		skip_ws(p);
		if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
			p->i++;
			return v;
		}
		for (;;) {
			struct api_buf key = {0};
			if (obj) {
				if (p->i >= p->n || p->s[p->i] != '"') {
					p->err = "Expecting property name enclosed in double quotes";
					goto fail;
				}
				if (parse_string(p, &key) < 0) {
					api_buf_free(&key);
					goto fail;
				}
				skip_ws(p);
				if (p->i >= p->n || p->s[p->i] != ':') {
					p->err = "Expecting ':' delimiter";
					api_buf_free(&key);
					goto fail;
				}
				p->i++;
				skip_ws(p);
			}
			struct api_json *item = parse_value(p, depth + 1);
			if (!item) {
				api_buf_free(&key);
				goto fail;
			}
			if (obj) {
				api_json_obj_set(v, key.p ? key.p : "", key.n, item);
				api_buf_free(&key);
			} else {
				api_json_arr_add(v, item);
			}
			skip_ws(p);
			if (p->i < p->n && p->s[p->i] == ',') {
				p->i++;
				skip_ws(p);
				continue;
			}
			if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
				p->i++;
				return v;
			}
			p->err = "Expecting ',' delimiter";
			goto fail;
		}
fail:
		api_json_free(v);
		return NULL;
	}
	if (lit(p, "null"))
		return api_json_new(AJ_NULL);
	if (lit(p, "true"))
		return api_json_new(AJ_TRUE);
	if (lit(p, "false"))
		return api_json_new(AJ_FALSE);
	if (lit(p, "NaN"))
		return api_json_float(NAN);
	if (lit(p, "Infinity"))
		return api_json_float(INFINITY);
	if (lit(p, "-Infinity"))
		return api_json_float(-INFINITY);
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(p);
	p->err = "Expecting value";
	return NULL;
}

struct api_json *api_json_parse(const char *s, size_t n, const char **err)
{
	struct parser p = {.s = s, .n = n};
	/* Python reads the text strictly as UTF-8 first */
	if (!api_utf8_valid(s, n, NULL)) {
		*err = "invalid UTF-8";
		return NULL;
	}
	skip_ws(&p);
	struct api_json *v = parse_value(&p, 0);
	if (!v) {
		*err = p.err;
		return NULL;
	}
	skip_ws(&p);
	if (p.i != p.n) {
		*err = "Extra data";
		api_json_free(v);
		return NULL;
	}
	return v;
}

/* ---- serializer ---- */
void api_json_dump_str(struct api_buf *b, const char *s, size_t n)
{
	api_buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		uint32_t cp = api_wtf8_next(s, n, &i);
		switch (cp) {
		case '"': api_buf_adds(b, "\\\""); break;
		case '\\': api_buf_adds(b, "\\\\"); break;
		case '\n': api_buf_adds(b, "\\n"); break;
		case '\r': api_buf_adds(b, "\\r"); break;
		case '\t': api_buf_adds(b, "\\t"); break;
		case '\b': api_buf_adds(b, "\\b"); break;
		case '\f': api_buf_adds(b, "\\f"); break;
		default:
			if (cp >= 0x20 && cp <= 0x7e) {
				api_buf_addc(b, (char)cp);
			} else if (cp >= 0x10000) {
				cp -= 0x10000;
				api_buf_printf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
			} else {
				api_buf_printf(b, "\\u%04x", cp);
			}
		}
	}
	api_buf_addc(b, '"');
}

void api_json_dump(struct api_buf *b, const struct api_json *v)
{
	switch (v->type) {
	case AJ_NULL: api_buf_adds(b, "null"); break;
	case AJ_TRUE: api_buf_adds(b, "true"); break;
	case AJ_FALSE: api_buf_adds(b, "false"); break;
	case AJ_INT: api_buf_add(b, v->s, v->n); break;
	case AJ_FLOAT:
		if (isnan(v->f))
			api_buf_adds(b, "NaN");
		else if (isinf(v->f))
			api_buf_adds(b, v->f > 0 ? "Infinity" : "-Infinity");
		else
			api_float_repr(b, v->f);
		break;
	case AJ_STR: api_json_dump_str(b, v->s, v->n); break;
	case AJ_ARR:
		api_buf_addc(b, '[');
		for (size_t i = 0; i < v->len; i++) {
			if (i)
				api_buf_adds(b, ", ");
			api_json_dump(b, v->items[i]);
		}
		api_buf_addc(b, ']');
		break;
	case AJ_OBJ:
		api_buf_addc(b, '{');
		for (size_t i = 0; i < v->len; i++) {
			if (i)
				api_buf_adds(b, ", ");
			api_json_dump_str(b, v->keys[i], v->klens[i]);
			api_buf_adds(b, ": ");
			api_json_dump(b, v->items[i]);
		}
		api_buf_addc(b, '}');
		break;
	}
}
