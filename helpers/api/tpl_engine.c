/* A subset of Jinja2 in C, for images without python3 + jinja2 (see
 * tpl.c and gradebox(1), CONTAINER API). Jinja2's default settings:
 * no autoescape, line breaks normalised to "\n" and one final newline
 * dropped, block tags keep their newlines, "-" trims white space.
 * Supported: {{ expr }}, {# #}, {% if/elif/else/endif %}, {% for x in
 * expr %}...{% else %}...{% endfor %} (with loop.index, index0, first,
 * last, length), {% set x = expr %}; expressions with names, strings,
 * integers, lists, . and [] access, not/and/or, == != < > <= >= in,
 * + - * ~, "is defined"; filters e/escape, upper, lower, default/d,
 * length/count, trim, int, string, join, capitalize, title, replace,
 * safe, first, last; _("text").
 * An undefined name renders empty and fails when computed with.
 * The process is short-lived: values are not freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpl_engine.h"

static char *dupn(const char *s, size_t n)
{
	return api_xstrndup(s, n);
}

/* ---- values ---- */
static struct tpl_val vstr(const char *s, size_t n)
{
	return (struct tpl_val){.t = V_STR, .s = s, .n = n};
}

static struct tpl_val vint(long i)
{
	return (struct tpl_val){.t = V_INT, .i = i};
}

static struct tpl_val vbool(bool b)
{
	return (struct tpl_val){.t = V_BOOL, .i = b};
}

static struct tpl_val lookup(struct tpl_eng *g, const char *s, size_t n)
{
	for (size_t k = g->nvars; k-- > 0;)
		if (strlen(g->names[k]) == n && !memcmp(g->names[k], s, n))
			return g->vals[k];
	return (struct tpl_val){.t = V_UNDEF, .s = dupn(s, n), .n = n};
}

static void bind(struct tpl_eng *g, const char *name, struct tpl_val v)
{
	if (g->nvars == g->capvars) {
		g->capvars = g->capvars ? g->capvars * 2 : 16;
		g->names = api_xrealloc(g->names, g->capvars * sizeof(*g->names));
		g->vals = api_xrealloc(g->vals, g->capvars * sizeof(*g->vals));
	}
	g->names[g->nvars] = name;
	g->vals[g->nvars++] = v;
}

static bool truthy(struct tpl_val v)
{
	switch (v.t) {
	case V_BOOL: case V_INT: return v.i != 0;
	case V_STR: return v.n > 0;
	case V_LIST: case V_DICT: return v.len > 0;
	case V_GETTEXT: return true;
	default: return false;
	}
}

static void to_str(struct api_buf *b, struct tpl_val v);

static void repr(struct api_buf *b, struct tpl_val v)
{
	if (v.t == V_STR)
		api_py_repr(b, v.s, v.n);
	else
		to_str(b, v);
}

static void to_str(struct api_buf *b, struct tpl_val v)
{
	switch (v.t) {
	case V_UNDEF: break;
	case V_NONE: api_buf_adds(b, "None"); break;
	case V_BOOL: api_buf_adds(b, v.i ? "True" : "False"); break;
	case V_INT: api_buf_printf(b, "%ld", v.i); break;
	case V_STR: api_buf_add(b, v.s, v.n); break;
	case V_GETTEXT: api_buf_adds(b, "<bound method GNUTranslations.gettext>"); break;
	case V_LIST:
		api_buf_addc(b, '[');
		for (size_t k = 0; k < v.len; k++) {
			if (k)
				api_buf_adds(b, ", ");
			repr(b, v.items[k]);
		}
		api_buf_addc(b, ']');
		break;
	case V_DICT:
		api_buf_addc(b, '{');
		for (size_t k = 0; k < v.len; k++) {
			if (k)
				api_buf_adds(b, ", ");
			api_py_repr(b, v.keys[k], strlen(v.keys[k]));
			api_buf_adds(b, ": ");
			repr(b, v.items[k]);
		}
		api_buf_addc(b, '}');
		break;
	}
}

