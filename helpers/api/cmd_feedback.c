/* The feedback commands: feedback-result, feedback-grade, feedback-msg,
 * feedback-custom, feedback-state, feedback, tag-set, tag. Each change is
 * one locked load + save of the feedback file (feedback.c); `feedback`
 * makes one per step, so a failing later step keeps the earlier ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "api.h"

#define AUTO_TAG_PREFIX "*auto-tag-"

typedef int (*fb_change)(struct api_json *d, void *ctx);

/* Load, change, save: 0 or Python's exit code 1. */
static int fb_apply(const char *prog, fb_change fn, void *ctx)
{
	struct api_fb fb;
	if (api_fb_open(&fb, prog))
		return 1;
	struct api_json *d = api_fb_dict(&fb);
	int rc = !d || fn(d, ctx) ? 1 : api_fb_save(&fb, prog);
	api_fb_close(&fb);
	return rc;
}

struct text_ctx {
	const char *id, *t;
	size_t idn, tn;
	bool problem, append;
};

static int set_result(struct api_json *d, void *p)
{
	struct text_ctx *c = p;
	if (c->problem)
		return api_fb_set_problem_result(d, c->id, c->idn, c->t, c->tn);
	api_json_obj_set(d, "result", 6, api_json_str(c->t, c->tn));
	return 0;
}

static int set_text(struct api_json *d, void *p)
{
	struct text_ctx *c = p;
	return api_fb_set_text(d, c->id, c->idn, c->problem, c->t, c->tn, c->append);
}

static int set_grade(struct api_json *d, void *p)
{
	api_json_obj_set(d, "grade", 5, api_json_float(*(double *)p));
	return 0;
}

struct kv_ctx {
	const char *key;
	size_t keyn;
	struct api_json *v;
	const char *sub; /* "custom", "tests" or NULL for a top-level key */
};

static int set_kv(struct api_json *d, void *p)
{
	struct kv_ctx *c = p;
	struct api_json *o = d;
	if (c->sub && api_fb_sub(d, c->sub, &o))
		return 1;
	api_json_obj_set(o, c->key, c->keyn, c->v);
	c->v = NULL;
	return 0;
}

static int grade_arg(const char *arg, double *g)
{
	size_t n;
	char *t = api_from_argv(arg, &n);
	int rc = 0;
	if (api_py_float(t, n, g) < 0) {
		struct api_buf m = {0};
		api_py_repr(&m, t, n);
		rc = api_py_raise("ValueError", "could not convert string to float: %s", m.p);
		api_buf_free(&m);
	}
	free(t);
	return rc;
}

struct api_json *api_custom_value(const char *s, size_t n)
{
	struct api_buf d = {0};
	double f;
	if (api_py_int(s, n, &d) == 0) {
		struct api_json *v = api_json_new(AJ_INT);
		v->s = d.p;
		v->n = d.n;
		return v;
	}
	api_buf_free(&d);
	if (api_py_float(s, n, &f) == 0)
		return api_json_float(f);
	return api_json_str(s, n);
}

/* ---- feedback-result ---- */
static const struct api_opt result_opts[] = {
	{'i', "id", API_ONE, "ID", false, "problem id (the global result when absent or empty)"},
};
static const struct api_pos result_pos[] = {{"result", API_ONE, "the result: success, failed, crash, ...", NULL}};
static const struct api_spec result_spec = {
	"feedback-result", "feedback-result [-h] [-i ID] result", "Set the result of the submission or of a problem.",
	result_opts, 1, result_pos, 1,
};

int api_cmd_feedback_result(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&result_spec, argc, argv, &a, &rc))
		return rc;
	struct text_ctx c = {0};
	c.id = api_arg(&a, 0, &c.idn);
	c.problem = c.idn > 0;
	c.t = api_from_argv(a.posv[0][0], &c.tn);
	return fb_apply(result_spec.prog, set_result, &c);
}

/* ---- feedback-grade ---- */
static const struct api_pos grade_pos[] = {{"grade", API_ONE, "the grade, a number (100 = full marks)", NULL}};
static const struct api_spec grade_spec = {
	"feedback-grade", "feedback-grade [-h] grade", "Set the grade of the submission.", NULL, 0, grade_pos, 1,
};

int api_cmd_feedback_grade(int argc, char **argv)
{
	struct api_args a;
	int rc;
	double g;
	if (api_argparse(&grade_spec, argc, argv, &a, &rc))
		return rc;
	if (grade_arg(a.posv[0][0], &g))
		return 1;
	return fb_apply(grade_spec.prog, set_grade, &g);
}

