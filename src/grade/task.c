/* task: see task.h.
 *
 * task.yaml is read with libyaml in two passes: the event parser first
 * (syntax errors with libyaml's own marks, one document only, nesting
 * bounded: no task needs depth, and the tree is then small), then the
 * document loader, whose nodes keep their line and column for the
 * messages. The environment parameters come from the YAML tree or, for
 * gb_task_apply_params, from a JSON object: both reach the same field
 * readers through `struct val`, a value's kind and text plus where it was.
 * Forms and defaults follow INGInious (its task migration, its agent):
 *   - a top-level `environment` makes the file legacy: environment_id is
 *     its value, environment_type "docker", and the top-level limits,
 *     run_cmd and network_grading are the parameters (environment_parameters
 *     is then ignored: INGInious replaces it);
 *   - otherwise environment_type, environment_id, environment_parameters.
 * gradebox is more lenient than INGInious's int(): a limit may be a float
 * ("1.5"), and '' or null leaves any field unset. */
#include "task.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "util.h"

#define GB_MIB (UINT64_C(1) << 20)
/* Room for a number's text in a message and for parsing it. */
#define GB_NUM_TEXT_MAX 64
/* How much of a bad value a message quotes. */
#define GB_QUOTE_MAX 40

/* One value of the file, whichever parser read it. */
enum val_kind { V_ABSENT, V_NULL, V_SCALAR, V_NUMBER, V_BOOL, V_SEQ, V_MAP };
struct val {
	enum val_kind kind;
	const char *text; /* V_SCALAR: the text (YAML scalar, JSON string) */
	size_t len;
	bool quoted;      /* a YAML quoted scalar or a JSON string */
	double num;       /* V_NUMBER: a JSON number */
	bool b;           /* V_BOOL: a JSON boolean */
	int line, col;    /* YAML: 1-based; 0 for JSON */
	yaml_node_t *ynode;
	json_t *jnode;
};

/* The file being read: its parsed form and how errors name it. */
struct src {
	const char *shown;
	yaml_document_t *doc; /* YAML, or NULL for JSON */
	gb_error *err;
};

static const char *kind_name(enum val_kind k)
{
	switch (k) {
	case V_SEQ:
		return "a list";
	case V_MAP:
		return "a mapping";
	case V_BOOL:
		return "a boolean";
	case V_NUMBER:
		return "a number";
	default:
		return "a scalar";
	}
}