static struct tpl_val str_of(struct tpl_val v)
{
	struct api_buf b = {0};
	to_str(&b, v);
	return vstr(api_buf_cstr(&b), b.n);
}

static bool undef_fail(struct tpl_eng *g, struct tpl_val v)
{
	if (v.t != V_UNDEF)
		return false;
	api_tpl_fail(g, "UndefinedError", "'%s' is undefined", v.s);
	return true;
}

/* A string's code points as a list of one-character strings. */
static struct tpl_val chars(struct tpl_val v)
{
	struct tpl_val l = {.t = V_LIST};
	l.items = api_xmalloc((v.n + 1) * sizeof(struct tpl_val));
	for (size_t i = 0; i < v.n;) {
		size_t at = i;
		api_wtf8_next(v.s, v.n, &i);
		l.items[l.len++] = vstr(v.s + at, i - at);
	}
	return l;
}

/* len(): 0 for an undefined name, a TypeError for what has no length. */
static size_t length(struct tpl_eng *g, struct tpl_val v)
{
	if (v.t == V_STR)
		return chars(v).len;
	if (v.t == V_LIST || v.t == V_DICT)
		return v.len;
	if (v.t != V_UNDEF)
		api_tpl_fail(g, "TypeError", "object of this type has no len()");
	return 0;
}

static bool equal(struct tpl_val a, struct tpl_val b)
{
	if (a.t == V_STR && b.t == V_STR)
		return a.n == b.n && !memcmp(a.s, b.s, a.n);
	if ((a.t == V_INT || a.t == V_BOOL) && (b.t == V_INT || b.t == V_BOOL))
		return a.i == b.i;
	if (a.t == V_LIST && b.t == V_LIST) {
		if (a.len != b.len)
			return false;
		for (size_t k = 0; k < a.len; k++)
			if (!equal(a.items[k], b.items[k]))
				return false;
		return true;
	}
	/* None == None, and Jinja2's Undefined equals any Undefined */
	return a.t == b.t && (a.t == V_NONE || a.t == V_UNDEF);
}

static struct tpl_val eval(struct tpl_eng *g, const struct tpl_expr *e);

/* Python's str.upper()/lower() for ASCII and the letters of ucd.c's case
 * table (Latin, Greek, Cyrillic); other characters are kept. */
static uint32_t case_map(uint32_t c, bool up)
{
	if (c < 0x80) {
		if (up && c >= 'a' && c <= 'z')
			return c - 32;
		if (!up && c >= 'A' && c <= 'Z')
			return c + 32;
		return c;
	}
	const struct api_ucd_case *t = up ? api_ucd_upper : api_ucd_lower;
	size_t n = up ? api_ucd_upper_n : api_ucd_lower_n;
	for (size_t i = 0; i < n; i++)
		if (t[i].from == c)
			return t[i].to;
	return c;
}

