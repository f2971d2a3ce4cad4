/* Unit tests for the agent's protocol pieces: base64, image times, and the
 * msgpack messages of INGInious's backend <-> agent protocol. */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "text.h"
#include "agent_env.h"
#include "agent_msg.h"
#include "tap.h"

static void pack_text(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* A BackendNewJob; inputdata_text packs inputdata as a string instead. */
static void new_job(msgpack_sbuffer *sb, bool inputdata_text, const char *debug_ssh)
{
	msgpack_packer pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 10);
	pack_text(&pk, "@type");
	pack_text(&pk, "BackendNewJob");
	pack_text(&pk, "job_id");
	pack_text(&pk, "j1");
	pack_text(&pk, "course_id");
	pack_text(&pk, "c");
	pack_text(&pk, "task_id");
	msgpack_pack_nil(&pk);
	pack_text(&pk, "task_problems");
	msgpack_pack_map(&pk, 0);
	pack_text(&pk, "inputdata");
	if (inputdata_text) {
		pack_text(&pk, "oops");
	} else {
		msgpack_pack_map(&pk, 2);
		pack_text(&pk, "q");
		pack_text(&pk, "answer");
		pack_text(&pk, "f");
		msgpack_pack_map(&pk, 2);
		pack_text(&pk, "filename");
		pack_text(&pk, "a.bin");
		pack_text(&pk, "value");
		msgpack_pack_bin(&pk, 3);
		msgpack_pack_bin_body(&pk, "\x00\xff" "A", 3);
	}
	pack_text(&pk, "environment_type");
	pack_text(&pk, "docker");
	pack_text(&pk, "environment");
	pack_text(&pk, "default");
	pack_text(&pk, "environment_parameters");
	msgpack_pack_map(&pk, 1);
	pack_text(&pk, "limits");
	msgpack_pack_map(&pk, 1);
	pack_text(&pk, "time");
	msgpack_pack_double(&pk, 2.5);
	pack_text(&pk, "debug");
	if (debug_ssh)
		pack_text(&pk, debug_ssh);
	else
		msgpack_pack_true(&pk);
}

/* The value of key in a packed message's top-level map. */
static const msgpack_object *field(const msgpack_unpacked *up, const char *key)
{
	const msgpack_object_map *m = &up->data.via.map;

	for (uint32_t i = 0; i < m->size; i++)
		if (m->ptr[i].key.via.str.size == strlen(key) &&
		    !memcmp(m->ptr[i].key.via.str.ptr, key, strlen(key)))
			return &m->ptr[i].val;
	return NULL;
}

