/* testfile: reading a recorded INGInious submission (.test) into JSON.
 *
 * INGInious writes these with PyYAML (YAML 1.1): plain scalars resolve to
 * null, booleans (yes/no/on/off too), ints and floats (which need a dot);
 * uploads are `!!binary` base64 blocks; `submitted_on` is a timestamp. The
 * parse walks libyaml's event stream (not its document API) so that a tag
 * written in the file is told apart from the default one, and so that an
 * alias shares the anchored JSON value instead of copying it: a recursive
 * alias cannot exist (an anchor is known only once its node is complete),
 * and the expanded size of the document is bounded, so a "billion laughs"
 * file is refused instead of exhausting the host when it is dumped. */
#include "testfile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "testfile_yaml.h"
#include "util.h"

/* Nesting deeper than any submission needs; the parse stack's size. */
#define GB_TESTFILE_MAX_DEPTH 64
/* Values counted with every alias expanded: far above a real submission
 * (one per problem, test and upload), far below what hurts to dump. */
#define GB_TESTFILE_MAX_NODES 1000000
#define GB_TESTFILE_MAX_ANCHORS 4096

#define GB_YAML_BINARY_TAG "tag:yaml.org,2002:binary"

const char *const gb_testfile_keys[GB_TESTFILE_NKEYS] = {
	"result", "grade", "problems", "tests", "custom", "state",
	"text", "stdout", "stderr",
};

struct frame {
	json_t *node;   /* object or array being filled */
	char *key;      /* a map's key waiting for its value */
	size_t size;    /* expanded node count, for the aliases */
	char *anchor;
};

struct anchor {
	char *name;
	json_t *value;
	size_t size;
};

struct parse {
	const char *name;
	struct frame stack[GB_TESTFILE_MAX_DEPTH];
	int depth;
	struct anchor anchors[GB_TESTFILE_MAX_ANCHORS];
	size_t nanchors;
	size_t total;
	json_t *root;
	unsigned *line, *column;
	gb_error *err;
};

static int parse_fail(struct parse *p, yaml_mark_t mark, const char *fmt, const char *arg)
{
	*p->line = mark.line + 1;
	*p->column = mark.column + 1;
	char what[256];
	snprintf(what, sizeof(what), fmt, arg ? arg : "");
	return gb_fail(p->err, 0, "%s:%u:%u: %s", p->name, *p->line, *p->column, what);
}

/* YAML 1.1's plain-scalar resolution as PyYAML applies it. */
enum gb_yaml_kind gb_yaml_resolve(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes",
					     "YES", "on", "On", "ON" };
	static const char *const falses[] = { "false", "False", "FALSE", "no", "No",
					      "NO", "off", "Off", "OFF" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(nulls); i++)
		if (!strcmp(s, nulls[i]))
			return GB_YAML_NULL;
	for (size_t i = 0; i < GB_ARRAY_SIZE(trues); i++)
		if (!strcmp(s, trues[i]))
			return GB_YAML_TRUE;
	for (size_t i = 0; i < GB_ARRAY_SIZE(falses); i++)
		if (!strcmp(s, falses[i]))
			return GB_YAML_FALSE;
	const char *d = s + (*s == '-' || *s == '+');
	if (!*d)
		return GB_YAML_STR;
	bool digits = true, dot = false, exp = false, special = false;
	for (const char *c = d; *c; c++) {
		if (isdigit((unsigned char)*c))
			continue;
		if (*c == '.' && !dot && !exp)
			dot = true;
		else if ((*c == 'e' || *c == 'E') && dot && !exp && c[1]) {
			exp = true;
			if (c[1] == '-' || c[1] == '+')
				c++;
		} else
			digits = false;
	}
	if (!strcmp(d, ".inf") || !strcmp(d, ".Inf") || !strcmp(d, ".INF") ||
	    !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		special = true;
	if (special)
		return GB_YAML_FLOAT_SPECIAL;
	if (!digits || !isdigit((unsigned char)d[strspn(d, ".")]) )
		return GB_YAML_STR;
	if (dot)
		return GB_YAML_FLOAT;
	/* "012" is octal in YAML 1.1: keep it as text rather than guess */
	if (d[0] == '0' && d[1])
		return GB_YAML_STR;
	return GB_YAML_INT;
}

