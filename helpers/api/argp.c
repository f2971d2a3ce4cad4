/* The part of Python's argparse the INGInious commands use, with its
 * quirks: long options abbreviated to a unique prefix, short flags
 * clustered (-am TEXT, -mTEXT), --opt=VALUE, a value that looks like a
 * negative number taken as a value, the last of a repeated option wins,
 * positionals interleaved with options the way argparse consumes them,
 * required positionals reported before unknown arguments, -h anywhere.
 *
 * As argparse: every argument is first classified as an option ('O') or
 * not ('A'); then options are consumed in order, each run of 'A's before
 * an option feeding as many positionals as it can. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define HELP_IDX (-2)
#define UNKNOWN_IDX (-1)

struct classified {
	bool is_opt;
	bool dashdash; /* the first "--": taken by what follows, else extra */
	int idx;             /* option index, HELP_IDX, or UNKNOWN_IDX */
	const char *optstr;  /* the option string as argparse names it */
	const char *explicit_arg;
	char optbuf[128];
};

struct state {
	const struct api_spec *spec;
	char **argv;
	int argc;
	struct classified *cl;
	struct api_args *out;
	struct api_buf extras;
	size_t nextras;
	size_t pos_done; /* positionals consumed so far */
};

static void opt_name(const struct api_spec *sp, int idx, struct api_buf *b)
{
	if (idx == HELP_IDX) {
		api_buf_adds(b, "-h/--help");
		return;
	}
	const struct api_opt *o = &sp->opts[idx];
	if (o->shortc)
		api_buf_printf(b, "-%c", o->shortc);
	if (o->shortc && o->lng)
		api_buf_addc(b, '/');
	if (o->lng)
		api_buf_printf(b, "--%s", o->lng);
}

static int usage_error(const struct api_spec *sp, const char *msg)
{
	fprintf(stderr, "usage: %s\n%s: error: %s\n", sp->usage, sp->prog, msg);
	return API_USAGE_EXIT;
}

static int arg_error(const struct api_spec *sp, int idx, const char *msg)
{
	struct api_buf b = {0};
	api_buf_adds(&b, "argument ");
	opt_name(sp, idx, &b);
	api_buf_printf(&b, ": %s", msg);
	int rc = usage_error(sp, b.p);
	api_buf_free(&b);
	return rc;
}

/* Exact option string -> index; -1 if none. */
static int exact(const struct api_spec *sp, const char *s, size_t n, int *idx)
{
	if (n == 2 && s[0] == '-' && s[1] == 'h') {
		*idx = HELP_IDX;
		return 0;
	}
	if (n == 6 && !memcmp(s, "--help", 6)) {
		*idx = HELP_IDX;
		return 0;
	}
	for (size_t i = 0; i < sp->nopts; i++) {
		const struct api_opt *o = &sp->opts[i];
		if (o->shortc && n == 2 && s[0] == '-' && s[1] == o->shortc) {
			*idx = (int)i;
			return 0;
		}
		if (o->lng && n == strlen(o->lng) + 2 && s[0] == '-' && s[1] == '-' &&
		    !memcmp(s + 2, o->lng, n - 2)) {
			*idx = (int)i;
			return 0;
		}
	}
	return -1;
}

static bool negative_number(const char *a)
{
	/* ^-\d+$|^-\d*\.\d+$ */
	const char *p = a + 1;
	size_t d1 = strspn(p, "0123456789");
	if (d1 && !p[d1])
		return true;
	p += d1;
	if (*p != '.')
		return false;
	size_t d2 = strspn(p + 1, "0123456789");
	return d2 && !p[1 + d2];
}

