/* agent_msg: see agent_msg.h. The backend is INGInious's Python code: it
 * unpacks strings as text and bytes as bytes, builds a message class from
 * the map with exactly its fields, and stops at a message it cannot
 * build. So every message here is packed with its exact field set, text as
 * str and bytes as bin. What the backend sends is decoded leniently (extra
 * fields ignored) but never trusted: types are checked one by one, and a
 * job whose fields are wrong still gets an answer. */
#include "agent_msg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "text.h"
#include "util.h"

#define MSG_TYPE_KEY "@type"
/* INGInious rounds grades to 2 decimals before sending them. */
#define GRADE_SCALE 100.0
#define GRADE_SUCCESS 100.0

/* ---- decoding ---- */

static bool is_str(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	       !memcmp(o->via.str.ptr, s, n);
}

static const msgpack_object *map_get(const msgpack_object *map, const char *key)
{
	for (uint32_t i = 0; i < map->via.map.size; i++)
		if (is_str(&map->via.map.ptr[i].key, key))
			return &map->via.map.ptr[i].val;
	return NULL;
}

static char *str_dup(const msgpack_object *o)
{
	char *s = malloc(o->via.str.size + 1);

	if (s) {
		memcpy(s, o->via.str.ptr, o->via.str.size);
		s[o->via.str.size] = '\0';
	}
	return s;
}

