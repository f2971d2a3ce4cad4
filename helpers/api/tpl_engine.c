/* A subset of Jinja2 in C, for images without python3 + jinja2 (see
 * tpl.c and gradebox(1), CONTAINER API). Jinja2's default settings:
 * no autoescape, line breaks normalised to "\n" and one final newline
 * dropped, block tags keep their newlines, "-" trims white space.
 * Supported: {{ expr }}, {# #}, {% if/elif/else/endif %}, {% for x in
 * expr %}...{% else %}...{% endfor %} (with loop.index, index0, first,
 * last, length), {% set x = expr %}; expressions with names, strings,
 * integers, lists, . and [] access, not/and/or, == != < > <= >= in,
 * + - * ~, "is defined"; filters e/escape, upper, lower, default/d,
 * length/count, trim, int, string, join, capitalize, replace; _("text").
 * An undefined name renders empty and fails when computed with.
 * The process is short-lived: values are not freed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

enum vt { V_UNDEF, V_NONE, V_BOOL, V_INT, V_STR, V_LIST, V_DICT, V_GETTEXT };
struct val {
	enum vt t;
	long i;
	const char *s; /* V_STR text; V_UNDEF the name */
	size_t n;
	struct val *items; /* V_LIST; V_DICT values */
	const char **keys; /* V_DICT */
	size_t len;
};

enum ek { E_NAME, E_STR, E_INT, E_LIST, E_ATTR, E_INDEX, E_CALL, E_FILTER, E_TEST, E_NOT, E_AND, E_OR,
	  E_CMP, E_ARITH, E_NEG, E_COND };
struct expr {
	enum ek k;
	const char *s; /* name, string, operator, filter or test name */
	size_t n;
	long i;
	struct expr *a, *b, *c;
	struct expr **args;
	size_t nargs;
};

enum nk { N_TEXT, N_OUT, N_IF, N_FOR, N_SET };
struct node {
	enum nk k;
	const char *s; /* N_TEXT */
	size_t n;
	struct expr *e; /* N_OUT, N_IF condition, N_FOR iterable, N_SET value */
	const char *var; /* N_FOR, N_SET */
	struct node **body, **orelse; /* N_IF: orelse holds one N_IF for elif */
	size_t nbody, nelse;
	int line;
};

struct eng {
	struct api_buf *err;
	const struct api_mo *mo;
	int line;
	/* the scopes: names and values, innermost last */
	const char **names;
	struct val *vals;
	size_t nvars, capvars;
	/* pieces of the template */
	struct piece *pc;
	size_t npc, ipc;
	bool failed;
};

enum pk { P_TEXT, P_VAR, P_BLOCK };
struct piece {
	enum pk k;
	const char *s;
	size_t n;
	int line;
};

static void fail(struct eng *g, const char *type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct eng *g, const char *type, const char *fmt, ...)
{
	if (g->failed)
		return;
	g->failed = true;
	va_list ap;
	char m[512];
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	api_buf_printf(g->err, "jinja2.exceptions.%s: %s", type, m);
	if (g->line)
		api_buf_printf(g->err, " (line %d)", g->line);
}

static char *dupn(const char *s, size_t n)
{
	return api_xstrndup(s, n);
}

/* ---- splitting the source into text, {{ }} and {% %} ---- */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void add_piece(struct eng *g, enum pk k, const char *s, size_t n, int line)
{
	g->pc = api_xrealloc(g->pc, (g->npc + 1) * sizeof(*g->pc));
	g->pc[g->npc++] = (struct piece){k, s, n, line};
}

static int count_lines(const char *s, size_t n)
{
	int l = 0;
	for (size_t i = 0; i < n; i++)
		l += s[i] == '\n';
	return l;
}

