/* agent_msg: the messages of INGInious's backend <-> agent protocol
 * (shared/inginious-agent.md), one msgpack map per ZeroMQ frame with an
 * "@type" key. Decoding turns what the backend sends into C structs and
 * JSON (the form `gradebox grade` reads); encoding builds the agent's
 * messages with exactly the fields the backend expects, byte strings as
 * msgpack bin and text as msgpack str. */
#ifndef GB_AGENT_MSG_H
#define GB_AGENT_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* A frame larger than this is refused by ZeroMQ itself (ZMQ_MAXMSGSIZE):
 * a job carries the student's uploads, which INGInious caps far lower. */
#define GB_AGENT_MSG_MAX (256L << 20)

enum gb_agent_msg_type {
	GB_AGENT_MSG_NEW_JOB,
	GB_AGENT_MSG_KILL_JOB,
	GB_AGENT_MSG_PING,
};

enum gb_agent_debug {
	GB_AGENT_DEBUG_OFF,
	GB_AGENT_DEBUG_ON,
	GB_AGENT_DEBUG_SSH,
};

struct gb_agent_msg {
	enum gb_agent_msg_type type;
	char *job_id;            /* NEW_JOB, KILL_JOB */
	char *state;             /* KILL_JOB: the job's state before it ("" if none) */
	/* NEW_JOB. When `invalid` is set the job is answered with an `error`
	 * result saying `problem` (a field of a known job is wrong). */
	char *course_id, *task_id; /* NULL when nil */
	char *environment_type, *environment;
	json_t *inputdata;       /* uploads as {"filename", "value": base64} */
	json_t *params;          /* environment_parameters */
	enum gb_agent_debug debug;
	bool invalid;
	char problem[GB_ERROR_MAX];
};

/* Decode one frame. -1 with err when the frame cannot be attributed to a
 * job (bad msgpack, not a map, unknown or missing @type, job_id not a
 * string): the caller logs and drops it. A NEW_JOB whose other fields are
 * wrong decodes with msg->invalid set. */
int gb_agent_msg_decode(const void *data, size_t len, struct gb_agent_msg *msg, gb_error *err);
void gb_agent_msg_clear(struct gb_agent_msg *msg);

/* An encoded message (malloc'd), freed with free(). */
struct gb_agent_frame {
	char *data;
	size_t len;
};

/* AgentHello: envs is {"docker": {name: {id, created, ports, advertised}}}. */
int gb_agent_msg_hello(const char *name, unsigned slots, json_t *envs,
		       struct gb_agent_frame *out, gb_error *err);
int gb_agent_msg_started(const char *job_id, struct gb_agent_frame *out, gb_error *err);
/* AgentJobDone from a `gradebox grade` result JSON (brief's result shape):
 * archive base64 -> bin, missing fields take INGInious's defaults. */
int gb_agent_msg_done(const char *job_id, json_t *result, struct gb_agent_frame *out,
		      gb_error *err);
int gb_agent_msg_pong(struct gb_agent_frame *out, gb_error *err);

#endif