/* "SHOWN:LINE:COL: PATH: WHAT" (YAML) or "SHOWN: PATH: WHAT" (JSON). */
static int val_fail(const struct src *s, const struct val *v, const char *path, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
static int val_fail(const struct src *s, const struct val *v, const char *path, const char *fmt,
		    ...)
{
	char what[GB_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (v && v->line)
		return gb_fail(s->err, 0, "%s:%d:%d: %s: %s", s->shown, v->line, v->col, path, what);
	return gb_fail(s->err, 0, "%s: %s: %s", s->shown, path, what);
}

/* The value's text quoted for a message, cut short and with control
 * characters shown as '?'. */
static const char *quote(const struct val *v, char buf[GB_QUOTE_MAX + 8])
{
	size_t n = v->len < GB_QUOTE_MAX ? v->len : GB_QUOTE_MAX, i;

	buf[0] = '\'';
	for (i = 0; i < n; i++)
		buf[i + 1] = (unsigned char)v->text[i] < 0x20 ? '?' : v->text[i];
	strcpy(buf + n + 1, v->len > n ? "...'" : "'");
	return buf;
}

static void val_from_yaml(struct val *v, yaml_node_t *n)
{
	memset(v, 0, sizeof(*v));
	if (!n) {
		v->kind = V_ABSENT;
		return;
	}
	v->ynode = n;
	v->line = (int)n->start_mark.line + 1;
	v->col = (int)n->start_mark.column + 1;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		v->text = (const char *)n->data.scalar.value;
		v->len = n->data.scalar.length;
		v->quoted = n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		/* YAML 1.1's nulls, as PyYAML resolves plain scalars */
		if (!v->quoted && (v->len == 0 || !strcmp(v->text, "~") || !strcmp(v->text, "null") ||
				   !strcmp(v->text, "Null") || !strcmp(v->text, "NULL")))
			v->kind = V_NULL;
		else
			v->kind = V_SCALAR;
		break;
	case YAML_SEQUENCE_NODE:
		v->kind = V_SEQ;
		break;
	case YAML_MAPPING_NODE:
		v->kind = V_MAP;
		break;
	default:
		v->kind = V_NULL;
	}
}

static void val_from_json(struct val *v, json_t *j)
{
	memset(v, 0, sizeof(*v));
	v->jnode = j;
	if (!j) {
		v->kind = V_ABSENT;
	} else if (json_is_null(j)) {
		v->kind = V_NULL;
	} else if (json_is_string(j)) {
		v->kind = V_SCALAR;
		v->text = json_string_value(j);
		v->len = json_string_length(j);
		v->quoted = true;
	} else if (json_is_number(j)) {
		v->kind = V_NUMBER;
		v->num = json_number_value(j);
	} else if (json_is_boolean(j)) {
		v->kind = V_BOOL;
		v->b = json_is_true(j);
	} else if (json_is_array(j)) {
		v->kind = V_SEQ;
	} else {
		v->kind = V_MAP;
	}
}

/* map[key] (the last one when a key repeats, as Python's dict), or an
 * absent value when map is not a mapping. */
static void val_get(const struct src *s, const struct val *map, const char *key, struct val *out)
{
	yaml_node_t *found = NULL;
	size_t klen = strlen(key);

	if (map->kind != V_MAP) {
		val_from_json(out, NULL);
		return;
	}
	if (map->jnode) {
		val_from_json(out, json_object_get(map->jnode, key));
		return;
	}
	for (yaml_node_pair_t *p = map->ynode->data.mapping.pairs.start;
	     p < map->ynode->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(s->doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == klen &&
		    !memcmp(k->data.scalar.value, key, klen))
			found = yaml_document_get_node(s->doc, p->value);
	}
	val_from_yaml(out, found);
}

static bool val_unset(const struct val *v)
{
	return v->kind == V_ABSENT || v->kind == V_NULL || (v->kind == V_SCALAR && v->len == 0);
}

/* A decimal number as INGInious's int() and float() take it, in text:
 * surrounding spaces, an optional '+', digits with single '_' between them,
 * an optional fraction and exponent. No sign '-' (limits are positive:
 * the caller says so), no hex, inf or nan. */
static bool parse_decimal(const char *text, size_t len, double *out)
{
	char buf[GB_NUM_TEXT_MAX];
	size_t i = 0, o = 0, digits = 0;

	while (len && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')) {
		text++;
		len--;
	}
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' ||
		       text[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return false;
	if (text[i] == '+' || text[i] == '-')
		buf[o++] = text[i++];
	/* integer part, then fraction: digits, '_' only between two digits */
	for (int part = 0; part < 2; part++) {
		size_t run = 0;

		if (part == 1) {
			if (i >= len || text[i] != '.')
				break;
			buf[o++] = text[i++];
		}
		while (i < len) {
			if (text[i] >= '0' && text[i] <= '9') {
				buf[o++] = text[i++];
				run++;
			} else if (text[i] == '_' && run && i + 1 < len && text[i + 1] >= '0' &&
				   text[i + 1] <= '9') {
				i++;
			} else {
				break;
			}
		}
		digits += run;
	}
	if (!digits)
		return false;
	if (i < len && (text[i] == 'e' || text[i] == 'E')) {
		size_t run = 0;

		buf[o++] = text[i++];
		if (i < len && (text[i] == '+' || text[i] == '-'))
			buf[o++] = text[i++];
		while (i < len && text[i] >= '0' && text[i] <= '9') {
			buf[o++] = text[i++];
			run++;
		}
		if (!run)
			return false;
	}
	if (i != len)
		return false;
	buf[o] = '\0';
	*out = strtod(buf, NULL);
	return isfinite(*out);
}

/* A number field: 1 when set (*out), 0 when unset, -1 on error. */
static int read_number(const struct src *s, const struct val *v, const char *path, double *out)
{
	char q[GB_QUOTE_MAX + 8];

	if (val_unset(v))
		return 0;
	if (v->kind == V_NUMBER) {
		*out = v->num;
		return 1;
	}
	if (v->kind != V_SCALAR)
		return val_fail(s, v, path, "expected a number, found %s", kind_name(v->kind));
	if (!parse_decimal(v->text, v->len, out))
		return val_fail(s, v, path, "%s is not a number", quote(v, q));
	return 1;
}

/* A limit: a number > 0 and <= max; 1 when set, 0 when unset, -1 on error. */
static int read_limit(const struct src *s, const struct val *v, const char *path, double max,
		      double *out)
{
	int r = read_number(s, v, path, out);

	if (r <= 0)
		return r;
	if (!(*out > 0))
		return val_fail(s, v, path, "must be greater than 0 (got %g)", *out);
	if (*out > max)
		return val_fail(s, v, path, "%g is more than gradebox allows (%g)", *out, max);
	return 1;
}

/* A size in MB, as INGInious's int(): the whole part, at least 1. */
static int read_mb(const struct src *s, const struct val *v, const char *path, uint64_t *out)
{
	double d;
	int r = read_limit(s, v, path, (double)GB_TASK_MAX_MB, &d);

	if (r <= 0)
		return r;
	if (d < 1)
		return val_fail(s, v, path, "must be at least 1 MB (got %g)", d);
	*out = (uint64_t)d;
	return 1;
}

static bool text_is(const struct val *v, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == v->len && !memcmp(*words, v->text, v->len))
			return true;
	return false;
}

/* A boolean: YAML 1.1's words (as PyYAML), a JSON boolean, 0/1; unset is
 * false. */
static int read_bool(const struct src *s, const struct val *v, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
					   "on",   "On",   "ON",   "1",   NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO",
					  "off",   "Off",   "OFF",   "0",  NULL };
	char q[GB_QUOTE_MAX + 8];

	if (val_unset(v)) {
		*out = false;
		return 0;
	}
	if (v->kind == V_BOOL) {
		*out = v->b;
		return 1;
	}
	if (v->kind == V_NUMBER) {
		*out = v->num != 0;
		return 1;
	}
	if (v->kind == V_SCALAR && text_is(v, yes)) {
		*out = true;
		return 1;
	}
	if (v->kind == V_SCALAR && text_is(v, no)) {
		*out = false;
		return 1;
	}
	if (v->kind != V_SCALAR)
		return val_fail(s, v, path, "expected true or false, found %s", kind_name(v->kind));
	return val_fail(s, v, path, "%s is not a boolean (true or false)", quote(v, q));
}