static int split(struct eng *g, const char *s, size_t n)
{
	size_t i = 0, text = 0;
	bool lstrip_next = false;
	int line = 1;
	while (i < n) {
		if (s[i] != '{' || i + 1 >= n || (s[i + 1] != '{' && s[i + 1] != '%' && s[i + 1] != '#')) {
			i++;
			continue;
		}
		char open = s[i + 1];
		char close = open == '{' ? '}' : open;
		size_t tl = i - text;
		const char *ts = s + text;
		if (lstrip_next)
			while (tl && is_ws(*ts))
				ts++, tl--;
		size_t j = i + 2;
		if (j < n && s[j] == '-') {
			while (tl && is_ws(ts[tl - 1]))
				tl--;
			j++;
		}
		line += count_lines(s + text, i - text);
		if (tl)
			add_piece(g, P_TEXT, ts, tl, line);
		/* find the closing delimiter outside string literals */
		size_t k = j;
		char q = 0;
		while (k + 1 < n) {
			if (q) {
				if (s[k] == '\\')
					k++;
				else if (s[k] == q)
					q = 0;
			} else if (open != '#' && (s[k] == '\'' || s[k] == '"')) {
				q = s[k];
			} else if (s[k] == close && s[k + 1] == '}') {
				break;
			}
			k++;
		}
		if (k + 1 >= n) {
			g->line = line;
			fail(g, "TemplateSyntaxError", open == '#' ? "Missing end of comment tag" : "unexpected end of template");
			return -1;
		}
		size_t end = k;
		lstrip_next = false;
		if (end > j && s[end - 1] == '-') {
			end--;
			lstrip_next = true;
		}
		if (open != '#')
			add_piece(g, open == '{' ? P_VAR : P_BLOCK, s + j, end - j, line);
		line += count_lines(s + i, k + 2 - i);
		i = text = k + 2;
	}
	const char *ts = s + text;
	size_t tl = n - text;
	if (lstrip_next)
		while (tl && is_ws(*ts))
			ts++, tl--;
	if (tl)
		add_piece(g, P_TEXT, ts, tl, line);
	return 0;
}

/* ---- expressions ---- */
struct lex {
	const char *s;
	size_t n, i;
	struct eng *g;
};

static void lskip(struct lex *x)
{
	while (x->i < x->n && is_ws(x->s[x->i]))
		x->i++;
}

static bool is_name_char(char c, bool first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9') ||
	       (unsigned char)c >= 0x80;
}

/* The next token is the punctuation or keyword W (consumed if so). */
static bool accept(struct lex *x, const char *w)
{
	lskip(x);
	size_t l = strlen(w);
	if (x->n - x->i < l || memcmp(x->s + x->i, w, l))
		return false;
	if (is_name_char(w[0], true) && x->i + l < x->n && is_name_char(x->s[x->i + l], false))
		return false;
	/* "=" is not "==", "<" is not "<=" */
	if ((!strcmp(w, "<") || !strcmp(w, ">") || !strcmp(w, "=")) && x->i + 1 < x->n && x->s[x->i + 1] == '=')
		return false;
	x->i += l;
	return true;
}

static bool name(struct lex *x, const char **s, size_t *n)
{
	lskip(x);
	if (x->i >= x->n || !is_name_char(x->s[x->i], true))
		return false;
	size_t st = x->i;
	while (x->i < x->n && is_name_char(x->s[x->i], false))
		x->i++;
	*s = x->s + st;
	*n = x->i - st;
	return true;
}

static struct expr *mk(enum ek k)
{
	struct expr *e = api_xmalloc(sizeof(*e));
	memset(e, 0, sizeof(*e));
	e->k = k;
	return e;
}

static struct expr *parse_expr(struct lex *x);

static void parse_args(struct lex *x, struct expr *e, const char *close)
{
	if (accept(x, close))
		return;
	do {
		struct expr *a = parse_expr(x);
		if (!a)
			return;
		e->args = api_xrealloc(e->args, (e->nargs + 1) * sizeof(*e->args));
		e->args[e->nargs++] = a;
	} while (accept(x, ","));
	if (!accept(x, close))
		fail(x->g, "TemplateSyntaxError", "expected '%s'", close);
}