static int problem(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int problem(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, GB_ERROR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* A text field must be UTF-8 without NUL (it ends up in JSON and paths). */
static json_t *text_json(const msgpack_object *o)
{
	if (memchr(o->via.str.ptr, '\0', o->via.str.size))
		return NULL;
	return json_stringn(o->via.str.ptr, o->via.str.size);
}

static int to_json(const msgpack_object *o, const char *path, json_t **out, char *why);

/* INGInious's upload: a map of exactly {"filename": str, "value": bytes}. */
static bool is_upload(const msgpack_object *o)
{
	const msgpack_object *f, *v;

	if (o->type != MSGPACK_OBJECT_MAP || o->via.map.size != 2)
		return false;
	f = map_get(o, "filename");
	v = map_get(o, "value");
	return f && v && f->type == MSGPACK_OBJECT_STR && v->type == MSGPACK_OBJECT_BIN;
}

static int upload_json(const msgpack_object *o, const char *path, json_t **out, char *why)
{
	const msgpack_object *f = map_get(o, "filename"), *v = map_get(o, "value");
	_cleanup_free_ char *b64 = gb_base64_encode((const unsigned char *)v->via.bin.ptr, v->via.bin.size);
	json_t *name = text_json(f);

	if (!name)
		return problem(why, "%s.filename: not UTF-8 text", path);
	if (!b64) {
		json_decref(name);
		return problem(why, "%s: out of memory", path);
	}
	*out = json_pack("{s:o, s:s}", "filename", name, "value", b64);
	return *out ? 0 : problem(why, "%s: out of memory", path);
}

static int map_json(const msgpack_object *o, const char *path, json_t **out, char *why)
{
	json_t *m = json_object();

	for (uint32_t i = 0; m && i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		char sub[GB_ERROR_MAX / 2];
		_cleanup_free_ char *key = NULL;
		json_t *v;

		if (kv->key.type != MSGPACK_OBJECT_STR ||
		    memchr(kv->key.via.str.ptr, '\0', kv->key.via.str.size)) {
			json_decref(m);
			return problem(why, "%s: a key is not text", path);
		}
		key = str_dup(&kv->key);
		snprintf(sub, sizeof(sub), "%s.%s", path, key ? key : "?");
		if (!key || to_json(&kv->val, sub, &v, why) < 0 || json_object_set_new(m, key, v)) {
			json_decref(m);
			return key ? -1 : problem(why, "%s: out of memory", path);
		}
	}
	*out = m;
	return m ? 0 : problem(why, "%s: out of memory", path);
}

static int to_json(const msgpack_object *o, const char *path, json_t **out, char *why)
{
	json_t *v = NULL;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v = json_null();
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		v = json_boolean(o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return problem(why, "%s: integer too large", path);
		v = json_integer((json_int_t)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v = json_integer(o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(o->via.f64))
			return problem(why, "%s: not a finite number", path);
		v = json_real(o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		v = text_json(o);
		if (!v)
			return problem(why, "%s: not UTF-8 text", path);
		break;
	case MSGPACK_OBJECT_ARRAY:
		v = json_array();
		for (uint32_t i = 0; v && i < o->via.array.size; i++) {
			char sub[GB_ERROR_MAX / 2];
			json_t *e;

			snprintf(sub, sizeof(sub), "%s[%u]", path, i);
			if (to_json(&o->via.array.ptr[i], sub, &e, why) < 0) {
				json_decref(v);
				return -1;
			}
			json_array_append_new(v, e);
		}
		break;
	case MSGPACK_OBJECT_MAP:
		if (is_upload(o))
			return upload_json(o, path, out, why);
		return map_json(o, path, out, why);
	case MSGPACK_OBJECT_BIN:
		return problem(why, "%s: bytes outside a file upload {filename, value}", path);
	default:
		return problem(why, "%s: a msgpack extension type", path);
	}
	if (!v)
		return problem(why, "%s: out of memory", path);
	*out = v;
	return 0;
}

/* A field of BackendNewJob: text, or nil where allowed. */
static int job_text(const msgpack_object *map, const char *key, bool nil_ok, char **out,
		    char *why)
{
	const msgpack_object *v = map_get(map, key);

	*out = NULL;
	if (v && v->type == MSGPACK_OBJECT_NIL && nil_ok)
		return 0;
	if (!v || v->type != MSGPACK_OBJECT_STR)
		return problem(why, "BackendNewJob.%s: expected a string%s", key,
			       nil_ok ? " or nil" : "");
	if (memchr(v->via.str.ptr, '\0', v->via.str.size))
		return problem(why, "BackendNewJob.%s: contains a NUL byte", key);
	*out = str_dup(v);
	return *out ? 0 : problem(why, "BackendNewJob.%s: out of memory", key);
}

static int job_map(const msgpack_object *map, const char *key, json_t **out, char *why)
{
	const msgpack_object *v = map_get(map, key);
	char path[64];

	if (!v || v->type != MSGPACK_OBJECT_MAP)
		return problem(why, "BackendNewJob.%s: expected a map", key);
	snprintf(path, sizeof(path), "BackendNewJob.%s", key);
	return to_json(v, path, out, why);
}

static int decode_new_job(const msgpack_object *map, struct gb_agent_msg *msg)
{
	const msgpack_object *d = map_get(map, "debug");
	char *why = msg->problem;

	if (job_text(map, "course_id", true, &msg->course_id, why) < 0 ||
	    job_text(map, "task_id", true, &msg->task_id, why) < 0 ||
	    job_text(map, "environment_type", false, &msg->environment_type, why) < 0 ||
	    job_text(map, "environment", false, &msg->environment, why) < 0 ||
	    job_map(map, "inputdata", &msg->inputdata, why) < 0 ||
	    job_map(map, "environment_parameters", &msg->params, why) < 0)
		return -1;
	if (d && d->type == MSGPACK_OBJECT_BOOLEAN)
		msg->debug = d->via.boolean ? GB_AGENT_DEBUG_ON : GB_AGENT_DEBUG_OFF;
	else if (d && is_str(d, "ssh"))
		msg->debug = GB_AGENT_DEBUG_SSH;
	else
		return problem(why, "BackendNewJob.debug: expected false, true or \"ssh\"");
	return 0;
}

static int decode_map(const msgpack_object *map, struct gb_agent_msg *msg, gb_error *err)
{
	const msgpack_object *type = map_get(map, MSG_TYPE_KEY), *id;

	if (!type || type->type != MSGPACK_OBJECT_STR)
		return gb_fail(err, 0, "no \"%s\" text field", MSG_TYPE_KEY);
	if (is_str(type, "Ping")) {
		msg->type = GB_AGENT_MSG_PING;
		return 0;
	}
	if (is_str(type, "BackendNewJob"))
		msg->type = GB_AGENT_MSG_NEW_JOB;
	else if (is_str(type, "BackendKillJob"))
		msg->type = GB_AGENT_MSG_KILL_JOB;
	else
		return gb_fail(err, 0, "unknown message type \"%.*s\"",
			       (int)(type->via.str.size > 64 ? 64 : type->via.str.size),
			       type->via.str.ptr);
	id = map_get(map, "job_id");
	if (!id || id->type != MSGPACK_OBJECT_STR || !id->via.str.size ||
	    memchr(id->via.str.ptr, '\0', id->via.str.size))
		return gb_fail(err, 0, "%.*s without a text job_id", (int)type->via.str.size,
			       type->via.str.ptr);
	msg->job_id = str_dup(id);
	if (!msg->job_id)
		return gb_fail(err, ENOMEM, "job_id");
	if (msg->type == GB_AGENT_MSG_NEW_JOB && decode_new_job(map, msg) < 0)
		msg->invalid = true;
	if (msg->type == GB_AGENT_MSG_KILL_JOB) {
		const msgpack_object *st = map_get(map, "state");

		msg->state = st && st->type == MSGPACK_OBJECT_STR &&
				     !memchr(st->via.str.ptr, '\0', st->via.str.size)
			? str_dup(st) : strdup("");
		if (!msg->state)
			return gb_fail(err, ENOMEM, "state");
	}
	return 0;
}

int gb_agent_msg_decode(const void *data, size_t len, struct gb_agent_msg *msg, gb_error *err)
{
	msgpack_unpacked up;
	size_t off = 0;
	int r;

	memset(msg, 0, sizeof(*msg));
	msgpack_unpacked_init(&up);
	switch (msgpack_unpack_next(&up, data, len, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		if (off != len)
			r = gb_fail(err, 0, "%zu bytes after the msgpack object", len - off);
		else if (up.data.type != MSGPACK_OBJECT_MAP)
			r = gb_fail(err, 0, "not a msgpack map");
		else
			r = decode_map(&up.data, msg, err);
		break;
	case MSGPACK_UNPACK_CONTINUE:
		r = gb_fail(err, 0, "truncated msgpack");
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		r = gb_fail(err, 0, "msgpack too large or nested too deep");
		break;
	default:
		r = gb_fail(err, 0, "not msgpack");
		break;
	}
	msgpack_unpacked_destroy(&up);
	if (r < 0)
		gb_agent_msg_clear(msg);
	return r;
}

void gb_agent_msg_clear(struct gb_agent_msg *msg)
{
	free(msg->job_id);
	free(msg->state);
	free(msg->course_id);
	free(msg->task_id);
	free(msg->environment_type);
	free(msg->environment);
	json_decref(msg->inputdata);
	json_decref(msg->params);
	memset(msg, 0, sizeof(*msg));
}

/* ---- encoding ---- */

static void pack_text(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void pack_json(msgpack_packer *pk, json_t *v)
{
	const char *key;
	json_t *e;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(v));
		json_object_foreach(v, key, e) {
			pack_text(pk, key);
			pack_json(pk, e);
		}
		break;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(v));
		json_array_foreach(v, i, e)
			pack_json(pk, e);
		break;
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(v));
		msgpack_pack_str_body(pk, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(v));
		break;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(v));
		break;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		break;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		break;
	default:
		msgpack_pack_nil(pk);
		break;
	}
}

struct packer {
	msgpack_sbuffer buf;
	msgpack_packer pk;
};

static void packer_init(struct packer *p, const char *type, size_t fields)
{
	msgpack_sbuffer_init(&p->buf);
	msgpack_packer_init(&p->pk, &p->buf, msgpack_sbuffer_write);
	msgpack_pack_map(&p->pk, fields + 1);
	pack_text(&p->pk, MSG_TYPE_KEY);
	pack_text(&p->pk, type);
}

/* msgpack's sbuffer write fails only when out of memory; it then stops
 * growing, so a short buffer is the sign. */
static int packer_done(struct packer *p, size_t min, struct gb_agent_frame *out, gb_error *err)
{
	if (!p->buf.data || p->buf.size < min) {
		msgpack_sbuffer_destroy(&p->buf);
		return gb_fail(err, ENOMEM, "encode message");
	}
	out->len = p->buf.size;
	out->data = msgpack_sbuffer_release(&p->buf);
	return 0;
}

int gb_agent_msg_hello(const char *name, unsigned slots, json_t *envs,
		       struct gb_agent_frame *out, gb_error *err)
{
	struct packer p;

	packer_init(&p, "AgentHello", 3);
	pack_text(&p.pk, "friendly_name");
	pack_text(&p.pk, name);
	pack_text(&p.pk, "available_job_slots");
	msgpack_pack_unsigned_int(&p.pk, slots);
	pack_text(&p.pk, "available_environments");
	pack_json(&p.pk, envs);
	return packer_done(&p, strlen(name), out, err);
}

int gb_agent_msg_started(const char *job_id, struct gb_agent_frame *out, gb_error *err)
{
	struct packer p;

	packer_init(&p, "AgentJobStarted", 1);
	pack_text(&p.pk, "job_id");
	pack_text(&p.pk, job_id);
	return packer_done(&p, strlen(job_id), out, err);
}

int gb_agent_msg_pong(struct gb_agent_frame *out, gb_error *err)
{
	struct packer p;

	packer_init(&p, "Pong", 0);
	return packer_done(&p, 1, out, err);
}

static const char *field_text(json_t *result, const char *key, const char *dflt)
{
	json_t *v = json_object_get(result, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

static void pack_object_field(msgpack_packer *pk, json_t *result, const char *key)
{
	json_t *v = json_object_get(result, key);

	pack_text(pk, key);
	if (json_is_object(v))
		pack_json(pk, v);
	else
		msgpack_pack_map(pk, 0);
}

static void pack_text_or_nil(msgpack_packer *pk, json_t *result, const char *key)
{
	json_t *v = json_object_get(result, key);

	pack_text(pk, key);
	if (json_is_string(v))
		pack_json(pk, v);
	else
		msgpack_pack_nil(pk);
}

int gb_agent_msg_done(const char *job_id, json_t *result, struct gb_agent_frame *out,
		      gb_error *err)
{
	const char *res = field_text(result, "result", "error");
	json_t *grade = json_object_get(result, "grade"), *archive;
	double g = json_is_number(grade) ? json_number_value(grade)
					 : !strcmp(res, "success") ? GRADE_SUCCESS : 0.0;
	struct packer p;

	packer_init(&p, "AgentJobDone", 10);
	pack_text(&p.pk, "job_id");
	pack_text(&p.pk, job_id);
	pack_text(&p.pk, "result");
	msgpack_pack_array(&p.pk, 2);
	pack_text(&p.pk, res);
	pack_text(&p.pk, field_text(result, "text", ""));
	pack_text(&p.pk, "grade");
	msgpack_pack_double(&p.pk, isfinite(g) ? round(g * GRADE_SCALE) / GRADE_SCALE : g);
	pack_object_field(&p.pk, result, "problems");
	pack_object_field(&p.pk, result, "tests");
	pack_object_field(&p.pk, result, "custom");
	pack_text(&p.pk, "state");
	pack_text(&p.pk, field_text(result, "state", ""));
	pack_text(&p.pk, "archive");
	archive = json_object_get(result, "archive");
	if (json_is_string(archive)) {
		_cleanup_free_ unsigned char *bytes = NULL;
		size_t n;

		if (gb_base64_decode(json_string_value(archive), json_string_length(archive), &bytes,
				  &n) < 0) {
			msgpack_sbuffer_destroy(&p.buf);
			return gb_fail(err, 0, "the result's archive is not base64");
		}
		msgpack_pack_bin(&p.pk, n);
		msgpack_pack_bin_body(&p.pk, bytes, n);
	} else {
		msgpack_pack_nil(&p.pk);
	}
	pack_text_or_nil(&p.pk, result, "stdout");
	pack_text_or_nil(&p.pk, result, "stderr");
	return packer_done(&p, strlen(job_id), out, err);
}
