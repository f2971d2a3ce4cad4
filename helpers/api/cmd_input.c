/* getinput and parsetemplate: the student's answers from
 * /.__input/__inputdata.json ("input" object), printed in Python's str()
 * forms or filled into a template file as INGInious's parse_template does
 * (a regular expression per answer finds @PREFIX@ID@SUFFIX@ markers, then
 * each marker found is replaced literally, answer key after answer key). */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

#define INPUT_EXIT 2
#define MSG_NOT_FOUND "Input file not found"
#define MSG_NOT_COMPATIBLE "Input is not compatible"
#define MSG_NULL "Invalid/unknown input format. Please access it from Python using input.get_input."

static int input_error(const char *msg)
{
	fputs(msg, stderr);
	return INPUT_EXIT;
}

/* Python reads the file, strips NULs and white space at both ends, and
 * parses it. */
int api_input_load(struct api_json **doc, struct api_json **input, enum api_input_reader who)
{
	struct api_buf b = {0};
	char *path = api_path(API_INPUT_PATH);
	int r = api_read_file(path, &b);
	free(path);
	if (r < 0 && who == API_INPUT_LANG)
		return api_py_raise("FileNotFoundError", "[Errno 2] No such file or directory: '%s'", API_INPUT_PATH);
	if (r < 0)
		return input_error(MSG_NOT_FOUND);
	size_t a = 0, z = b.n;
	while (a < z && (b.p[a] == 0 || strchr(" \t\n\r\v\f", b.p[a])))
		a++;
	while (z > a && (b.p[z - 1] == 0 || strchr(" \t\n\r\v\f", b.p[z - 1])))
		z--;
	const char *err;
	*doc = api_json_parse(b.p + a, z - a, &err);
	api_buf_free(&b);
	if (!*doc && who == API_INPUT_LANG)
		return api_py_raise("json.decoder.JSONDecodeError", "%s", err);
	if (!*doc)
		return input_error(MSG_NOT_COMPATIBLE);
	*input = (*doc)->type == AJ_OBJ ? api_json_obj_get(*doc, "input", 5) : NULL;
	if (!*input || (*input)->type != AJ_OBJ)
		return api_py_raise(who == API_INPUT_PARSETEMPLATE ? "ValueError" : "KeyError",
				    who == API_INPUT_PARSETEMPLATE ? "Could not find 'input' in data" : "'input'");
	return 0;
}

/* An upload: an object holding both "filename" and "value". */
static bool is_upload(const struct api_json *v)
{
	return v->type == AJ_OBJ && api_json_obj_get(v, "filename", 8) && api_json_obj_get(v, "value", 5);
}

/* The bytes of an upload; the absolute path lives under the API root. */
static int upload_bytes(const struct api_json *v, struct api_buf *out)
{
	const struct api_json *p = api_json_obj_get(v, "value", 5);
	if (p->type != AJ_STR)
		return -1;
	char *path = p->s[0] == '/' ? api_path(p->s) : api_xstrndup(p->s, p->n);
	int r = api_read_file(path, out);
	free(path);
	return r;
}

/* ---- getinput ---- */
static const struct api_pos getinput_pos[] = {{"problem", API_ONE, "problem id, with :filename or :value for an upload", NULL}};
static const struct api_spec getinput_spec = {
	"getinput", "getinput [-h] problem", "Print the student's answer to a problem.", NULL, 0, getinput_pos, 1,
};

/* Python's str() of a JSON value. */
static void py_str(struct api_buf *b, const struct api_json *v)
{
	switch (v->type) {
	case AJ_STR: api_buf_add(b, v->s, v->n); break;
	case AJ_TRUE: api_buf_adds(b, "True"); break;
	case AJ_FALSE: api_buf_adds(b, "False"); break;
	case AJ_FLOAT: api_float_repr(b, v->f); break;
	default: api_json_dump(b, v); break;
	}
}