static json_t *scalar_value(struct parse *p, const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	enum gb_yaml_kind kind = GB_YAML_STR;

	if (strlen(text) != len) {
		parse_fail(p, ev->start_mark, "a NUL byte in a scalar%s", NULL);
		return NULL;
	}
	if (tag && !strcmp(tag, GB_YAML_BINARY_TAG)) {
		/* base64 as `grade` takes it, without the block's line breaks */
		char *b = malloc(len + 1);
		size_t n = 0;
		if (!b)
			return NULL;
		for (size_t i = 0; i < len; i++)
			if (!isspace((unsigned char)text[i]))
				b[n++] = text[i];
		json_t *v = json_stringn(b, n);
		free(b);
		return v;
	}
	if (!tag && ev->data.scalar.plain_implicit)
		kind = gb_yaml_resolve(text);
	else if (tag && !strcmp(tag, YAML_INT_TAG))
		kind = GB_YAML_INT;
	else if (tag && !strcmp(tag, YAML_FLOAT_TAG))
		kind = GB_YAML_FLOAT;
	else if (tag && !strcmp(tag, YAML_NULL_TAG))
		kind = GB_YAML_NULL;
	else if (tag && !strcmp(tag, YAML_BOOL_TAG))
		kind = gb_yaml_resolve(text);

	switch (kind) {
	case GB_YAML_NULL:
		return json_null();
	case GB_YAML_TRUE:
		return json_true();
	case GB_YAML_FALSE:
		return json_false();
	case GB_YAML_INT: {
		char *end;
		errno = 0;
		long long v = strtoll(text, &end, 10);
		if (!errno && !*end && end != text)
			return json_integer(v);
		break; /* too large for an int: keep the text */
	}
	case GB_YAML_FLOAT: {
		char *end;
		double v = strtod(text, &end);
		if (!*end && end != text && isfinite(v))
			return json_real(v);
		break;
	}
	default:
		break;
	}
	/* strings, timestamps, .inf/.nan (JSON has none) and unknown tags */
	return json_stringn(text, len);
}

static int register_anchor(struct parse *p, const char *name, json_t *v, size_t size,
			   yaml_mark_t mark)
{
	if (!name)
		return 0;
	if (p->nanchors == GB_TESTFILE_MAX_ANCHORS)
		return parse_fail(p, mark, "more than %s anchors", "4096");
	struct anchor *a = &p->anchors[p->nanchors];
	a->name = strdup(name);
	if (!a->name)
		return gb_fail(p->err, ENOMEM, "%s", p->name);
	a->value = json_incref(v);
	a->size = size;
	p->nanchors++;
	return 0;
}

/* Hand a finished value (owned) to its parent, or make it the root. */
static int add_value(struct parse *p, json_t *v, size_t size, const char *key_text,
		     yaml_mark_t mark)
{
	p->total += size;
	if (p->total > GB_TESTFILE_MAX_NODES) {
		json_decref(v);
		return parse_fail(p, mark, "the document is too large (aliases expand "
				  "past %s values)", "1000000");
	}
	if (p->depth == 0) {
		if (p->root) {
			json_decref(v);
			return 0;
		}
		p->root = v;
		return 0;
	}
	struct frame *f = &p->stack[p->depth - 1];
	f->size += size;
	if (json_is_array(f->node))
		return json_array_append_new(f->node, v) ? gb_fail(p->err, ENOMEM, "%s", p->name) : 0;
	if (!f->key) {
		if (!key_text) {
			json_decref(v);
			return parse_fail(p, mark, "a mapping key that is not a scalar%s", NULL);
		}
		json_decref(v);
		f->key = strdup(key_text);
		return f->key ? 0 : gb_fail(p->err, ENOMEM, "%s", p->name);
	}
	/* a duplicate key: the later value wins, as with PyYAML */
	int r = json_object_set_new(f->node, f->key, v);
	free(f->key);
	f->key = NULL;
	return r ? gb_fail(p->err, ENOMEM, "%s", p->name) : 0;
}

static int on_event(struct parse *p, yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		json_t *v = scalar_value(p, ev);
		if (!v)
			return p->err->msg[0] ? -1 : gb_fail(p->err, ENOMEM, "%s", p->name);
		if (register_anchor(p, (const char *)ev->data.scalar.anchor, v, 1,
				    ev->start_mark) < 0) {
			json_decref(v);
			return -1;
		}
		return add_value(p, v, 1, (const char *)ev->data.scalar.value, ev->start_mark);
	}
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		for (size_t i = p->nanchors; i-- > 0;) {
			struct anchor *a = &p->anchors[i];
			if (strcmp(a->name, name))
				continue;
			const char *key = json_is_string(a->value) ? json_string_value(a->value)
								   : NULL;
			return add_value(p, json_incref(a->value), a->size, key, ev->start_mark);
		}
		return parse_fail(p, ev->start_mark, "unknown alias *%s", name);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		if (p->depth == GB_TESTFILE_MAX_DEPTH)
			return parse_fail(p, ev->start_mark, "nested deeper than %s levels", "64");
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor
						: ev->data.sequence_start.anchor;
		if (p->depth > 0) {
			struct frame *parent = &p->stack[p->depth - 1];
			if (json_is_object(parent->node) && !parent->key)
				return parse_fail(p, ev->start_mark,
						  "a mapping key that is not a scalar%s", NULL);
		}
		struct frame *f = &p->stack[p->depth];
		*f = (struct frame){ .node = map ? json_object() : json_array(), .size = 1 };
		if (!f->node)
			return gb_fail(p->err, ENOMEM, "%s", p->name);
		if (anchor && !(f->anchor = strdup((const char *)anchor))) {
			json_decref(f->node);
			return gb_fail(p->err, ENOMEM, "%s", p->name);
		}
		p->depth++;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame f = p->stack[--p->depth];
		free(f.key);
		int r = register_anchor(p, f.anchor, f.node, f.size, ev->start_mark);
		free(f.anchor);
		if (r < 0) {
			json_decref(f.node);
			return -1;
		}
		return add_value(p, f.node, f.size, NULL, ev->start_mark);
	}
	default:
		return 0;
	}
}