/* ---- feedback-msg ---- */
static const struct api_opt msg_opts[] = {
	{'a', "append", API_FLAG, NULL, false, "append to the current feedback"},
	{'i', "id", API_ONE, "ID", false, "problem id (the global feedback when absent or empty)"},
	{'e', "escape", API_FLAG, NULL, false, "interpret backslash escapes"},
	{'m', "message", API_ONE, "MESSAGE", false, "the feedback (stdin when absent or empty)"},
};
static const struct api_spec msg_spec = {
	"feedback-msg", "feedback-msg [-h] [-a] [-i ID] [-e] [-m MESSAGE]", "Set or append to the feedback text.",
	msg_opts, 4, NULL, 0,
};

/* The text of -m, or stdin when absent or empty; -e applied. */
static int message_text(const char *arg, bool esc, struct api_buf *out)
{
	struct api_buf raw = {0};
	int rc = 0;
	if (arg && *arg) {
		size_t n;
		char *t = api_from_argv(arg, &n);
		api_buf_add(&raw, t, n);
		free(t);
	} else if (api_read_stdin_text(&raw)) {
		api_buf_free(&raw);
		return 1;
	}
	api_buf_cstr(&raw);
	if (esc)
		rc = api_unescape(raw.p, raw.n, out);
	else
		api_buf_add(out, raw.p, raw.n);
	api_buf_cstr(out);
	api_buf_free(&raw);
	return rc;
}

int api_cmd_feedback_msg(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&msg_spec, argc, argv, &a, &rc))
		return rc;
	struct api_buf text = {0};
	if (message_text(a.val[3], a.seen[2], &text))
		return 1;
	struct text_ctx c = {.t = text.p, .tn = text.n, .append = a.seen[0]};
	c.id = api_arg(&a, 1, &c.idn);
	c.problem = c.idn > 0;
	return fb_apply(msg_spec.prog, set_text, &c);
}

/* ---- feedback-custom ---- */
static const struct api_opt custom_opts[] = {
	{'j', "json", API_FLAG, NULL, false, "the value is JSON"},
};
static const struct api_pos custom_pos[] = {
	{"key", API_ONE, "name of the custom value", NULL},
	{"value", API_ONE, "the value (a number when it reads as one)", NULL},
};
static const struct api_spec custom_spec = {
	"feedback-custom", "feedback-custom [-h] [-j] key value", "Set a custom value in the feedback.",
	custom_opts, 1, custom_pos, 2,
};

/* json.loads of an argument, or NULL after INGInious's message on stdout. */
static struct api_json *json_arg(const char *s, size_t n, const char *flag)
{
	const char *err;
	struct api_json *v = api_json_parse(s, n, &err);
	if (!v) {
		printf("Cannot decode json. Invalid value for %s\n", flag);
		fflush(stdout);
	}
	return v;
}

int api_cmd_feedback_custom(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&custom_spec, argc, argv, &a, &rc))
		return rc;
	struct kv_ctx c = {.sub = "custom"};
	size_t vn;
	char *v = api_from_argv(a.posv[1][0], &vn);
	c.key = api_from_argv(a.posv[0][0], &c.keyn);
	c.v = a.seen[0] ? json_arg(v, vn, "--json") : api_custom_value(v, vn);
	if (!c.v)
		return 1;
	return fb_apply(custom_spec.prog, set_kv, &c);
}

/* ---- feedback-state ---- */
static const struct api_pos state_pos[] = {{"value", API_ONE, "the state kept for the next submission", NULL}};
static const struct api_spec state_spec = {
	"feedback-state", "feedback-state [-h] value", "Set the state of the submission.", NULL, 0, state_pos, 1,
};

int api_cmd_feedback_state(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&state_spec, argc, argv, &a, &rc))
		return rc;
	size_t n;
	char *v = api_from_argv(a.posv[0][0], &n);
	struct kv_ctx c = {.key = "state", .keyn = 5, .v = api_json_str(v, n)};
	return fb_apply(state_spec.prog, set_kv, &c);
}

/* ---- feedback ---- */
enum { F_RESULT, F_GRADE, F_FEEDBACK, F_ID, F_ESCAPE, F_PRINT, F_CUSTOM, F_JSON };
static const struct api_opt fb_opts[] = {
	[F_RESULT] = {'r', "result", API_ONE, "RESULT", false, "set the result"},
	[F_GRADE] = {'g', "grade", API_ONE, "GRADE", false, "set the grade"},
	[F_FEEDBACK] = {'f', "feedback", API_ONE, "FEEDBACK", false, "set the feedback text"},
	[F_ID] = {'i', "id", API_ONE, "ID", false, "problem id for -r and -f"},
	[F_ESCAPE] = {'e', "escape", API_FLAG, NULL, false, "interpret backslash escapes in -f"},
	[F_PRINT] = {'p', "print", API_FLAG, NULL, false, "print the feedback as JSON"},
	[F_CUSTOM] = {'c', "custom", API_ONE, "CUSTOM", false, "NAME:VALUE custom value"},
	[F_JSON] = {'j', "custom-json", API_ONE, "CUSTOM_JSON", false, "NAME:JSON custom value"},
};
static const struct api_spec fb_spec = {
	"feedback",
	"feedback [-h] [-r RESULT] [-g GRADE] [-f FEEDBACK] [-i ID] [-e] [-p]\n"
	"                [-c CUSTOM] [-j CUSTOM_JSON]",
	"Set several parts of the feedback at once.", fb_opts, 8, NULL, 0,
};