/* argparse's _parse_optional for one argument; 0, or an exit code. */
static int classify(struct state *st, const char *a, struct classified *c)
{
	const struct api_spec *sp = st->spec;
	size_t n = strlen(a);
	c->is_opt = false;
	c->explicit_arg = NULL;
	if (!n || a[0] != '-')
		return 0;
	if (exact(sp, a, n, &c->idx) == 0) {
		c->is_opt = true;
		c->optstr = a;
		return 0;
	}
	if (n == 1)
		return 0;
	const char *eq = strchr(a, '=');
	if (eq && exact(sp, a, (size_t)(eq - a), &c->idx) == 0) {
		c->is_opt = true;
		snprintf(c->optbuf, sizeof(c->optbuf), "%.*s", (int)(eq - a), a);
		c->optstr = c->optbuf;
		c->explicit_arg = eq + 1;
		return 0;
	}
	/* prefix matches: every option string (-h and --help included) */
	struct api_buf matches = {0};
	int found = 0, fidx = 0;
	const char *fexp = NULL;
	char fstr[128] = "";
	size_t total = sp->nopts + 1;
	for (size_t k = 0; k < total; k++) {
		int idx = k == sp->nopts ? HELP_IDX : (int)k;
		char sh[3] = {0}, lg[64] = {0};
		if (idx == HELP_IDX) {
			strcpy(sh, "-h");
			strcpy(lg, "--help");
		} else {
			if (sp->opts[idx].shortc)
				snprintf(sh, sizeof(sh), "-%c", sp->opts[idx].shortc);
			if (sp->opts[idx].lng)
				snprintf(lg, sizeof(lg), "--%s", sp->opts[idx].lng);
		}
		const char *strs[2] = {sh, lg};
		for (int j = 0; j < 2; j++) {
			const char *os = strs[j];
			if (!*os)
				continue;
			const char *hit_exp = NULL;
			bool hit = false;
			if (a[1] == '-') {
				size_t pl = eq ? (size_t)(eq - a) : n;
				if (!strncmp(os, a, pl)) {
					hit = true;
					hit_exp = eq ? eq + 1 : NULL;
				}
			} else {
				if (strlen(os) == 2 && !strncmp(os, a, 2)) {
					hit = true;
					hit_exp = a + 2;
				} else if (!strncmp(os, a, n)) {
					hit = true;
				}
			}
			if (!hit)
				continue;
			if (found++)
				api_buf_adds(&matches, ", ");
			api_buf_adds(&matches, os);
			fidx = idx;
			fexp = hit_exp;
			snprintf(fstr, sizeof(fstr), "%s", os);
		}
	}
	if (found > 1) {
		struct api_buf m = {0};
		api_buf_printf(&m, "ambiguous option: %s could match %s", a, matches.p);
		int rc = usage_error(sp, m.p);
		api_buf_free(&m);
		api_buf_free(&matches);
		return rc;
	}
	api_buf_free(&matches);
	if (found == 1) {
		c->is_opt = true;
		c->idx = fidx;
		snprintf(c->optbuf, sizeof(c->optbuf), "%s", fstr);
		c->optstr = c->optbuf;
		c->explicit_arg = fexp;
		return 0;
	}
	if (negative_number(a))
		return 0;
	if (strchr(a, ' '))
		return 0;
	c->is_opt = true;
	c->idx = UNKNOWN_IDX;
	c->optstr = a;
	return 0;
}

static void print_help(const struct api_spec *sp)
{
	struct api_buf b = {0};
	api_buf_printf(&b, "usage: %s\n", sp->usage);
	if (sp->description)
		api_buf_printf(&b, "\n%s\n", sp->description);
	if (sp->npos) {
		api_buf_adds(&b, "\npositional arguments:\n");
		for (size_t i = 0; i < sp->npos; i++)
			api_buf_printf(&b, "  %-20s  %s\n", sp->pos[i].name, sp->pos[i].help);
	}
	api_buf_adds(&b, "\noptions:\n  -h, --help            show this help message and exit\n");
	for (size_t i = 0; i < sp->nopts; i++) {
		const struct api_opt *o = &sp->opts[i];
		struct api_buf inv = {0};
		if (o->shortc) {
			api_buf_printf(&inv, "-%c", o->shortc);
			if (o->metavar)
				api_buf_printf(&inv, " %s", o->metavar);
		}
		if (o->lng) {
			api_buf_printf(&inv, "%s--%s", o->shortc ? ", " : "", o->lng);
			if (o->metavar)
				api_buf_printf(&inv, " %s", o->metavar);
		}
		if (inv.n <= 20)
			api_buf_printf(&b, "  %-20s  %s\n", inv.p, o->help);
		else
			api_buf_printf(&b, "  %s\n                        %s\n", inv.p, o->help);
		api_buf_free(&inv);
	}
	fwrite(b.p, 1, b.n, stdout);
	fflush(stdout);
	api_buf_free(&b);
}