/* A string field: 1 and a malloc'd copy, 0 when unset (null, ''), -1 on
 * error (a list, a mapping; a JSON number or boolean). NUL bytes end it. */
static int read_string(const struct src *s, const struct val *v, const char *path, char **out)
{
	*out = NULL;
	if (val_unset(v))
		return 0;
	if (v->kind != V_SCALAR)
		return val_fail(s, v, path, "expected a string, found %s", kind_name(v->kind));
	*out = strndup(v->text, v->len);
	if (!*out)
		return gb_fail(s->err, ENOMEM, "%s: %s", s->shown, path);
	return 1;
}

void gb_task_limits_default(struct gb_task_limits *l)
{
	l->time = GB_TASK_DEFAULT_TIME;
	l->hard_time = GB_TASK_DEFAULT_TIME * GB_TASK_HARD_TIME_FACTOR;
	l->memory_mb = GB_TASK_DEFAULT_MEMORY_MB;
	l->disk_mb = GB_TASK_DEFAULT_DISK_MB;
	l->output_bytes = GB_TASK_DEFAULT_OUTPUT_MB * GB_MIB;
}

/* The environment parameters found in `params` (a mapping, or absent);
 * prefix is how paths start in messages ("environment_parameters." or "").
 * Fills limits, run_cmd and network; everything absent gets its default. */
static int read_params(const struct src *s, const struct val *params, const char *prefix,
		       struct gb_task_limits *l, char **run_cmd, bool *network)
{
	struct val limits, v;
	char path[GB_NUM_TEXT_MAX * 2];
	double d;
	uint64_t mb;
	int r;