static struct expr *parse_primary(struct lex *x)
{
	lskip(x);
	if (x->i >= x->n) {
		fail(x->g, "TemplateSyntaxError", "unexpected end of expression");
		return NULL;
	}
	char c = x->s[x->i];
	if (c == '\'' || c == '"') {
		struct api_buf b = {0};
		x->i++;
		while (x->i < x->n && x->s[x->i] != c) {
			char ch = x->s[x->i++];
			if (ch == '\\' && x->i < x->n) {
				ch = x->s[x->i++];
				ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
			}
			api_buf_addc(&b, ch);
		}
		if (x->i >= x->n) {
			fail(x->g, "TemplateSyntaxError", "unexpected end of string");
			return NULL;
		}
		x->i++;
		struct expr *e = mk(E_STR);
		e->s = api_buf_cstr(&b);
		e->n = b.n;
		return e;
	}
	if (c >= '0' && c <= '9') {
		struct expr *e = mk(E_INT);
		while (x->i < x->n && ((x->s[x->i] >= '0' && x->s[x->i] <= '9') || x->s[x->i] == '_')) {
			if (x->s[x->i] != '_')
				e->i = e->i * 10 + (x->s[x->i] - '0');
			x->i++;
		}
		return e;
	}
	if (accept(x, "(")) {
		struct expr *e = parse_expr(x);
		if (e && !accept(x, ")"))
			fail(x->g, "TemplateSyntaxError", "expected ')'");
		return e;
	}
	if (accept(x, "[")) {
		struct expr *e = mk(E_LIST);
		parse_args(x, e, "]");
		return e;
	}
	const char *s;
	size_t n;
	if (name(x, &s, &n)) {
		struct expr *e = mk(E_NAME);
		e->s = s;
		e->n = n;
		return e;
	}
	fail(x->g, "TemplateSyntaxError", "unexpected '%c'", c);
	return NULL;
}

static struct expr *parse_postfix(struct lex *x)
{
	struct expr *e = parse_primary(x);
	while (e && !x->g->failed) {
		struct expr *p;
		if (accept(x, ".")) {
			p = mk(E_ATTR);
			if (!name(x, &p->s, &p->n)) {
				fail(x->g, "TemplateSyntaxError", "expected name after '.'");
				return NULL;
			}
		} else if (accept(x, "[")) {
			p = mk(E_INDEX);
			p->b = parse_expr(x);
			if (!accept(x, "]"))
				fail(x->g, "TemplateSyntaxError", "expected ']'");
		} else if (accept(x, "(")) {
			p = mk(E_CALL);
			parse_args(x, p, ")");
		} else if (accept(x, "|")) {
			p = mk(E_FILTER);
			if (!name(x, &p->s, &p->n)) {
				fail(x->g, "TemplateSyntaxError", "expected a filter name");
				return NULL;
			}
			if (accept(x, "("))
				parse_args(x, p, ")");
		} else if (accept(x, "is")) {
			p = mk(E_TEST);
			p->i = accept(x, "not");
			if (!name(x, &p->s, &p->n)) {
				fail(x->g, "TemplateSyntaxError", "expected a test name");
				return NULL;
			}
		} else {
			break;
		}
		p->a = e;
		e = p;
	}
	return e;
}

static struct expr *parse_unary(struct lex *x)
{
	if (accept(x, "-")) {
		struct expr *e = mk(E_NEG);
		e->a = parse_unary(x);
		return e;
	}
	return parse_postfix(x);
}

static struct expr *binop(enum ek k, const char *op, struct expr *a, struct expr *b)
{
	struct expr *e = mk(k);
	e->s = op;
	e->a = a;
	e->b = b;
	return e;
}

static struct expr *parse_mul(struct lex *x)
{
	struct expr *e = parse_unary(x);
	while (e && accept(x, "*"))
		e = binop(E_ARITH, "*", e, parse_unary(x));
	return e;
}

static struct expr *parse_add(struct lex *x)
{
	struct expr *e = parse_mul(x);
	for (;;) {
		if (e && accept(x, "+"))
			e = binop(E_ARITH, "+", e, parse_mul(x));
		else if (e && accept(x, "-"))
			e = binop(E_ARITH, "-", e, parse_mul(x));
		else if (e && accept(x, "~"))
			e = binop(E_ARITH, "~", e, parse_mul(x));
		else
			return e;
	}
}

