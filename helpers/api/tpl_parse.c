/* Parsing for the C subset of Jinja2 (see tpl_engine.c): the source is cut
 * into pieces (text, {{ }}, {% %}; comments dropped, "-" trimming done),
 * then a recursive descent builds expression and statement trees. Syntax
 * errors come out as Jinja2's TemplateSyntaxError before anything renders,
 * as Jinja2 compiles a template whole first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpl_engine.h"

void api_tpl_fail(struct tpl_eng *g, const char *type, const char *fmt, ...)
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
bool api_tpl_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void add_piece(struct tpl_eng *g, enum tpl_pk k, const char *s, size_t n, int line)
{
	g->pc = api_xrealloc(g->pc, (g->npc + 1) * sizeof(*g->pc));
	g->pc[g->npc++] = (struct tpl_piece){k, s, n, line};
}

static int count_lines(const char *s, size_t n)
{
	int l = 0;
	for (size_t i = 0; i < n; i++)
		l += s[i] == '\n';
	return l;
}

int api_tpl_split(struct tpl_eng *g, const char *s, size_t n)
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
			while (tl && api_tpl_is_ws(*ts))
				ts++, tl--;
		size_t j = i + 2;
		if (j < n && s[j] == '-') {
			while (tl && api_tpl_is_ws(ts[tl - 1]))
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
			api_tpl_fail(g, "TemplateSyntaxError", open == '#' ? "Missing end of comment tag" : "unexpected end of template");
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
		while (tl && api_tpl_is_ws(*ts))
			ts++, tl--;
	if (tl)
		add_piece(g, P_TEXT, ts, tl, line);
	return 0;
}

/* ---- expressions ---- */
struct tpl_lex {
	const char *s;
	size_t n, i;
	struct tpl_eng *g;
};

static void lskip(struct tpl_lex *x)
{
	while (x->i < x->n && api_tpl_is_ws(x->s[x->i]))
		x->i++;
}

static bool is_name_char(char c, bool first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9') ||
	       (unsigned char)c >= 0x80;
}

/* The next token is the punctuation or keyword W (consumed if so). */
static bool accept(struct tpl_lex *x, const char *w)
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

static bool name(struct tpl_lex *x, const char **s, size_t *n)
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

static struct tpl_expr *mk(enum tpl_ek k)
{
	struct tpl_expr *e = api_xmalloc(sizeof(*e));
	memset(e, 0, sizeof(*e));
	e->k = k;
	return e;
}

static struct tpl_expr *parse_expr(struct tpl_lex *x);

static void parse_args(struct tpl_lex *x, struct tpl_expr *e, const char *close)
{
	if (accept(x, close))
		return;
	do {
		struct tpl_expr *a = parse_expr(x);
		if (!a)
			return;
		e->args = api_xrealloc(e->args, (e->nargs + 1) * sizeof(*e->args));
		e->args[e->nargs++] = a;
	} while (accept(x, ","));
	if (!accept(x, close))
		api_tpl_fail(x->g, "TemplateSyntaxError", "expected '%s'", close);
}

static struct tpl_expr *parse_primary(struct tpl_lex *x)
{
	lskip(x);
	if (x->i >= x->n) {
		api_tpl_fail(x->g, "TemplateSyntaxError", "unexpected end of expression");
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
			api_tpl_fail(x->g, "TemplateSyntaxError", "unexpected end of string");
			return NULL;
		}
		x->i++;
		struct tpl_expr *e = mk(E_STR);
		e->s = api_buf_cstr(&b);
		e->n = b.n;
		return e;
	}
	if (c >= '0' && c <= '9') {
		struct tpl_expr *e = mk(E_INT);
		while (x->i < x->n && ((x->s[x->i] >= '0' && x->s[x->i] <= '9') || x->s[x->i] == '_')) {
			if (x->s[x->i] != '_')
				e->i = e->i * 10 + (x->s[x->i] - '0');
			x->i++;
		}
		return e;
	}
	if (accept(x, "(")) {
		struct tpl_expr *e = parse_expr(x);
		if (e && !accept(x, ")"))
			api_tpl_fail(x->g, "TemplateSyntaxError", "expected ')'");
		return e;
	}
	if (accept(x, "[")) {
		struct tpl_expr *e = mk(E_LIST);
		parse_args(x, e, "]");
		return e;
	}
	const char *s;
	size_t n;
	if (name(x, &s, &n)) {
		struct tpl_expr *e = mk(E_NAME);
		e->s = s;
		e->n = n;
		return e;
	}
	api_tpl_fail(x->g, "TemplateSyntaxError", "unexpected '%c'", c);
	return NULL;
}