	gb_task_limits_default(l);
	*run_cmd = NULL;
	*network = false;
	if (params->kind != V_ABSENT && params->kind != V_NULL && params->kind != V_MAP)
		return val_fail(s, params, prefix[0] ? "environment_parameters" : "(top level)",
				"expected a mapping, found %s", kind_name(params->kind));
	val_get(s, params, "limits", &limits);
	snprintf(path, sizeof(path), "%slimits", prefix);
	if (limits.kind != V_ABSENT && limits.kind != V_NULL && limits.kind != V_MAP)
		return val_fail(s, &limits, path, "expected a mapping, found %s",
				kind_name(limits.kind));

	val_get(s, &limits, "time", &v);
	snprintf(path, sizeof(path), "%slimits.time", prefix);
	r = read_limit(s, &v, path, GB_TASK_MAX_TIME, &d);
	if (r < 0)
		return -1;
	if (r)
		l->time = d;
	val_get(s, &limits, "hard_time", &v);
	snprintf(path, sizeof(path), "%slimits.hard_time", prefix);
	/* 0 is unset too: INGInious's agent takes `hard_time or 3 * time` */
	r = read_number(s, &v, path, &d);
	if (r > 0 && d != 0)
		r = read_limit(s, &v, path, GB_TASK_MAX_TIME * GB_TASK_HARD_TIME_FACTOR, &d);
	else if (r > 0)
		r = 0;
	if (r < 0)
		return -1;
	l->hard_time = r ? d : l->time * GB_TASK_HARD_TIME_FACTOR;

	val_get(s, &limits, "memory", &v);
	snprintf(path, sizeof(path), "%slimits.memory", prefix);
	if ((r = read_mb(s, &v, path, &mb)) < 0)
		return -1;
	if (r)
		l->memory_mb = mb < GB_TASK_MIN_MEMORY_MB ? GB_TASK_MIN_MEMORY_MB : mb;
	val_get(s, &limits, "disk", &v);
	snprintf(path, sizeof(path), "%slimits.disk", prefix);
	if ((r = read_mb(s, &v, path, &mb)) < 0)
		return -1;
	if (r)
		l->disk_mb = mb;
	val_get(s, &limits, "output", &v);
	snprintf(path, sizeof(path), "%slimits.output", prefix);
	if ((r = read_mb(s, &v, path, &mb)) < 0)
		return -1;
	if (r)
		l->output_bytes = mb * GB_MIB;

	val_get(s, params, "network_grading", &v);
	snprintf(path, sizeof(path), "%snetwork_grading", prefix);
	if (read_bool(s, &v, path, network) < 0)
		return -1;
	val_get(s, params, "run_cmd", &v);
	snprintf(path, sizeof(path), "%srun_cmd", prefix);
	if (read_string(s, &v, path, run_cmd) < 0)
		return -1;
	/* INGInious splits run_cmd on spaces: only spaces is no command */
	if (*run_cmd && strspn(*run_cmd, " ") == strlen(*run_cmd)) {
		free(*run_cmd);
		*run_cmd = NULL;
	}
	return 0;
}

/* problems: the keys of a mapping, in file order, each once. */
static int read_problems(const struct src *s, const struct val *root, struct gb_task *t)
{
	struct val problems;
	yaml_node_pair_t *p, *start, *top;

	val_get(s, root, "problems", &problems);
	if (val_unset(&problems))
		return 0;
	if (problems.kind != V_MAP)
		return val_fail(s, &problems, "problems", "expected a mapping of problem ids, found %s",
				kind_name(problems.kind));
	start = problems.ynode->data.mapping.pairs.start;
	top = problems.ynode->data.mapping.pairs.top;
	t->problem_ids = calloc((size_t)(top - start) + 1, sizeof(char *));
	if (!t->problem_ids)
		return gb_fail(s->err, ENOMEM, "%s: problems", s->shown);
	for (p = start; p < top; p++) {
		yaml_node_t *k = yaml_document_get_node(s->doc, p->key);
		struct val key;
		bool dup = false;

		val_from_yaml(&key, k);
		if (!k || k->type != YAML_SCALAR_NODE)
			return val_fail(s, &key, "problems", "a problem id must be a scalar, found %s",
					kind_name(key.kind));
		for (size_t i = 0; i < t->nproblems && !dup; i++)
			dup = strlen(t->problem_ids[i]) == key.len &&
			      !memcmp(t->problem_ids[i], key.text, key.len);
		if (dup)
			continue;
		t->problem_ids[t->nproblems] = strndup(key.text, key.len);
		if (!t->problem_ids[t->nproblems])
			return gb_fail(s->err, ENOMEM, "%s: problems", s->shown);
		t->nproblems++;
	}
	return 0;
}