static struct expr *parse_cmp(struct lex *x)
{
	static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">", "in"};
	struct expr *e = parse_add(x);
	for (;;) {
		const char *op = NULL;
		size_t save = x->i;
		if (e && accept(x, "not")) {
			if (accept(x, "in")) {
				op = "not in";
			} else {
				x->i = save;
				return e;
			}
		}
		for (size_t k = 0; !op && e && k < sizeof(ops) / sizeof(ops[0]); k++)
			if (accept(x, ops[k]))
				op = ops[k];
		if (!op)
			return e;
		e = binop(E_CMP, op, e, parse_add(x));
	}
}

static struct expr *parse_not(struct lex *x)
{
	if (accept(x, "not")) {
		struct expr *e = mk(E_NOT);
		e->a = parse_not(x);
		return e;
	}
	return parse_cmp(x);
}

static struct expr *parse_and(struct lex *x)
{
	struct expr *e = parse_not(x);
	while (e && accept(x, "and"))
		e = binop(E_AND, "and", e, parse_not(x));
	return e;
}

static struct expr *parse_or(struct lex *x)
{
	struct expr *e = parse_and(x);
	while (e && accept(x, "or"))
		e = binop(E_OR, "or", e, parse_and(x));
	return e;
}

static struct expr *parse_expr(struct lex *x)
{
	struct expr *e = parse_or(x);
	if (e && accept(x, "if")) {
		struct expr *c = mk(E_COND);
		c->a = e;
		c->b = parse_or(x);
		if (accept(x, "else"))
			c->c = parse_expr(x);
		e = c;
	}
	return x->g->failed ? NULL : e;
}

/* A whole expression of a tag; trailing text is an error. */
static struct expr *parse_full(struct eng *g, const char *s, size_t n)
{
	struct lex x = {s, n, 0, g};
	struct expr *e = parse_expr(&x);
	lskip(&x);
	if (e && x.i < x.n)
		fail(g, "TemplateSyntaxError", "expected token 'end of print statement', got '%.*s'", (int)(x.n - x.i),
		     x.s + x.i);
	return g->failed ? NULL : e;
}

/* ---- statements ---- */
static bool tag_is(const struct piece *p, const char *kw, const char **rest, size_t *rn)
{
	const char *s = p->s;
	size_t n = p->n, l = strlen(kw);
	while (n && is_ws(*s))
		s++, n--;
	if (n < l || memcmp(s, kw, l) || (n > l && is_name_char(s[l], false)))
		return false;
	if (rest) {
		*rest = s + l;
		*rn = n - l;
	}
	return true;
}

static void add_node(struct node ***list, size_t *n, struct node *nd)
{
	*list = api_xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = nd;
}

/* Nodes until a block tag among ENDS (left unconsumed, its index in *hit). */
static struct node **parse_body(struct eng *g, const char *const *ends, size_t nends, size_t *count, int *hit);

static struct node *parse_if(struct eng *g, const char *cond, size_t cn)
{
	static const char *const ends[] = {"elif", "else", "endif"};
	struct node *nd = api_xmalloc(sizeof(*nd));
	memset(nd, 0, sizeof(*nd));
	nd->k = N_IF;
	nd->line = g->line;
	nd->e = parse_full(g, cond, cn);
	int hit;
	nd->body = parse_body(g, ends, 3, &nd->nbody, &hit);
	if (g->failed)
		return NULL;
	const char *rest;
	size_t rn;
	struct piece *p = &g->pc[g->ipc++];
	if (hit == 0) {
		tag_is(p, "elif", &rest, &rn);
		add_node(&nd->orelse, &nd->nelse, parse_if(g, rest, rn));
		return g->failed ? NULL : nd;
	}
	if (hit == 1) {
		static const char *const end[] = {"endif"};
		nd->orelse = parse_body(g, end, 1, &nd->nelse, &hit);
		if (g->failed)
			return NULL;
		g->ipc++;
	}
	return nd;
}