static struct tpl_val filter(struct tpl_eng *g, const struct tpl_expr *e, struct tpl_val v)
{
	char f[32];
	snprintf(f, sizeof(f), "%.*s", (int)e->n, e->s);
	struct tpl_val args[4] = {{0}};
	for (size_t k = 0; k < e->nargs && k < 4; k++)
		args[k] = eval(g, e->args[k]);
	if (!strcmp(f, "e") || !strcmp(f, "escape")) {
		struct api_buf b = {0}, s = {0};
		to_str(&s, v);
		for (size_t k = 0; k < s.n; k++) {
			switch (s.p[k]) {
			case '&': api_buf_adds(&b, "&amp;"); break;
			case '<': api_buf_adds(&b, "&lt;"); break;
			case '>': api_buf_adds(&b, "&gt;"); break;
			case '"': api_buf_adds(&b, "&#34;"); break;
			case '\'': api_buf_adds(&b, "&#39;"); break;
			default: api_buf_addc(&b, s.p[k]);
			}
		}
		return vstr(api_buf_cstr(&b), b.n);
	}
	if (!strcmp(f, "upper") || !strcmp(f, "lower") || !strcmp(f, "capitalize")) {
		struct tpl_val s = str_of(v);
		struct api_buf b = {0};
		for (size_t i = 0, k = 0; i < s.n; k++) {
			uint32_t cp = api_wtf8_next(s.s, s.n, &i);
			bool up = f[0] == 'u' || (f[0] == 'c' && k == 0);
			if (up && cp == 0xdf)
				api_buf_adds(&b, "SS"); /* Python's "ß".upper() */
			else
				api_buf_addcp(&b, case_map(cp, up));
		}
		return vstr(api_buf_cstr(&b), b.n);
	}
	if (!strcmp(f, "default") || !strcmp(f, "d")) {
		bool boolean = e->nargs > 1 && truthy(args[1]);
		if (v.t == V_UNDEF || (boolean && !truthy(v)))
			return e->nargs ? args[0] : vstr("", 0);
		return v;
	}
	if (!strcmp(f, "length") || !strcmp(f, "count"))
		return vint((long)length(g, v));
	if (!strcmp(f, "trim")) {
		struct tpl_val s = str_of(v);
		while (s.n && api_tpl_is_ws(*s.s))
			s.s++, s.n--;
		while (s.n && api_tpl_is_ws(s.s[s.n - 1]))
			s.n--;
		return s;
	}
	if (!strcmp(f, "safe"))
		return v; /* no autoescape: nothing to mark */
	if (!strcmp(f, "first") || !strcmp(f, "last")) {
		struct tpl_val l = v.t == V_STR ? chars(v) : v;
		if (l.t == V_LIST && l.len)
			return l.items[f[0] == 'f' ? 0 : l.len - 1];
		if (l.t != V_LIST && l.t != V_DICT && l.t != V_UNDEF)
			api_tpl_fail(g, "TypeError", "object is not iterable");
		return (struct tpl_val){.t = V_UNDEF, .s = "first"};
	}
	if (!strcmp(f, "title")) {
		/* Jinja2's: each word after "-", white space or ([{< gets its
		 * first character upper, the rest lower */
		struct tpl_val s = str_of(v);
		struct api_buf b = {0};
		bool start = true;
		for (size_t i = 0; i < s.n;) {
			uint32_t cp = api_wtf8_next(s.s, s.n, &i);
			bool sep = (cp && cp < 0x80 && strchr("-([{<", (int)cp)) || api_ucd_isspace(cp);
			api_buf_addcp(&b, sep ? cp : case_map(cp, start));
			start = sep;
		}
		return vstr(api_buf_cstr(&b), b.n);
	}
	if (!strcmp(f, "string"))
		return str_of(v);
	if (!strcmp(f, "int")) {
		if (undef_fail(g, v))
			return v;
		if (v.t == V_INT || v.t == V_BOOL)
			return vint(v.i);
		struct tpl_val s = str_of(v);
		double d;
		return vint(api_py_float(s.s, s.n, &d) == 0 && d == d ? (long)d : (e->nargs ? args[0].i : 0));
	}
	if (!strcmp(f, "join")) {
		struct api_buf b = {0};
		struct tpl_val l = v.t == V_STR ? chars(v) : v;
		for (size_t k = 0; l.t == V_LIST && k < l.len; k++) {
			if (k && e->nargs)
				to_str(&b, args[0]);
			to_str(&b, l.items[k]);
		}
		return vstr(api_buf_cstr(&b), b.n);
	}
	if (!strcmp(f, "replace") && e->nargs >= 2) {
		struct tpl_val s = str_of(v), o = str_of(args[0]), nw = str_of(args[1]);
		struct api_buf b = {0};
		for (size_t k = 0; k < s.n;) {
			if (o.n && k + o.n <= s.n && !memcmp(s.s + k, o.s, o.n)) {
				api_buf_add(&b, nw.s, nw.n);
				k += o.n;
			} else {
				api_buf_addc(&b, s.s[k++]);
			}
		}
		return vstr(api_buf_cstr(&b), b.n);
	}
	api_tpl_fail(g, "TemplateAssertionError", "No filter named '%s'.", f);
	return v;
}