int api_cmd_getinput(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&getinput_spec, argc, argv, &a, &rc))
		return rc;
	struct api_json *doc, *input;
	if ((rc = api_input_load(&doc, &input, API_INPUT_GETINPUT)))
		return rc;
	size_t n;
	char *id = api_from_argv(a.posv[0][0], &n);
	char *colon = memchr(id, ':', n);
	size_t kn = colon ? (size_t)(colon - id) : n;
	const char *suffix = colon ? colon + 1 : "";
	struct api_json *v = api_json_obj_get(input, id, kn);
	if (!v) {
		struct api_buf m = {0};
		api_py_repr(&m, id, kn);
		return api_py_raise("KeyError", "%s", m.p);
	}
	struct api_buf out = {0};
	if (is_upload(v)) {
		if (!strcmp(suffix, "filename")) {
			py_str(&out, api_json_obj_get(v, "filename", 8));
		} else if (upload_bytes(v, &out) < 0) {
			return input_error(MSG_NOT_FOUND);
		}
		/* the file's bytes go out as they are */
		if (strcmp(suffix, "filename")) {
			api_write_all(STDOUT_FILENO, out.p, out.n);
			return 0;
		}
	} else if (v->type == AJ_NULL) {
		return input_error(MSG_NULL);
	} else {
		py_str(&out, v);
	}
	if (api_has_surrogate(out.p, out.n))
		return input_error(MSG_NOT_COMPATIBLE);
	api_write_all(STDOUT_FILENO, out.p, out.n);
	return 0;
}

/* ---- parsetemplate ---- */
static const struct api_opt parse_opts[] = {
	{'o', "output", API_ONE, "OUTPUT", false, "output file (the input file itself when absent)"},
};
static const struct api_pos parse_pos[] = {{"input", API_ONE, "the template file", NULL}};
static const struct api_spec parse_spec = {
	"parsetemplate", "parsetemplate [-h] [-o OUTPUT] input",
	"Fill a template with the student's answers (@prefix@id@suffix@ markers).", parse_opts, 1, parse_pos, 1,
};

/* text.replace(old, new) */
static void replace_all(struct api_buf *t, const char *old, size_t on, const char *nw, size_t nn)
{
	struct api_buf r = {0};
	size_t i = 0;
	if (!on)
		return;
	while (i < t->n) {
		const char *hit = memmem(t->p + i, t->n - i, old, on);
		if (!hit)
			break;
		api_buf_add(&r, t->p + i, (size_t)(hit - (t->p + i)));
		api_buf_add(&r, nw, nn);
		i = (size_t)(hit - t->p) + on;
	}
	api_buf_add(&r, t->p + i, t->n - i);
	api_buf_cstr(&r);
	api_buf_free(t);
	*t = r;
}

struct pair {
	char *pre, *post;
	size_t pren, postn;
};

/* re.findall: the distinct (prefix, suffix) pairs of the markers of ID. */
static int find_markers(const struct api_buf *t, const char *id, struct pair **pairs, size_t *np)
{
	struct api_buf re = {0};
	regex_t rx;
	api_buf_adds(&re, "@([^@]*)@");
	api_buf_adds(&re, id);
	api_buf_adds(&re, "@([^@]*)@");
	if (regcomp(&rx, re.p, REG_EXTENDED)) {
		api_buf_free(&re);
		return api_py_raise("re.error", "bad pattern for answer %s", id);
	}
	api_buf_free(&re);
	*pairs = NULL;
	*np = 0;
	size_t i = 0;
	while (i < t->n) {
		regmatch_t m[3];
		m[0].rm_so = (regoff_t)i;
		m[0].rm_eo = (regoff_t)t->n;
		if (regexec(&rx, t->p, 3, m, REG_STARTEND) != 0)
			break;
		struct pair p = {
			t->p + m[1].rm_so, t->p + m[2].rm_so,
			(size_t)(m[1].rm_eo - m[1].rm_so), (size_t)(m[2].rm_eo - m[2].rm_so),
		};
		bool dup = false;
		for (size_t k = 0; k < *np; k++)
			if ((*pairs)[k].pren == p.pren && (*pairs)[k].postn == p.postn &&
			    !memcmp((*pairs)[k].pre, p.pre, p.pren) && !memcmp((*pairs)[k].post, p.post, p.postn))
				dup = true;
		if (!dup) {
			p.pre = api_xstrndup(p.pre, p.pren);
			p.post = api_xstrndup(p.post, p.postn);
			*pairs = api_xrealloc(*pairs, (*np + 1) * sizeof(**pairs));
			(*pairs)[(*np)++] = p;
		}
		i = m[0].rm_eo > m[0].rm_so ? (size_t)m[0].rm_eo : (size_t)m[0].rm_so + 1;
	}
	regfree(&rx);
	return 0;
}

static const char *py_type(const struct api_json *v)
{
	switch (v->type) {
	case AJ_NULL: return "NoneType";
	case AJ_TRUE: case AJ_FALSE: return "bool";
	case AJ_INT: return "int";
	case AJ_FLOAT: return "float";
	case AJ_ARR: return "list";
	case AJ_OBJ: return "dict";
	default: return "str";
	}
}