int main(void)
{
	struct gb_agent_msg msg;
	struct gb_agent_frame f;
	msgpack_sbuffer sb;
	msgpack_unpacked up;
	gb_error err = { 0 };
	unsigned char *bytes;
	size_t n;
	char *s;
	json_t *res;
	bool ok = true;
	static const char kill_int[] = "\x82\xa5@type\xae" "BackendKillJob\xa6job_id\x05";

	TAP_PLAN(16);

	for (size_t len = 0; len < 7; len++) {
		const char *src = "\x00\x01\xfegh\xff!";
		s = gb_base64_encode((const unsigned char *)src, len);
		ok &= s && gb_base64_decode(s, strlen(s), &bytes, &n) == 0 && n == len &&
		      !memcmp(bytes, src, len);
		free(s);
		free(bytes);
	}
	TAP_OK(ok, "base64 round-trips 0 to 6 bytes");
	s = gb_base64_encode((const unsigned char *)"ABC", 3);
	TAP_OK(s && !strcmp(s, "QUJD"), "base64 of ABC is QUJD");
	free(s);
	TAP_OK(gb_base64_decode("QU=D", 4, &bytes, &n) < 0 &&
	       gb_base64_decode("Q===", 4, &bytes, &n) < 0 &&
	       gb_base64_decode("QU*D", 4, &bytes, &n) < 0,
	       "malformed base64 is refused");

	TAP_OK(gb_agent_parse_time("2024-01-02T03:04:05Z") == 1704164645 &&
	       gb_agent_parse_time("2024-01-02T03:04:05.123456789Z") == 1704164645 &&
	       gb_agent_parse_time("2024-01-02T04:04:05+01:00") == 1704164645,
	       "image creation times (Docker's RFC 3339) become unix seconds");
	TAP_OK(gb_agent_parse_time("yesterday") == -1 && gb_agent_parse_time(NULL) == -1,
	       "a creation time that is not RFC 3339 is -1");

	new_job(&sb, false, NULL);
	TAP_OK(gb_agent_msg_decode(sb.data, sb.size, &msg, &err) == 0 &&
	       msg.type == GB_AGENT_MSG_NEW_JOB && !msg.invalid && !strcmp(msg.job_id, "j1") &&
	       !strcmp(msg.course_id, "c") && !msg.task_id && msg.debug == GB_AGENT_DEBUG_ON,
	       "BackendNewJob decodes (nil task_id, debug true)");
	TAP_OK(!strcmp(json_string_value(json_object_get(json_object_get(msg.inputdata, "f"),
							 "value")), "AP9B") &&
	       !strcmp(json_string_value(json_object_get(json_object_get(msg.inputdata, "f"),
							 "filename")), "a.bin") &&
	       json_real_value(json_object_get(json_object_get(msg.params, "limits"), "time")) == 2.5,
	       "an upload's bytes become base64, parameters stay as sent");
	gb_agent_msg_clear(&msg);
	TAP_OK(gb_agent_msg_decode(sb.data, sb.size - 1, &msg, &err) < 0, "a truncated frame is dropped");
	msgpack_sbuffer_destroy(&sb);

	new_job(&sb, true, "ssh");
	TAP_OK(gb_agent_msg_decode(sb.data, sb.size, &msg, &err) == 0 && msg.invalid &&
	       strstr(msg.problem, "BackendNewJob.inputdata: expected a map") &&
	       !strcmp(msg.job_id, "j1"),
	       "a job with a wrong field keeps its id, to be answered");
	gb_agent_msg_clear(&msg);
	msgpack_sbuffer_destroy(&sb);

	TAP_OK(gb_agent_msg_decode("\x81\xa5@type\xa4Ping", 12, &msg, &err) == 0 &&
	       msg.type == GB_AGENT_MSG_PING, "Ping decodes");
	gb_agent_msg_clear(&msg);
	TAP_OK(gb_agent_msg_decode(kill_int, sizeof(kill_int) - 1, &msg, &err) < 0 &&
	       strstr(err.msg, "without a text job_id"), "a kill with a number for job_id is dropped");
	TAP_OK(gb_agent_msg_decode("\x81\xa5@type\xa3Huh", 11, &msg, &err) < 0 &&
	       strstr(err.msg, "unknown message type \"Huh\""), "an unknown @type is dropped");
	TAP_OK(gb_agent_msg_decode("\xc1", 1, &msg, &err) < 0 &&
	       gb_agent_msg_decode("\x81\xa5@type\xa4Ping\x00", 13, &msg, &err) < 0,
	       "bad msgpack and trailing bytes are dropped");

	res = json_pack("{s:s, s:s, s:f, s:{s:[s,s]}, s:s}", "result", "failed", "text", "t",
			"grade", 87.456, "problems", "q", "failed", "no", "archive", "QUJD");
	TAP_OK(gb_agent_msg_done("j1", res, &f, &err) == 0, "AgentJobDone encodes");
	msgpack_unpacked_init(&up);
	n = 0;
	ok = msgpack_unpack_next(&up, f.data, f.len, &n) == MSGPACK_UNPACK_SUCCESS &&
	     up.data.via.map.size == 11 && field(&up, "archive")->type == MSGPACK_OBJECT_BIN &&
	     field(&up, "archive")->via.bin.size == 3 &&
	     !memcmp(field(&up, "archive")->via.bin.ptr, "ABC", 3) &&
	     field(&up, "grade")->type == MSGPACK_OBJECT_FLOAT64 &&
	     field(&up, "grade")->via.f64 == 87.46 &&
	     field(&up, "stdout")->type == MSGPACK_OBJECT_NIL &&
	     field(&up, "state")->type == MSGPACK_OBJECT_STR &&
	     field(&up, "tests")->type == MSGPACK_OBJECT_MAP;
	TAP_OK(ok, "AgentJobDone: its 10 fields and @type, archive as bin, grade rounded to 2 decimals");
	msgpack_unpacked_destroy(&up);
	free(f.data);
	json_decref(res);

	res = json_pack("{s:s}", "result", "success");
	gb_agent_msg_done("j2", res, &f, &err);
	msgpack_unpacked_init(&up);
	n = 0;
	ok = msgpack_unpack_next(&up, f.data, f.len, &n) == MSGPACK_UNPACK_SUCCESS &&
	     field(&up, "grade")->via.f64 == 100.0 &&
	     field(&up, "archive")->type == MSGPACK_OBJECT_NIL &&
	     field(&up, "problems")->type == MSGPACK_OBJECT_MAP;
	TAP_OK(ok, "a success without a grade is 100.0, missing maps are empty");
	msgpack_unpacked_destroy(&up);
	free(f.data);
	json_decref(res);
	return tap_done();
}