static struct node *parse_stmt(struct eng *g, struct piece *p)
{
	const char *rest;
	size_t rn;
	g->line = p->line;
	if (tag_is(p, "if", &rest, &rn))
		return parse_if(g, rest, rn);
	if (tag_is(p, "for", &rest, &rn)) {
		struct lex x = {rest, rn, 0, g};
		struct node *nd = api_xmalloc(sizeof(*nd));
		memset(nd, 0, sizeof(*nd));
		nd->k = N_FOR;
		const char *v;
		size_t vn;
		if (!name(&x, &v, &vn) || !accept(&x, "in")) {
			fail(g, "TemplateSyntaxError", "expected 'for NAME in EXPRESSION'");
			return NULL;
		}
		nd->var = dupn(v, vn);
		nd->e = parse_full(g, x.s + x.i, x.n - x.i);
		static const char *const ends[] = {"else", "endfor"};
		int hit;
		nd->body = parse_body(g, ends, 2, &nd->nbody, &hit);
		if (g->failed)
			return NULL;
		g->ipc++;
		if (hit == 0) {
			nd->orelse = parse_body(g, ends + 1, 1, &nd->nelse, &hit);
			if (g->failed)
				return NULL;
			g->ipc++;
		}
		return nd;
	}
	if (tag_is(p, "set", &rest, &rn)) {
		struct lex x = {rest, rn, 0, g};
		struct node *nd = api_xmalloc(sizeof(*nd));
		memset(nd, 0, sizeof(*nd));
		nd->k = N_SET;
		const char *v;
		size_t vn;
		if (!name(&x, &v, &vn) || !accept(&x, "=")) {
			fail(g, "TemplateSyntaxError", "expected 'set NAME = EXPRESSION'");
			return NULL;
		}
		nd->var = dupn(v, vn);
		nd->e = parse_full(g, x.s + x.i, x.n - x.i);
		return nd;
	}
	const char *s = p->s;
	size_t n = p->n;
	while (n && is_ws(*s))
		s++, n--;
	size_t w = 0;
	while (w < n && !is_ws(s[w]))
		w++;
	fail(g, "TemplateSyntaxError", "Encountered unknown tag '%.*s'.", (int)w, s);
	return NULL;
}

static struct node **parse_body(struct eng *g, const char *const *ends, size_t nends, size_t *count, int *hit)
{
	struct node **list = NULL;
	*count = 0;
	*hit = -1;
	while (!g->failed && g->ipc < g->npc) {
		struct piece *p = &g->pc[g->ipc];
		if (p->k == P_BLOCK) {
			for (size_t k = 0; k < nends; k++) {
				if (tag_is(p, ends[k], NULL, NULL)) {
					*hit = (int)k;
					return list;
				}
			}
		}
		g->ipc++;
		struct node *nd = NULL;
		g->line = p->line;
		if (p->k == P_TEXT) {
			nd = api_xmalloc(sizeof(*nd));
			memset(nd, 0, sizeof(*nd));
			nd->k = N_TEXT;
			nd->s = p->s;
			nd->n = p->n;
		} else if (p->k == P_VAR) {
			nd = api_xmalloc(sizeof(*nd));
			memset(nd, 0, sizeof(*nd));
			nd->k = N_OUT;
			nd->line = p->line;
			nd->e = parse_full(g, p->s, p->n);
		} else {
			nd = parse_stmt(g, p);
		}
		if (g->failed)
			return list;
		add_node(&list, count, nd);
	}
	if (nends && !g->failed)
		fail(g, "TemplateSyntaxError", "Unexpected end of template. Jinja was looking for the following tags: '%s'.",
		     ends[nends - 1]);
	return list;
}

/* ---- values ---- */
static struct val vstr(const char *s, size_t n)
{
	return (struct val){.t = V_STR, .s = s, .n = n};
}

static struct val vint(long i)
{
	return (struct val){.t = V_INT, .i = i};
}

static struct val vbool(bool b)
{
	return (struct val){.t = V_BOOL, .i = b};
}

