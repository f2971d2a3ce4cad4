/* testfile_update: rewrite a .test file's recorded result (--update).
 *
 * The file is parsed into libyaml events and every event goes straight to
 * an emitter, so keys, their order, scalar styles, tags (`!!binary`
 * uploads), anchors and every field gradebox does not know come out as they
 * went in. Only in the first document's top-level mapping are the values of
 * the result keys (gb_testfile_keys) dropped and replaced by events built
 * from the new result; the always-rewritten keys the file lacks are
 * appended at the mapping's end. libyaml drops comments and chooses its own
 * indentation: those are the only changes besides the values. */
#include "testfile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "testfile_yaml.h"

struct outbuf {
	char *data;
	size_t len, cap;
	bool oom;
};

static int write_handler(void *ctx, unsigned char *buf, size_t size)
{
	struct outbuf *o = ctx;
	if (o->len + size + 1 > o->cap) {
		size_t cap = (o->cap ? o->cap * 2 : 4096) + size;
		char *d = realloc(o->data, cap);
		if (!d) {
			o->oom = true;
			return 0;
		}
		o->data = d;
		o->cap = cap;
	}
	memcpy(o->data + o->len, buf, size);
	o->len += size;
	o->data[o->len] = '\0';
	return 1;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int emit_scalar(yaml_emitter_t *e, const char *text, size_t len, bool plain_ok,
		       yaml_scalar_style_t style)
{
	yaml_event_t ev;
	if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)YAML_STR_TAG,
					  (yaml_char_t *)text, (int)len, plain_ok, 1, style))
		return -1;
	return emit(e, &ev);
}

/* The shortest text that reads back as the same double, with a dot so YAML
 * 1.1 reads a float (PyYAML writes 100.0 the same way). */
static void format_real(double v, char *buf, size_t size)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".eEn")) /* no dot, exponent, nan or inf */
		strncat(buf, ".0", size - strlen(buf) - 1);
}

static int emit_json(yaml_emitter_t *e, const json_t *v)
{
	yaml_event_t ev;
	char num[64];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *child;
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 YAML_ANY_MAPPING_STYLE) ||
		    emit(e, &ev) < 0)
			return -1;
		json_object_foreach((json_t *)v, k, child) {
			if (emit_scalar(e, k, strlen(k), gb_yaml_resolve(k) == GB_YAML_STR,
					YAML_ANY_SCALAR_STYLE) < 0 ||
			    emit_json(e, child) < 0)
				return -1;
		}
		return yaml_mapping_end_event_initialize(&ev) ? emit(e, &ev) : -1;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *child;
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  YAML_ANY_SEQUENCE_STYLE) ||
		    emit(e, &ev) < 0)
			return -1;
		json_array_foreach(v, i, child)
			if (emit_json(e, child) < 0)
				return -1;
		return yaml_sequence_end_event_initialize(&ev) ? emit(e, &ev) : -1;
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		/* multi-line output reads best as a literal block; libyaml
		 * falls back to quoting where a block cannot hold it */
		yaml_scalar_style_t style = memchr(s, '\n', len) ? YAML_LITERAL_SCALAR_STYLE
								 : YAML_ANY_SCALAR_STYLE;
		return emit_scalar(e, s, len, gb_yaml_resolve(s) == GB_YAML_STR, style);
	}
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		format_real(json_real_value(v), num, sizeof(num));
		break;
	case JSON_TRUE:
		strcpy(num, "true");
		break;
	case JSON_FALSE:
		strcpy(num, "false");
		break;
	default:
		strcpy(num, "null");
		break;
	}
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)num, -1, 1, 0,
					  YAML_PLAIN_SCALAR_STYLE))
		return -1;
	return emit(e, &ev);
}

static int key_index(const char *k)
{
	for (int i = 0; i < GB_TESTFILE_NKEYS; i++)
		if (!strcmp(k, gb_testfile_keys[i]))
			return i;
	return -1;
}

struct walk {
	int depth;          /* collections open */
	int documents;      /* documents started */
	bool in_root;       /* inside the first document's top-level mapping */
	bool want_key;      /* the next root-level node is a key */
	int skip_depth;     /* > 0: dropping the events of a replaced value */
	bool skipping;
	bool seen[GB_TESTFILE_NKEYS];
};