static struct tpl_val arith(struct tpl_eng *g, const char *op, struct tpl_val a, struct tpl_val b)
{
	if (*op == '~') {
		struct api_buf s = {0};
		to_str(&s, a);
		to_str(&s, b);
		return vstr(api_buf_cstr(&s), s.n);
	}
	if (undef_fail(g, a) || undef_fail(g, b))
		return a;
	if (*op == '+' && a.t == V_STR && b.t == V_STR) {
		struct api_buf s = {0};
		api_buf_add(&s, a.s, a.n);
		api_buf_add(&s, b.s, b.n);
		return vstr(api_buf_cstr(&s), s.n);
	}
	if ((a.t == V_INT || a.t == V_BOOL) && (b.t == V_INT || b.t == V_BOOL))
		return vint(*op == '+' ? a.i + b.i : *op == '-' ? a.i - b.i : a.i * b.i);
	api_tpl_fail(g, "TypeError", "unsupported operand type(s) for %s", op);
	return a;
}

static struct tpl_val compare(struct tpl_eng *g, const char *op, struct tpl_val a, struct tpl_val b)
{
	if (!strcmp(op, "=="))
		return vbool(equal(a, b));
	if (!strcmp(op, "!="))
		return vbool(!equal(a, b));
	if (!strcmp(op, "in") || !strcmp(op, "not in")) {
		bool in = false;
		if (b.t == V_STR && a.t != V_STR)
			api_tpl_fail(g, "TypeError", "'in <string>' requires string as left operand");
		else if (b.t == V_STR)
			in = a.n == 0 || memmem(b.s, b.n, a.s, a.n) != NULL;
		else if (b.t == V_LIST)
			for (size_t k = 0; k < b.len && !in; k++)
				in = equal(a, b.items[k]);
		else if (b.t == V_DICT)
			for (size_t k = 0; k < b.len && !in; k++)
				in = a.t == V_STR && strlen(b.keys[k]) == a.n && !memcmp(b.keys[k], a.s, a.n);
		else if (b.t != V_UNDEF)
			api_tpl_fail(g, "TypeError", "argument of this type is not iterable");
		return vbool(op[0] == 'i' ? in : !in);
	}
	if (undef_fail(g, a) || undef_fail(g, b))
		return vbool(false);
	int c;
	if (a.t == V_STR && b.t == V_STR) {
		c = memcmp(a.s, b.s, a.n < b.n ? a.n : b.n);
		if (!c)
			c = a.n < b.n ? -1 : a.n > b.n;
	} else if ((a.t == V_INT || a.t == V_BOOL) && (b.t == V_INT || b.t == V_BOOL)) {
		c = a.i < b.i ? -1 : a.i > b.i;
	} else {
		api_tpl_fail(g, "TypeError", "'%s' not supported between these values", op);
		return vbool(false);
	}
	bool r = !strcmp(op, "<") ? c < 0 : !strcmp(op, ">") ? c > 0 : !strcmp(op, "<=") ? c <= 0 : c >= 0;
	return vbool(r);
}

static struct tpl_val item(struct tpl_eng *g, struct tpl_val v, struct tpl_val key)
{
	if (v.t == V_DICT && key.t == V_STR) {
		for (size_t k = 0; k < v.len; k++)
			if (strlen(v.keys[k]) == key.n && !memcmp(v.keys[k], key.s, key.n))
				return v.items[k];
	}
	if ((v.t == V_LIST || v.t == V_STR) && key.t == V_INT) {
		struct tpl_val l = v.t == V_STR ? chars(v) : v;
		long i = key.i < 0 ? key.i + (long)l.len : key.i;
		if (i >= 0 && (size_t)i < l.len)
			return l.items[i];
	}
	if (undef_fail(g, v))
		return v;
	struct tpl_val u = {.t = V_UNDEF, .s = "attribute"};
	if (key.t == V_STR)
		u.s = dupn(key.s, key.n);
	return u;
}