static struct val lookup(struct eng *g, const char *s, size_t n)
{
	for (size_t k = g->nvars; k-- > 0;)
		if (strlen(g->names[k]) == n && !memcmp(g->names[k], s, n))
			return g->vals[k];
	return (struct val){.t = V_UNDEF, .s = dupn(s, n), .n = n};
}

static void bind(struct eng *g, const char *name, struct val v)
{
	if (g->nvars == g->capvars) {
		g->capvars = g->capvars ? g->capvars * 2 : 16;
		g->names = api_xrealloc(g->names, g->capvars * sizeof(*g->names));
		g->vals = api_xrealloc(g->vals, g->capvars * sizeof(*g->vals));
	}
	g->names[g->nvars] = name;
	g->vals[g->nvars++] = v;
}

static bool truthy(struct val v)
{
	switch (v.t) {
	case V_BOOL: case V_INT: return v.i != 0;
	case V_STR: return v.n > 0;
	case V_LIST: case V_DICT: return v.len > 0;
	case V_GETTEXT: return true;
	default: return false;
	}
}

static void to_str(struct api_buf *b, struct val v);

static void repr(struct api_buf *b, struct val v)
{
	if (v.t == V_STR)
		api_py_repr(b, v.s, v.n);
	else
		to_str(b, v);
}

static void to_str(struct api_buf *b, struct val v)
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

static struct val str_of(struct val v)
{
	struct api_buf b = {0};
	to_str(&b, v);
	return vstr(api_buf_cstr(&b), b.n);
}

static bool undef_fail(struct eng *g, struct val v)
{
	if (v.t != V_UNDEF)
		return false;
	fail(g, "UndefinedError", "'%s' is undefined", v.s);
	return true;
}

/* A string's code points as a list of one-character strings. */
static struct val chars(struct val v)
{
	struct val l = {.t = V_LIST};
	l.items = api_xmalloc((v.n + 1) * sizeof(struct val));
	for (size_t i = 0; i < v.n;) {
		size_t at = i;
		api_wtf8_next(v.s, v.n, &i);
		l.items[l.len++] = vstr(v.s + at, i - at);
	}
	return l;
}

static size_t length(struct val v)
{
	if (v.t == V_STR)
		return chars(v).len;
	return v.t == V_LIST || v.t == V_DICT ? v.len : 0;
}

static bool equal(struct val a, struct val b)
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
	return a.t == b.t && (a.t == V_NONE);
}

static struct val eval(struct eng *g, const struct expr *e);

static struct val filter(struct eng *g, const struct expr *e, struct val v)
{
	char f[32];
	snprintf(f, sizeof(f), "%.*s", (int)e->n, e->s);
	struct val args[4] = {{0}};
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
		struct val s = str_of(v);
		char *d = dupn(s.s, s.n);
		for (size_t k = 0; k < s.n; k++) {
			bool up = f[0] == 'u' || (f[0] == 'c' && k == 0);
			if (up && d[k] >= 'a' && d[k] <= 'z')
				d[k] = (char)(d[k] - 32);
			else if (!up && d[k] >= 'A' && d[k] <= 'Z')
				d[k] = (char)(d[k] + 32);
		}
		return vstr(d, s.n);
	}
	if (!strcmp(f, "default") || !strcmp(f, "d")) {
		bool boolean = e->nargs > 1 && truthy(args[1]);
		if (v.t == V_UNDEF || (boolean && !truthy(v)))
			return e->nargs ? args[0] : vstr("", 0);
		return v;
	}
	if (!strcmp(f, "length") || !strcmp(f, "count"))
		return vint((long)length(v));
	if (!strcmp(f, "trim")) {
		struct val s = str_of(v);
		while (s.n && is_ws(*s.s))
			s.s++, s.n--;
		while (s.n && is_ws(s.s[s.n - 1]))
			s.n--;
		return s;
	}
	if (!strcmp(f, "string"))
		return str_of(v);
	if (!strcmp(f, "int")) {
		if (undef_fail(g, v))
			return v;
		if (v.t == V_INT || v.t == V_BOOL)
			return vint(v.i);
		struct val s = str_of(v);
		double d;
		return vint(api_py_float(s.s, s.n, &d) == 0 && d == d ? (long)d : (e->nargs ? args[0].i : 0));
	}
	if (!strcmp(f, "join")) {
		struct api_buf b = {0};
		struct val l = v.t == V_STR ? chars(v) : v;
		for (size_t k = 0; l.t == V_LIST && k < l.len; k++) {
			if (k && e->nargs)
				to_str(&b, args[0]);
			to_str(&b, l.items[k]);
		}
		return vstr(api_buf_cstr(&b), b.n);
	}
	if (!strcmp(f, "replace") && e->nargs >= 2) {
		struct val s = str_of(v), o = str_of(args[0]), nw = str_of(args[1]);
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
	fail(g, "TemplateAssertionError", "No filter named '%s'.", f);
	return v;
}