/* take_action for option idx; 0, or an exit code. */
static int take_option(struct state *st, int idx, const char *val, int *rc)
{
	const struct api_spec *sp = st->spec;
	if (idx == HELP_IDX) {
		print_help(sp);
		*rc = 0;
		return 1;
	}
	st->out->seen[idx] = true;
	st->out->val[idx] = val;
	if (val && sp->opts[idx].is_int) {
		struct api_buf d = {0};
		size_t len;
		char *t = api_from_argv(val, &len);
		if (api_py_int(t, len, &d) < 0) {
			struct api_buf m = {0};
			api_buf_adds(&m, "invalid int value: ");
			api_py_repr(&m, t, len);
			*rc = arg_error(sp, idx, m.p);
			api_buf_free(&m);
			free(t);
			return 1;
		}
		st->out->ival[idx] = d.n > 18 ? (d.p[0] == '-' ? -999999999999999999L : 999999999999999999L)
					      : strtol(d.p, NULL, 10);
		api_buf_free(&d);
		free(t);
	}
	return 0;
}

/* consume_positionals: feed the 'A's at [start, end) to the remaining
 * positionals, as argparse's partial match does (a '*' may take none). */
static int consume_positionals(struct state *st, int start, int end, int *rc)
{
	const struct api_spec *sp = st->spec;
	int i = start;
	while (st->pos_done < sp->npos) {
		const struct api_pos *p = &sp->pos[st->pos_done];
		/* one value: the "--" around it goes with it (-*A-*); many:
		 * everything left. Then, as argparse, the first "--" among
		 * them is dropped, whichever it is. */
		int from = i, to;
		if (p->nargs == API_ONE) {
			while (i < end && st->cl[i].dashdash)
				i++;
			if (i >= end) {
				i = from;
				break;
			}
			to = i + 1;
			while (to < end && st->cl[to].dashdash)
				to++;
		} else {
			to = end;
		}
		char **vals = api_xmalloc(sizeof(char *) * (size_t)(to - from + 1));
		size_t nv = 0;
		bool dropped = false;
		for (int k = from; k < to; k++) {
			if (!dropped && !strcmp(st->argv[k], "--")) {
				dropped = true;
				continue;
			}
			vals[nv++] = st->argv[k];
		}
		st->out->posv[st->pos_done] = vals;
		st->out->posn[st->pos_done] = nv;
		for (size_t k = 0; p->check && k < nv; k++) {
			struct api_buf m = {0};
			if (p->check(vals[k], &m)) {
				struct api_buf e = {0};
				api_buf_printf(&e, "argument %s: %s", p->name, m.p);
				*rc = usage_error(sp, e.p);
				api_buf_free(&e);
				api_buf_free(&m);
				return -1;
			}
			api_buf_free(&m);
		}
		i = to;
		st->pos_done++;
	}
	return i;
}

static void add_extra(struct state *st, const char *a)
{
	if (st->nextras++)
		api_buf_addc(&st->extras, ' ');
	api_buf_adds(&st->extras, a);
}