static struct tpl_val eval(struct tpl_eng *g, const struct tpl_expr *e)
{
	if (g->failed || !e)
		return (struct tpl_val){.t = V_UNDEF, .s = ""};
	switch (e->k) {
	case E_NAME:
		if (e->n == 4 && (!memcmp(e->s, "true", 4) || !memcmp(e->s, "True", 4)))
			return vbool(true);
		if (e->n == 5 && (!memcmp(e->s, "false", 5) || !memcmp(e->s, "False", 5)))
			return vbool(false);
		if (e->n == 4 && (!memcmp(e->s, "none", 4) || !memcmp(e->s, "None", 4)))
			return (struct tpl_val){.t = V_NONE};
		return lookup(g, e->s, e->n);
	case E_STR: return vstr(e->s, e->n);
	case E_INT: return vint(e->i);
	case E_LIST: {
		struct tpl_val l = {.t = V_LIST};
		l.items = api_xmalloc((e->nargs + 1) * sizeof(struct tpl_val));
		for (size_t k = 0; k < e->nargs; k++)
			l.items[l.len++] = eval(g, e->args[k]);
		return l;
	}
	case E_ATTR: return item(g, eval(g, e->a), vstr(e->s, e->n));
	case E_INDEX: return item(g, eval(g, e->a), eval(g, e->b));
	case E_CALL: {
		struct tpl_val f = eval(g, e->a);
		if (f.t != V_GETTEXT || e->nargs != 1) {
			if (!undef_fail(g, f))
				api_tpl_fail(g, "TypeError", "object is not callable");
			return f;
		}
		struct tpl_val s = eval(g, e->args[0]);
		const char *t;
		size_t tn;
		if (s.t == V_STR && api_mo_lookup(g->mo, s.s, s.n, &t, &tn))
			return vstr(t, tn);
		return s;
	}
	case E_FILTER: return filter(g, e, eval(g, e->a));
	case E_TEST: {
		struct tpl_val v = eval(g, e->a);
		bool r;
		if (e->n == 7 && !memcmp(e->s, "defined", 7))
			r = v.t != V_UNDEF;
		else if (e->n == 9 && !memcmp(e->s, "undefined", 9))
			r = v.t == V_UNDEF;
		else if (e->n == 4 && !memcmp(e->s, "none", 4))
			r = v.t == V_NONE;
		else if (e->n == 6 && !memcmp(e->s, "string", 6))
			r = v.t == V_STR;
		else if (e->n == 6 && !memcmp(e->s, "number", 6))
			r = v.t == V_INT;
		else {
			api_tpl_fail(g, "TemplateAssertionError", "No test named '%.*s'.", (int)e->n, e->s);
			return v;
		}
		return vbool(e->i ? !r : r);
	}
	case E_NOT: return vbool(!truthy(eval(g, e->a)));
	case E_AND: {
		struct tpl_val a = eval(g, e->a);
		return truthy(a) ? eval(g, e->b) : a;
	}
	case E_OR: {
		struct tpl_val a = eval(g, e->a);
		return truthy(a) ? a : eval(g, e->b);
	}
	case E_CMP: {
		struct tpl_val left = eval(g, e->args[0]), r = vbool(true);
		for (size_t k = 1; k < e->nargs && truthy(r) && !g->failed; k++) {
			struct tpl_val right = eval(g, e->args[k]);
			r = compare(g, e->ops[k - 1], left, right);
			left = right;
		}
		return r;
	}
	case E_ARITH: return arith(g, e->s, eval(g, e->a), eval(g, e->b));
	case E_NEG: {
		struct tpl_val v = eval(g, e->a);
		if (undef_fail(g, v))
			return v;
		if (v.t != V_INT && v.t != V_BOOL) {
			api_tpl_fail(g, "TypeError", "bad operand type for unary -");
			return v;
		}
		return vint(-v.i);
	}
	case E_COND:
		if (truthy(eval(g, e->b)))
			return eval(g, e->a);
		return e->c ? eval(g, e->c) : (struct tpl_val){.t = V_UNDEF, .s = ""};
	}
	return (struct tpl_val){.t = V_UNDEF, .s = ""};
}