int gb_testfile_update(const char *buf, size_t len, const char *name,
		       const json_t *result, char **out, size_t *outlen, gb_error *err)
{
	yaml_parser_t parser;
	yaml_emitter_t emitter;
	yaml_event_t ev;
	struct outbuf o = { 0 };
	struct walk w = { 0 };
	bool end = false;
	int r = -1;

	if (!yaml_parser_initialize(&parser))
		return gb_fail(err, ENOMEM, "%s: libyaml", name);
	if (!yaml_emitter_initialize(&emitter)) {
		yaml_parser_delete(&parser);
		return gb_fail(err, ENOMEM, "%s: libyaml", name);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_emitter_set_output(&emitter, write_handler, &o);
	yaml_emitter_set_unicode(&emitter, 1);

	while (!end) {
		if (!yaml_parser_parse(&parser, &ev)) {
			gb_fail(err, 0, "%s:%zu:%zu: %s", name, parser.problem_mark.line + 1,
				parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "invalid YAML");
			goto out;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		bool opens = ev.type == YAML_MAPPING_START_EVENT ||
			     ev.type == YAML_SEQUENCE_START_EVENT;
		bool closes = ev.type == YAML_MAPPING_END_EVENT ||
			      ev.type == YAML_SEQUENCE_END_EVENT;
		bool node = opens || ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT;

		if (w.skipping) {
			/* the old value of a replaced key: dropped */
			w.skip_depth += opens - closes;
			yaml_event_delete(&ev);
			if (w.skip_depth == 0)
				w.skipping = false;
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			w.documents++;
		if (w.in_root && w.depth == 1 && ev.type == YAML_MAPPING_END_EVENT) {
			/* keys the recording lacks and always carries */
			for (int i = 0; i < GB_TESTFILE_ALWAYS; i++) {
				const json_t *v = json_object_get(result, gb_testfile_keys[i]);
				if (w.seen[i] || !v)
					continue;
				if (emit_scalar(&emitter, gb_testfile_keys[i],
						strlen(gb_testfile_keys[i]), 1,
						YAML_ANY_SCALAR_STYLE) < 0 ||
				    emit_json(&emitter, v) < 0) {
					yaml_event_delete(&ev);
					goto emit_fail;
				}
			}
			w.in_root = false;
		}
		int replace = -1;
		if (w.in_root && w.depth == 1 && node) {
			if (w.want_key && ev.type == YAML_SCALAR_EVENT) {
				int i = key_index((const char *)ev.data.scalar.value);
				/* every occurrence: of duplicates, the reader
				 * keeps the last */
				if (i >= 0 && json_object_get(result, gb_testfile_keys[i])) {
					w.seen[i] = true;
					replace = i;
				}
			}
			w.want_key = !w.want_key;
		}
		if (opens) {
			if (w.documents == 1 && w.depth == 0 &&
			    ev.type == YAML_MAPPING_START_EVENT) {
				w.in_root = true;
				w.want_key = true;
			}
			w.depth++;
		} else if (closes) {
			w.depth--;
		}
		if (!yaml_emitter_emit(&emitter, &ev))
			goto emit_fail;
		if (replace < 0)
			continue;
		/* the key went out; its new value replaces the next node */
		if (!yaml_parser_parse(&parser, &ev)) {
			gb_fail(err, 0, "%s:%zu:%zu: %s", name, parser.problem_mark.line + 1,
				parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "invalid YAML");
			goto out;
		}
		w.want_key = true;
		if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
			w.skipping = true;
			w.skip_depth = 1;
		}
		yaml_event_delete(&ev);
		if (emit_json(&emitter, json_object_get(result, gb_testfile_keys[replace])) < 0)
			goto emit_fail;
	}
	if (o.oom) {
		gb_fail(err, ENOMEM, "%s", name);
		goto out;
	}
	*out = o.data;
	*outlen = o.len;
	o.data = NULL;
	r = 0;
	goto out;
emit_fail:
	if (o.oom)
		gb_fail(err, ENOMEM, "%s", name);
	else
		gb_fail(err, 0, "%s: cannot write it back: %s", name,
			emitter.problem ? emitter.problem : "libyaml emitter error");
out:
	free(o.data);
	yaml_emitter_delete(&emitter);
	yaml_parser_delete(&parser);
	return r;
}