int api_cmd_feedback(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&fb_spec, argc, argv, &a, &rc))
		return rc;
	size_t idn;
	char *id = api_arg(&a, F_ID, &idn);
	if (a.val[F_RESULT] && *a.val[F_RESULT]) {
		struct text_ctx c = {.id = id, .idn = idn, .problem = idn > 0};
		c.t = api_arg(&a, F_RESULT, &c.tn);
		if (fb_apply(fb_spec.prog, set_result, &c))
			return 1;
	}
	if (a.val[F_GRADE] && *a.val[F_GRADE]) {
		double g;
		if (grade_arg(a.val[F_GRADE], &g) || fb_apply(fb_spec.prog, set_grade, &g))
			return 1;
	}
	if (a.val[F_FEEDBACK] && *a.val[F_FEEDBACK]) {
		struct api_buf text = {0};
		if (message_text(a.val[F_FEEDBACK], a.seen[F_ESCAPE], &text))
			return 1;
		struct text_ctx c = {.id = id, .idn = idn, .problem = idn > 0, .t = text.p, .tn = text.n};
		if (fb_apply(fb_spec.prog, set_text, &c))
			return 1;
	}
	bool js = a.val[F_JSON] && *a.val[F_JSON];
	if (js || (a.val[F_CUSTOM] && *a.val[F_CUSTOM])) {
		size_t n;
		char *s = api_arg(&a, js ? F_JSON : F_CUSTOM, &n);
		char *colon = memchr(s, ':', n);
		struct kv_ctx c = {.sub = "custom", .key = s, .keyn = colon ? (size_t)(colon - s) : n};
		const char *v = colon ? colon + 1 : "";
		size_t vn = colon ? n - (size_t)(colon - s) - 1 : 0;
		c.v = js ? json_arg(v, vn, "--custom-json") : api_custom_value(v, vn);
		if (!c.v || fb_apply(fb_spec.prog, set_kv, &c))
			return 1;
	}
	if (a.seen[F_PRINT]) {
		struct api_json *d = api_fb_peek();
		if (!d)
			return 1;
		struct api_buf b = {0};
		api_json_dump(&b, d);
		api_buf_addc(&b, '\n');
		api_write_all(STDOUT_FILENO, b.p, b.n);
		api_buf_free(&b);
		api_json_free(d);
	}
	return 0;
}

/* ---- tag-set ---- */
static const struct api_pos tagset_pos[] = {
	{"tag", API_ONE, "the tag's id", NULL},
	{"value", API_ONE, "true or True sets it, anything else clears it", NULL},
};
static const struct api_spec tagset_spec = {
	"tag-set", "tag-set [-h] tag value", "Set a tag of the submission.", NULL, 0, tagset_pos, 2,
};

int api_cmd_tag_set(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&tagset_spec, argc, argv, &a, &rc))
		return rc;
	struct kv_ctx c = {.sub = "tests"};
	c.key = api_from_argv(a.posv[0][0], &c.keyn);
	if (!strncmp(c.key, AUTO_TAG_PREFIX, strlen(AUTO_TAG_PREFIX)))
		return 0;
	const char *v = a.posv[1][0];
	c.v = api_json_new(!strcmp(v, "true") || !strcmp(v, "True") ? AJ_TRUE : AJ_FALSE);
	return fb_apply(tagset_spec.prog, set_kv, &c);
}

/* ---- tag ---- */
static const struct api_pos tag_pos[] = {{"value", API_ONE, "the text of the tag", NULL}};
static const struct api_spec tag_spec = {
	"tag", "tag [-h] value", "Add an automatic tag to the submission.", NULL, 0, tag_pos, 1,
};

int api_cmd_tag(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&tag_spec, argc, argv, &a, &rc))
		return rc;
	size_t n;
	char *v = api_from_argv(a.posv[0][0], &n);
	/* Python's randomised str hash: a fresh 64-bit value per process, 0
	 * for "", never -1 (Python's error marker) */
	int64_t h = 0;
	if (n) {
		uint64_t r = 0;
		while (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			;
		h = (int64_t)r;
		if (h == -1)
			h = -2;
	}
	char key[64];
	snprintf(key, sizeof(key), AUTO_TAG_PREFIX "%lld", (long long)h);
	struct kv_ctx c = {.sub = "tests", .key = key, .keyn = strlen(key), .v = api_json_str(v, n)};
	return fb_apply(tag_spec.prog, set_kv, &c);
}