static int read_task(const struct src *s, const struct val *root, struct gb_task *t)
{
	struct val env, v, params;
	double d;
	int r;

	val_get(s, root, "environment", &env);
	if (env.kind != V_ABSENT) {
		/* legacy: INGInious's migration of a v0.6 task */
		if (read_string(s, &env, "environment", &t->environment_id) < 0)
			return -1;
		t->environment_type =
			strdup(t->environment_id && !strcmp(t->environment_id, "mcq") ? "mcq" : "docker");
		if (!t->environment_type)
			return gb_fail(s->err, ENOMEM, "%s", s->shown);
		if (read_params(s, root, "", &t->limits, &t->run_cmd, &t->network_grading) < 0)
			return -1;
	} else {
		val_get(s, root, "environment_type", &v);
		if (read_string(s, &v, "environment_type", &t->environment_type) < 0)
			return -1;
		val_get(s, root, "environment_id", &v);
		if (read_string(s, &v, "environment_id", &t->environment_id) < 0)
			return -1;
		val_get(s, root, "environment_parameters", &params);
		if (read_params(s, &params, "environment_parameters.", &t->limits, &t->run_cmd,
				&t->network_grading) < 0)
			return -1;
	}
	if (read_problems(s, root, t) < 0)
		return -1;
	val_get(s, root, "input_random", &v);
	r = read_number(s, &v, "input_random", &d);
	if (r < 0)
		return -1;
	if (r) {
		if (!(d >= 0) || d > GB_TASK_MAX_INPUT_RANDOM)
			return val_fail(s, &v, "input_random",
					"must be a count from 0 to %d (got %g)",
					GB_TASK_MAX_INPUT_RANDOM, d);
		t->input_random = (unsigned)d;
	}
	return 0;
}

/* libyaml's error as "SHOWN:LINE:COL: PROBLEM (CONTEXT)". */
static int yaml_fail(const char *shown, const yaml_parser_t *p, gb_error *err)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return gb_fail(err, ENOMEM, "%s", shown);
	if (p->context)
		return gb_fail(err, 0, "%s:%zu:%zu: YAML syntax error: %s %s", shown, m->line + 1,
			       m->column + 1, p->problem ? p->problem : "invalid YAML", p->context);
	return gb_fail(err, 0, "%s:%zu:%zu: YAML syntax error: %s", shown, m->line + 1,
		       m->column + 1, p->problem ? p->problem : "invalid YAML");
}

/* The first pass: every event, for syntax errors, the number of documents
 * and the nesting depth. */
static int yaml_check(const char *text, size_t len, const char *shown, gb_error *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0, r = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return gb_fail(err, ENOMEM, "%s", shown);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && r == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			r = yaml_fail(shown, &p, err);
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				r = gb_fail(err, 0, "%s:%zu:%zu: more than one YAML document", shown,
					    ev.start_mark.line + 1, ev.start_mark.column + 1);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > GB_TASK_YAML_MAX_DEPTH)
				r = gb_fail(err, 0, "%s:%zu:%zu: nested more than %d levels deep", shown,
					    ev.start_mark.line + 1, ev.start_mark.column + 1,
					    GB_TASK_YAML_MAX_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return r;
}