/* Fill the markers of one answer id (KEY, KEY:filename or KEY:value). */
static int fill(struct api_buf *t, const struct api_json *v, const char *id, const char *sub)
{
	struct pair *pairs = NULL;
	size_t np = 0;
	int rc = find_markers(t, id, &pairs, &np);
	if (rc)
		return rc;
	for (size_t k = 0; k < np && !rc; k++) {
		struct api_buf text = {0}, rep = {0}, marker = {0};
		if (!strcmp(sub, "value")) {
			if (upload_bytes(v, &text) < 0) {
				rc = input_error(MSG_NOT_FOUND);
				break;
			}
			if (!api_utf8_valid(text.p, text.n, NULL)) {
				rc = input_error(MSG_NOT_COMPATIBLE);
				break;
			}
		} else {
			const struct api_json *s = *sub ? api_json_obj_get(v, sub, strlen(sub)) : v;
			if (s->type != AJ_STR) {
				rc = api_py_raise("AttributeError", "'%s' object has no attribute 'splitlines'", py_type(s));
				break;
			}
			api_buf_add(&text, s->s, s->n);
		}
		size_t *st, *ln;
		size_t nl = api_splitlines(text.p ? text.p : "", text.n, &st, &ln);
		for (size_t i = 0; i < nl; i++) {
			if (i)
				api_buf_addc(&rep, '\n');
			api_buf_add(&rep, pairs[k].pre, pairs[k].pren);
			api_buf_add(&rep, text.p + st[i], ln[i]);
			api_buf_add(&rep, pairs[k].post, pairs[k].postn);
		}
		free(st);
		free(ln);
		api_buf_addc(&marker, '@');
		api_buf_add(&marker, pairs[k].pre, pairs[k].pren);
		api_buf_printf(&marker, "@%s@", id);
		api_buf_add(&marker, pairs[k].post, pairs[k].postn);
		api_buf_addc(&marker, '@');
		replace_all(t, marker.p, marker.n, rep.p ? rep.p : "", rep.n);
		api_buf_free(&text);
		api_buf_free(&rep);
		api_buf_free(&marker);
	}
	for (size_t k = 0; k < np; k++) {
		free(pairs[k].pre);
		free(pairs[k].post);
	}
	free(pairs);
	return rc;
}

/* os.makedirs(os.path.dirname(path)), errors ignored as INGInious does. */
static void make_parents(const char *path)
{
	char *p = api_xstrndup(path, strlen(path));
	char *slash = strrchr(p, '/');
	if (slash && slash != p) {
		*slash = 0;
		for (char *s = p + 1; *s; s++) {
			if (*s == '/') {
				*s = 0;
				mkdir(p, 0777);
				*s = '/';
			}
		}
		mkdir(p, 0777);
	}
	free(p);
}

int api_cmd_parsetemplate(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&parse_spec, argc, argv, &a, &rc))
		return rc;
	struct api_json *doc, *input;
	if ((rc = api_input_load(&doc, &input, API_INPUT_PARSETEMPLATE)))
		return rc;
	const char *in = a.posv[0][0];
	struct api_buf t = {0};
	if (api_read_file(in, &t) < 0)
		return input_error(MSG_NOT_FOUND);
	api_buf_cstr(&t);
	if (!api_utf8_valid(t.p, t.n, NULL))
		return input_error(MSG_NOT_COMPATIBLE);
	for (size_t i = 0; i < input->len; i++) {
		const char *key = input->keys[i];
		const struct api_json *v = input->items[i];
		if (is_upload(v)) {
			static const char *const subs[] = {"filename", "value"};
			for (int s = 0; s < 2; s++) {
				struct api_buf id = {0};
				api_buf_printf(&id, "%s:%s", key, subs[s]);
				rc = fill(&t, v, id.p, subs[s]);
				api_buf_free(&id);
				if (rc)
					return rc;
			}
		} else if ((rc = fill(&t, v, key, ""))) {
			return rc;
		}
	}
	const char *out = a.val[0] && *a.val[0] ? a.val[0] : in;
	make_parents(out);
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(t.p, 1, t.n, f) != t.n || fclose(f) != 0) {
		struct api_buf m = {0};
		int e = errno;
		api_py_repr(&m, out, strlen(out));
		return api_py_raise("OSError", "[Errno %d] %s: %s", e, strerror(e), m.p);
	}
	return 0;
}