static void parse_release(struct parse *p)
{
	while (p->depth > 0) {
		struct frame *f = &p->stack[--p->depth];
		json_decref(f->node);
		free(f->key);
		free(f->anchor);
	}
	for (size_t i = 0; i < p->nanchors; i++) {
		free(p->anchors[i].name);
		json_decref(p->anchors[i].value);
	}
	p->nanchors = 0;
}

/* Add s (and, for "a,b" group usernames, each member) to the list. */
static void add_personal(json_t *list, const json_t *v, bool split)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
			add_personal(list, e, split);
		return;
	}
	if (!json_is_string(v) || !json_string_length(v))
		return;
	const char *s = json_string_value(v);
	json_array_append_new(list, json_string(s));
	if (!split || !strchr(s, ','))
		return;
	_cleanup_free_ char *copy = strdup(s);
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		if (*t)
			json_array_append_new(list, json_string(t));
}

static json_t *collect_personal(const json_t *doc, const json_t *input)
{
	static const char *const doc_keys[] = { "username", "user_ip", "email", "realname" };
	static const char *const input_keys[] = { "@username", "@email" };
	json_t *list = json_array();
	if (!list)
		return NULL;
	for (size_t i = 0; i < GB_ARRAY_SIZE(doc_keys); i++)
		add_personal(list, json_object_get(doc, doc_keys[i]), false);
	for (size_t i = 0; i < GB_ARRAY_SIZE(input_keys); i++)
		add_personal(list, json_object_get(input, input_keys[i]), true);
	return list;
}

int gb_testfile_parse(const char *buf, size_t len, const char *name,
		      struct gb_testfile *tf, unsigned *line, unsigned *column,
		      gb_error *err)
{
	struct parse p = { .name = name, .line = line, .column = column, .err = err };
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int r = 0;

	*tf = (struct gb_testfile){ 0 };
	*line = *column = 0;
	err->msg[0] = '\0';
	if (!yaml_parser_initialize(&parser))
		return gb_fail(err, ENOMEM, "%s: libyaml", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	/* only the first document counts; the parse stops once it is complete */
	while (!done && r == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			*line = parser.problem_mark.line + 1;
			*column = parser.problem_mark.column + 1;
			r = gb_fail(err, 0, "%s:%u:%u: %s%s%s", name, *line, *column,
				    parser.problem ? parser.problem : "invalid YAML",
				    parser.context ? " " : "",
				    parser.context ? parser.context : "");
			break;
		}
		if (ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT)
			done = true;
		else
			r = on_event(&p, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	parse_release(&p);
	if (r < 0) {
		json_decref(p.root);
		return -1;
	}
	if (!p.root || !json_is_object(p.root)) {
		json_decref(p.root);
		*line = 1;
		*column = 1;
		return gb_fail(err, 0, "%s:1:1: not a recorded submission (the document is "
			       "not a mapping)", name);
	}
	json_t *input = json_object_get(p.root, "input");
	if (!json_is_object(input)) {
		json_decref(p.root);
		*line = 1;
		*column = 1;
		return gb_fail(err, 0, "%s:1:1: no `input` mapping (the submission's answers)",
			       name);
	}
	tf->doc = p.root;
	tf->input = input;
	tf->personal = collect_personal(p.root, input);
	if (!tf->personal) {
		gb_testfile_free(tf);
		return gb_fail(err, ENOMEM, "%s", name);
	}
	return 0;
}

void gb_testfile_free(struct gb_testfile *tf)
{
	json_decref(tf->doc);
	json_decref(tf->personal);
	*tf = (struct gb_testfile){ 0 };
}