static struct val arith(struct eng *g, const char *op, struct val a, struct val b)
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
	fail(g, "TypeError", "unsupported operand type(s) for %s", op);
	return a;
}

static struct val compare(struct eng *g, const char *op, struct val a, struct val b)
{
	if (!strcmp(op, "=="))
		return vbool(equal(a, b));
	if (!strcmp(op, "!="))
		return vbool(!equal(a, b));
	if (!strcmp(op, "in") || !strcmp(op, "not in")) {
		bool in = false;
		if (b.t == V_STR && a.t == V_STR)
			in = a.n == 0 || memmem(b.s, b.n, a.s, a.n) != NULL;
		else if (b.t == V_LIST)
			for (size_t k = 0; k < b.len && !in; k++)
				in = equal(a, b.items[k]);
		else if (b.t == V_DICT)
			for (size_t k = 0; k < b.len && !in; k++)
				in = a.t == V_STR && strlen(b.keys[k]) == a.n && !memcmp(b.keys[k], a.s, a.n);
		else if (b.t != V_UNDEF)
			fail(g, "TypeError", "argument of this type is not iterable");
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
		fail(g, "TypeError", "'%s' not supported between these values", op);
		return vbool(false);
	}
	bool r = !strcmp(op, "<") ? c < 0 : !strcmp(op, ">") ? c > 0 : !strcmp(op, "<=") ? c <= 0 : c >= 0;
	return vbool(r);
}

static struct val item(struct eng *g, struct val v, struct val key)
{
	if (v.t == V_DICT && key.t == V_STR) {
		for (size_t k = 0; k < v.len; k++)
			if (strlen(v.keys[k]) == key.n && !memcmp(v.keys[k], key.s, key.n))
				return v.items[k];
	}
	if ((v.t == V_LIST || v.t == V_STR) && key.t == V_INT) {
		struct val l = v.t == V_STR ? chars(v) : v;
		long i = key.i < 0 ? key.i + (long)l.len : key.i;
		if (i >= 0 && (size_t)i < l.len)
			return l.items[i];
	}
	if (undef_fail(g, v))
		return v;
	struct val u = {.t = V_UNDEF, .s = "attribute"};
	if (key.t == V_STR)
		u.s = dupn(key.s, key.n);
	return u;
}