int gb_task_parse(const char *text, size_t len, const char *shown, struct gb_task *t,
		  gb_error *err)
{
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	struct src s = { .shown = shown, .doc = &doc, .err = err };
	struct val rootv;
	int r;

	memset(t, 0, sizeof(*t));
	gb_task_limits_default(&t->limits);
	if (len > GB_TASK_YAML_MAX)
		return gb_fail(err, 0, "%s: larger than %u bytes", shown, GB_TASK_YAML_MAX);
	if (yaml_check(text, len, shown, err) < 0)
		return -1;
	if (!yaml_parser_initialize(&p))
		return gb_fail(err, ENOMEM, "%s", shown);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		r = yaml_fail(shown, &p, err);
		yaml_parser_delete(&p);
		return r;
	}
	yaml_parser_delete(&p);
	root = yaml_document_get_root_node(&doc);
	val_from_yaml(&rootv, root);
	if (rootv.kind == V_ABSENT || rootv.kind == V_NULL)
		r = gb_fail(err, 0, "%s: empty: a task.yaml is a mapping of task fields", shown);
	else if (rootv.kind != V_MAP)
		r = val_fail(&s, &rootv, "(top level)", "expected a mapping of task fields, found %s",
			     kind_name(rootv.kind));
	else
		r = read_task(&s, &rootv, t);
	yaml_document_delete(&doc);
	if (r < 0) {
		gb_task_free(t);
		return -1;
	}
	return 0;
}

int gb_task_load(int task_dirfd, const char *shown, struct gb_task *t, gb_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	struct stat st;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	gb_task_limits_default(&t->limits);
	/* O_NONBLOCK: a FIFO must not hang the open; it is refused below */
	fd = openat(task_dirfd, GB_TASK_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return gb_fail(err, 0, "%s: is a symbolic link (a task.yaml must be a file)",
				       shown);
		return gb_fail_errno(err, "%s", shown);
	}
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "%s", shown);
	if (!S_ISREG(st.st_mode))
		return gb_fail(err, 0, "%s: not a regular file", shown);
	if (st.st_size > (off_t)GB_TASK_YAML_MAX)
		return gb_fail(err, 0, "%s: larger than %u bytes", shown, GB_TASK_YAML_MAX);
	text = malloc(GB_TASK_YAML_MAX + 1);
	if (!text)
		return gb_fail(err, ENOMEM, "%s", shown);
	/* one more byte than allowed tells a file that grew since fstat */
	n = gb_read_all(fd, text, GB_TASK_YAML_MAX + 1);
	if (n < 0)
		return gb_fail_errno(err, "%s: read", shown);
	if ((size_t)n > GB_TASK_YAML_MAX)
		return gb_fail(err, 0, "%s: larger than %u bytes", shown, GB_TASK_YAML_MAX);
	return gb_task_parse(text, (size_t)n, shown, t, err);
}

int gb_task_apply_params(struct gb_task *t, const char *json, size_t len, const char *shown,
			 gb_error *err)
{
	struct src s = { .shown = shown, .doc = NULL, .err = err };
	struct gb_task_limits limits;
	json_error_t jerr;
	json_t *root;
	struct val v;
	char *run_cmd = NULL;
	bool network;
	int r;

	root = json_loadb(json, len, 0, &jerr);
	if (!root) {
		gb_fail(err, 0, "%s:%d:%d: JSON syntax error: %s", shown, jerr.line, jerr.column,
			jerr.text);
		/* one line: jansson may quote a control character */
		for (char *p = err->msg; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = '?';
		return -1;
	}
	val_from_json(&v, root);
	if (v.kind != V_MAP)
		r = gb_fail(err, 0, "%s: expected a JSON object of environment parameters, found %s",
			    shown, kind_name(v.kind));
	else
		r = read_params(&s, &v, "", &limits, &run_cmd, &network);
	json_decref(root);
	if (r < 0) {
		free(run_cmd);
		return -1;
	}
	t->limits = limits;
	free(t->run_cmd);
	t->run_cmd = run_cmd;
	t->network_grading = network;
	return 0;
}

void gb_task_free(struct gb_task *t)
{
	free(t->environment_type);
	free(t->environment_id);
	free(t->run_cmd);
	for (size_t i = 0; i < t->nproblems; i++)
		free(t->problem_ids[i]);
	free(t->problem_ids);
	memset(t, 0, sizeof(*t));
	gb_task_limits_default(&t->limits);
}