static void render(struct tpl_eng *g, struct tpl_node **nodes, size_t n, struct api_buf *out)
{
	for (size_t k = 0; k < n && !g->failed; k++) {
		struct tpl_node *nd = nodes[k];
		g->line = nd->line;
		switch (nd->k) {
		case N_TEXT: api_buf_add(out, nd->s, nd->n); break;
		case N_OUT: to_str(out, eval(g, nd->e)); break;
		case N_SET: bind(g, nd->var, eval(g, nd->e)); break;
		case N_IF:
			if (truthy(eval(g, nd->e)))
				render(g, nd->body, nd->nbody, out);
			else
				render(g, nd->orelse, nd->nelse, out);
			break;
		case N_FOR: {
			struct tpl_val it = eval(g, nd->e);
			if (it.t == V_STR)
				it = chars(it);
			if (it.t == V_DICT) {
				struct tpl_val l = {.t = V_LIST, .items = api_xmalloc((it.len + 1) * sizeof(struct tpl_val))};
				for (size_t i = 0; i < it.len; i++)
					l.items[l.len++] = vstr(it.keys[i], strlen(it.keys[i]));
				it = l;
			}
			if (it.t != V_LIST && it.t != V_UNDEF) {
				api_tpl_fail(g, "TypeError", "object is not iterable");
				break;
			}
			size_t len = it.t == V_LIST ? it.len : 0;
			if (!len) {
				render(g, nd->orelse, nd->nelse, out);
				break;
			}
			static const char *const lk[] = {"index", "index0", "first", "last", "length", "revindex", "revindex0"};
			for (size_t i = 0; i < len && !g->failed; i++) {
				size_t mark = g->nvars;
				struct tpl_val loop = {.t = V_DICT, .keys = (const char **)lk, .len = 7};
				loop.items = api_xmalloc(7 * sizeof(struct tpl_val));
				loop.items[0] = vint((long)i + 1);
				loop.items[1] = vint((long)i);
				loop.items[2] = vbool(i == 0);
				loop.items[3] = vbool(i + 1 == len);
				loop.items[4] = vint((long)len);
				loop.items[5] = vint((long)(len - i));
				loop.items[6] = vint((long)(len - i - 1));
				bind(g, "loop", loop);
				bind(g, nd->var, it.items[i]);
				render(g, nd->body, nd->nbody, out);
				g->nvars = mark; /* the loop's names end with it */
			}
			break;
		}
		}
	}
}

int api_tpl_engine(const char *src, size_t n, char **opts, size_t nopts, const struct api_mo *mo,
		   struct api_buf *out, struct api_buf *err)
{
	struct tpl_eng g = {.err = err, .mo = mo};
	/* Jinja2 joins source.splitlines() with "\n": every line break
	 * becomes "\n" and a final one goes */
	struct api_buf norm = {0};
	size_t *st, *ln;
	size_t nl = api_splitlines(src, n, &st, &ln);
	for (size_t i = 0; i < nl; i++) {
		if (i)
			api_buf_addc(&norm, '\n');
		api_buf_add(&norm, src + st[i], ln[i]);
	}
	api_buf_cstr(&norm);
	bind(&g, "_", (struct tpl_val){.t = V_GETTEXT});
	for (size_t i = 0; i < nopts; i++) {
		size_t len;
		char *o = api_from_argv(opts[i], &len);
		char *eq = strchr(o, '=');
		*eq = 0;
		bind(&g, o, vstr(eq + 1, len - (size_t)(eq + 1 - o)));
	}
	if (api_tpl_split(&g, norm.p, norm.n) < 0)
		return -1;
	size_t count;
	int hit;
	struct tpl_node **nodes = api_tpl_parse_body(&g, NULL, 0, &count, &hit);
	if (!g.failed && g.ipc < g.npc) {
		g.line = g.pc[g.ipc].line;
		api_tpl_fail(&g, "TemplateSyntaxError", "Encountered unknown tag '%.*s'.", (int)g.pc[g.ipc].n, g.pc[g.ipc].s);
	}
	if (g.failed)
		return -1;
	render(&g, nodes, count, out);
	api_buf_cstr(out);
	return g.failed ? -1 : 0;
}