int api_argparse(const struct api_spec *spec, int argc, char **argv, struct api_args *out, int *rc)
{
	struct state st = {.spec = spec, .out = out};
	memset(out, 0, sizeof(*out));
	/* argv[0] is the program; a first "--" ends the options and is dropped */
	char **args = api_xmalloc(sizeof(char *) * (size_t)(argc + 1));
	struct classified *cl = api_xmalloc(sizeof(*cl) * (size_t)(argc + 1));
	int n = 0, dashdash = -1;
	for (int i = 1; i < argc; i++) {
		args[n] = argv[i];
		cl[n].dashdash = false;
		if (dashdash < 0 && !strcmp(argv[i], "--")) {
			dashdash = n;
			cl[n].is_opt = false;
			cl[n].dashdash = true;
		} else if (dashdash >= 0) {
			cl[n].is_opt = false;
		} else if ((*rc = classify(&st, argv[i], &cl[n])) != 0) {
			return 1;
		}
		n++;
	}
	st.argv = args;
	st.argc = n;
	st.cl = cl;
	int start = 0;
	for (;;) {
		int next = start;
		while (next < n && !cl[next].is_opt)
			next++;
		if (next >= n)
			break;
		if (start != next) {
			int e = consume_positionals(&st, start, next, rc);
			if (e < 0)
				return 1;
			for (int k = e; k < next; k++)
				add_extra(&st, args[k]);
			start = next;
		}
		/* consume_optional */
		struct classified *c = &cl[start];
		if (c->idx == UNKNOWN_IDX) {
			add_extra(&st, args[start]);
			start++;
			continue;
		}
		int idx = c->idx;
		const char *optstr = c->optstr, *explicit_arg = c->explicit_arg;
		/* a cluster holds at most one option per character */
		size_t cap = strlen(args[start]) + 1;
		int *pend = api_xmalloc(cap * sizeof(*pend));
		const char **pval = api_xmalloc(cap * sizeof(*pval));
		int npend = 0;
		int stop;
		for (;;) {
			bool takes = idx != HELP_IDX && spec->opts[idx].nargs == API_ONE;
			if (explicit_arg) {
				if (!takes && optstr[1] != '-' && *explicit_arg) {
					/* a cluster: -ae is -a -e */
					char sh[3] = {'-', explicit_arg[0], 0};
					int nidx;
					pend[npend] = idx;
					pval[npend++] = NULL;
					if (exact(spec, sh, 2, &nidx) != 0) {
						struct api_buf m = {0};
						api_buf_adds(&m, "ignored explicit argument ");
						api_py_repr(&m, explicit_arg, strlen(explicit_arg));
						*rc = arg_error(spec, idx, m.p);
						api_buf_free(&m);
						return 1;
					}
					idx = nidx;
					optstr = idx == HELP_IDX ? "-h" : "-x";
					explicit_arg = explicit_arg[1] ? explicit_arg + 1 : NULL;
					continue;
				}
				if (takes) {
					pend[npend] = idx;
					pval[npend++] = explicit_arg;
					stop = start + 1;
					break;
				}
				struct api_buf m = {0};
				api_buf_adds(&m, "ignored explicit argument ");
				api_py_repr(&m, explicit_arg, strlen(explicit_arg));
				*rc = arg_error(spec, idx, m.p);
				api_buf_free(&m);
				return 1;
			}
			if (takes) {
				/* an option's value is never "--" nor what follows it */
				int at = start + 1;
				if (at >= n || cl[at].is_opt || cl[at].dashdash) {
					*rc = arg_error(spec, idx, "expected one argument");
					return 1;
				}
				pend[npend] = idx;
				pval[npend++] = args[at];
				stop = at + 1;
			} else {
				pend[npend] = idx;
				pval[npend++] = NULL;
				stop = start + 1;
			}
			break;
		}
		for (int k = 0; k < npend; k++)
			if (take_option(&st, pend[k], pval[k], rc))
				return 1;
		free(pend);
		free(pval);
		start = stop;
	}
	int e = consume_positionals(&st, start, n, rc);
	if (e < 0)
		return 1;
	for (int k = e; k < n; k++)
		add_extra(&st, args[k]);
	if (st.pos_done < spec->npos) {
		struct api_buf m = {0};
		bool first = true;
		api_buf_adds(&m, "the following arguments are required: ");
		/* a '*' positional without default counts as required too */
		for (size_t k = st.pos_done; k < spec->npos; k++) {
			api_buf_printf(&m, "%s%s", first ? "" : ", ", spec->pos[k].name);
			first = false;
		}
		*rc = usage_error(spec, m.p);
		api_buf_free(&m);
		return 1;
	}
	if (st.nextras) {
		struct api_buf m = {0};
		api_buf_printf(&m, "unrecognized arguments: %s", st.extras.p);
		*rc = usage_error(spec, m.p);
		api_buf_free(&m);
		return 1;
	}
	return 0;
}

char *api_arg(const struct api_args *a, int i, size_t *len)
{
	return api_from_argv(a->val[i] ? a->val[i] : "", len);
}