static struct tpl_expr *parse_postfix(struct tpl_lex *x)
{
	struct tpl_expr *e = parse_primary(x);
	while (e && !x->g->failed) {
		struct tpl_expr *p;
		if (accept(x, ".")) {
			p = mk(E_ATTR);
			if (!name(x, &p->s, &p->n)) {
				api_tpl_fail(x->g, "TemplateSyntaxError", "expected name after '.'");
				return NULL;
			}
		} else if (accept(x, "[")) {
			p = mk(E_INDEX);
			p->b = parse_expr(x);
			if (!accept(x, "]"))
				api_tpl_fail(x->g, "TemplateSyntaxError", "expected ']'");
		} else if (accept(x, "(")) {
			p = mk(E_CALL);
			parse_args(x, p, ")");
		} else if (accept(x, "|")) {
			p = mk(E_FILTER);
			if (!name(x, &p->s, &p->n)) {
				api_tpl_fail(x->g, "TemplateSyntaxError", "expected a filter name");
				return NULL;
			}
			if (accept(x, "("))
				parse_args(x, p, ")");
		} else if (accept(x, "is")) {
			p = mk(E_TEST);
			p->i = accept(x, "not");
			if (!name(x, &p->s, &p->n)) {
				api_tpl_fail(x->g, "TemplateSyntaxError", "expected a test name");
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

static struct tpl_expr *parse_unary(struct tpl_lex *x)
{
	if (accept(x, "-")) {
		struct tpl_expr *e = mk(E_NEG);
		e->a = parse_unary(x);
		return e;
	}
	return parse_postfix(x);
}

static struct tpl_expr *binop(enum tpl_ek k, const char *op, struct tpl_expr *a, struct tpl_expr *b)
{
	struct tpl_expr *e = mk(k);
	e->s = op;
	e->a = a;
	e->b = b;
	return e;
}

static struct tpl_expr *parse_mul(struct tpl_lex *x)
{
	struct tpl_expr *e = parse_unary(x);
	while (e && accept(x, "*"))
		e = binop(E_ARITH, "*", e, parse_unary(x));
	return e;
}

static struct tpl_expr *parse_add(struct tpl_lex *x)
{
	struct tpl_expr *e = parse_mul(x);
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

/* Comparisons chain as in Python: a < b < c is a < b and b < c, each
 * operand computed once. */
static struct tpl_expr *parse_cmp(struct tpl_lex *x)
{
	static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">", "in"};
	struct tpl_expr *e = parse_add(x), *chain = NULL;
	while (e) {
		const char *op = NULL;
		size_t save = x->i;
		if (accept(x, "not")) {
			if (!accept(x, "in")) {
				x->i = save;
				break;
			}
			op = "not in";
		}
		for (size_t k = 0; !op && k < sizeof(ops) / sizeof(ops[0]); k++)
			if (accept(x, ops[k]))
				op = ops[k];
		if (!op)
			break;
		if (!chain) {
			chain = mk(E_CMP);
			chain->args = api_xmalloc(sizeof(*chain->args));
			chain->args[chain->nargs++] = e;
		}
		chain->ops = api_xrealloc(chain->ops, chain->nargs * sizeof(*chain->ops));
		chain->ops[chain->nargs - 1] = op;
		chain->args = api_xrealloc(chain->args, (chain->nargs + 1) * sizeof(*chain->args));
		chain->args[chain->nargs++] = parse_add(x);
		if (!chain->args[chain->nargs - 1])
			return NULL;
	}
	return chain ? chain : e;
}

static struct tpl_expr *parse_not(struct tpl_lex *x)
{
	if (accept(x, "not")) {
		struct tpl_expr *e = mk(E_NOT);
		e->a = parse_not(x);
		return e;
	}
	return parse_cmp(x);
}

static struct tpl_expr *parse_and(struct tpl_lex *x)
{
	struct tpl_expr *e = parse_not(x);
	while (e && accept(x, "and"))
		e = binop(E_AND, "and", e, parse_not(x));
	return e;
}

static struct tpl_expr *parse_or(struct tpl_lex *x)
{
	struct tpl_expr *e = parse_and(x);
	while (e && accept(x, "or"))
		e = binop(E_OR, "or", e, parse_and(x));
	return e;
}

static struct tpl_expr *parse_expr(struct tpl_lex *x)
{
	struct tpl_expr *e = parse_or(x);
	if (e && accept(x, "if")) {
		struct tpl_expr *c = mk(E_COND);
		c->a = e;
		c->b = parse_or(x);
		if (accept(x, "else"))
			c->c = parse_expr(x);
		e = c;
	}
	return x->g->failed ? NULL : e;
}

/* A whole expression of a tag; trailing text is an error. */
/* A whole expression of a tag; trailing text is an error. As Jinja2, the
 * test of if/elif and the iterable of for take no "a if b else c" unless
 * in parentheses (cond false). */
static struct tpl_expr *parse_full(struct tpl_eng *g, const char *s, size_t n, bool cond)
{
	struct tpl_lex x = {s, n, 0, g};
	struct tpl_expr *e = cond ? parse_expr(&x) : parse_or(&x);
	lskip(&x);
	if (e && x.i < x.n)
		api_tpl_fail(g, "TemplateSyntaxError", "expected token 'end of statement', got '%.*s'", (int)(x.n - x.i),
			     x.s + x.i);
	return g->failed ? NULL : e;
}

/* ---- statements ---- */
static bool tag_is(const struct tpl_piece *p, const char *kw, const char **rest, size_t *rn)
{
	const char *s = p->s;
	size_t n = p->n, l = strlen(kw);
	while (n && api_tpl_is_ws(*s))
		s++, n--;
	if (n < l || memcmp(s, kw, l) || (n > l && is_name_char(s[l], false)))
		return false;
	if (rest) {
		*rest = s + l;
		*rn = n - l;
	}
	return true;
}

static void add_node(struct tpl_node ***list, size_t *n, struct tpl_node *nd)
{
	*list = api_xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = nd;
}

/* Nodes until a block tag among ENDS (left unconsumed, its index in *hit). */

static struct tpl_node *parse_if(struct tpl_eng *g, const char *cond, size_t cn)
{
	static const char *const ends[] = {"elif", "else", "endif"};
	struct tpl_node *nd = api_xmalloc(sizeof(*nd));
	memset(nd, 0, sizeof(*nd));
	nd->k = N_IF;
	nd->line = g->line;
	nd->e = parse_full(g, cond, cn, false);
	int hit;
	nd->body = api_tpl_parse_body(g, ends, 3, &nd->nbody, &hit);
	if (g->failed)
		return NULL;
	const char *rest;
	size_t rn;
	struct tpl_piece *p = &g->pc[g->ipc++];
	if (hit == 0) {
		tag_is(p, "elif", &rest, &rn);
		add_node(&nd->orelse, &nd->nelse, parse_if(g, rest, rn));
		return g->failed ? NULL : nd;
	}
	if (hit == 1) {
		static const char *const end[] = {"endif"};
		nd->orelse = api_tpl_parse_body(g, end, 1, &nd->nelse, &hit);
		if (g->failed)
			return NULL;
		g->ipc++;
	}
	return nd;
}

static struct tpl_node *parse_stmt(struct tpl_eng *g, struct tpl_piece *p)
{
	const char *rest;
	size_t rn;
	g->line = p->line;
	if (tag_is(p, "if", &rest, &rn))
		return parse_if(g, rest, rn);
	if (tag_is(p, "for", &rest, &rn)) {
		struct tpl_lex x = {rest, rn, 0, g};
		struct tpl_node *nd = api_xmalloc(sizeof(*nd));
		memset(nd, 0, sizeof(*nd));
		nd->k = N_FOR;
		const char *v;
		size_t vn;
		if (!name(&x, &v, &vn) || !accept(&x, "in")) {
			api_tpl_fail(g, "TemplateSyntaxError", "expected 'for NAME in EXPRESSION'");
			return NULL;
		}
		nd->var = dupn(v, vn);
		nd->e = parse_full(g, x.s + x.i, x.n - x.i, false);
		static const char *const ends[] = {"else", "endfor"};
		int hit;
		nd->body = api_tpl_parse_body(g, ends, 2, &nd->nbody, &hit);
		if (g->failed)
			return NULL;
		g->ipc++;
		if (hit == 0) {
			nd->orelse = api_tpl_parse_body(g, ends + 1, 1, &nd->nelse, &hit);
			if (g->failed)
				return NULL;
			g->ipc++;
		}
		return nd;
	}
	if (tag_is(p, "set", &rest, &rn)) {
		struct tpl_lex x = {rest, rn, 0, g};
		struct tpl_node *nd = api_xmalloc(sizeof(*nd));
		memset(nd, 0, sizeof(*nd));
		nd->k = N_SET;
		const char *v;
		size_t vn;
		if (!name(&x, &v, &vn) || !accept(&x, "=")) {
			api_tpl_fail(g, "TemplateSyntaxError", "expected 'set NAME = EXPRESSION'");
			return NULL;
		}
		nd->var = dupn(v, vn);
		nd->e = parse_full(g, x.s + x.i, x.n - x.i, true);
		return nd;
	}
	const char *s = p->s;
	size_t n = p->n;
	while (n && api_tpl_is_ws(*s))
		s++, n--;
	size_t w = 0;
	while (w < n && !api_tpl_is_ws(s[w]))
		w++;
	api_tpl_fail(g, "TemplateSyntaxError", "Encountered unknown tag '%.*s'.", (int)w, s);
	return NULL;
}

struct tpl_node **api_tpl_parse_body(struct tpl_eng *g, const char *const *ends, size_t nends, size_t *count, int *hit)
{
	struct tpl_node **list = NULL;
	*count = 0;
	*hit = -1;
	while (!g->failed && g->ipc < g->npc) {
		struct tpl_piece *p = &g->pc[g->ipc];
		if (p->k == P_BLOCK) {
			for (size_t k = 0; k < nends; k++) {
				if (tag_is(p, ends[k], NULL, NULL)) {
					*hit = (int)k;
					return list;
				}
			}
		}
		g->ipc++;
		struct tpl_node *nd = NULL;
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
			nd->e = parse_full(g, p->s, p->n, true);
		} else {
			nd = parse_stmt(g, p);
		}
		if (g->failed)
			return list;
		add_node(&list, count, nd);
	}
	if (nends && !g->failed)
		api_tpl_fail(g, "TemplateSyntaxError", "Unexpected end of template. Jinja was looking for the following tags: '%s'.",
		     ends[nends - 1]);
	return list;
}