static struct val eval(struct eng *g, const struct expr *e)
{
	if (g->failed || !e)
		return (struct val){.t = V_UNDEF, .s = ""};
	switch (e->k) {
	case E_NAME:
		if (e->n == 4 && (!memcmp(e->s, "true", 4) || !memcmp(e->s, "True", 4)))
			return vbool(true);
		if (e->n == 5 && (!memcmp(e->s, "false", 5) || !memcmp(e->s, "False", 5)))
			return vbool(false);
		if (e->n == 4 && (!memcmp(e->s, "none", 4) || !memcmp(e->s, "None", 4)))
			return (struct val){.t = V_NONE};
		return lookup(g, e->s, e->n);
	case E_STR: return vstr(e->s, e->n);
	case E_INT: return vint(e->i);
	case E_LIST: {
		struct val l = {.t = V_LIST};
		l.items = api_xmalloc((e->nargs + 1) * sizeof(struct val));
		for (size_t k = 0; k < e->nargs; k++)
			l.items[l.len++] = eval(g, e->args[k]);
		return l;
	}
	case E_ATTR: return item(g, eval(g, e->a), vstr(e->s, e->n));
	case E_INDEX: return item(g, eval(g, e->a), eval(g, e->b));
	case E_CALL: {
		struct val f = eval(g, e->a);
		if (f.t != V_GETTEXT || e->nargs != 1) {
			if (!undef_fail(g, f))
				fail(g, "TypeError", "object is not callable");
			return f;
		}
		struct val s = eval(g, e->args[0]);
		const char *t;
		size_t tn;
		if (s.t == V_STR && api_mo_lookup(g->mo, s.s, s.n, &t, &tn))
			return vstr(t, tn);
		return s;
	}
	case E_FILTER: return filter(g, e, eval(g, e->a));
	case E_TEST: {
		struct val v = eval(g, e->a);
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
			fail(g, "TemplateAssertionError", "No test named '%.*s'.", (int)e->n, e->s);
			return v;
		}
		return vbool(e->i ? !r : r);
	}
	case E_NOT: return vbool(!truthy(eval(g, e->a)));
	case E_AND: {
		struct val a = eval(g, e->a);
		return truthy(a) ? eval(g, e->b) : a;
	}
	case E_OR: {
		struct val a = eval(g, e->a);
		return truthy(a) ? a : eval(g, e->b);
	}
	case E_CMP: return compare(g, e->s, eval(g, e->a), eval(g, e->b));
	case E_ARITH: return arith(g, e->s, eval(g, e->a), eval(g, e->b));
	case E_NEG: {
		struct val v = eval(g, e->a);
		if (undef_fail(g, v))
			return v;
		if (v.t != V_INT && v.t != V_BOOL) {
			fail(g, "TypeError", "bad operand type for unary -");
			return v;
		}
		return vint(-v.i);
	}
	case E_COND:
		if (truthy(eval(g, e->b)))
			return eval(g, e->a);
		return e->c ? eval(g, e->c) : (struct val){.t = V_UNDEF, .s = ""};
	}
	return (struct val){.t = V_UNDEF, .s = ""};
}

static void render(struct eng *g, struct node **nodes, size_t n, struct api_buf *out)
{
	for (size_t k = 0; k < n && !g->failed; k++) {
		struct node *nd = nodes[k];
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
			struct val it = eval(g, nd->e);
			if (it.t == V_STR)
				it = chars(it);
			if (it.t == V_DICT) {
				struct val l = {.t = V_LIST, .items = api_xmalloc((it.len + 1) * sizeof(struct val))};
				for (size_t i = 0; i < it.len; i++)
					l.items[l.len++] = vstr(it.keys[i], strlen(it.keys[i]));
				it = l;
			}
			if (it.t != V_LIST && it.t != V_UNDEF) {
				fail(g, "TypeError", "object is not iterable");
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
				struct val loop = {.t = V_DICT, .keys = (const char **)lk, .len = 7};
				loop.items = api_xmalloc(7 * sizeof(struct val));
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
	struct eng g = {.err = err, .mo = mo};
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
	bind(&g, "_", (struct val){.t = V_GETTEXT});
	for (size_t i = 0; i < nopts; i++) {
		size_t len;
		char *o = api_from_argv(opts[i], &len);
		char *eq = strchr(o, '=');
		*eq = 0;
		bind(&g, o, vstr(eq + 1, len - (size_t)(eq + 1 - o)));
	}
	if (split(&g, norm.p, norm.n) < 0)
		return -1;
	size_t count;
	int hit;
	struct node **nodes = parse_body(&g, NULL, 0, &count, &hit);
	if (!g.failed && g.ipc < g.npc) {
		g.line = g.pc[g.ipc].line;
		fail(&g, "TemplateSyntaxError", "Encountered unknown tag '%.*s'.", (int)g.pc[g.ipc].n, g.pc[g.ipc].s);
	}
	if (g.failed)
		return -1;
	render(&g, nodes, count, out);
	api_buf_cstr(out);
	return g.failed ? -1 : 0;
}
