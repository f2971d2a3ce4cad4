/* agent: `gradebox agent`, a grading agent for an INGInious backend
 * (shared/inginious-agent.md): the event loop, the connection and the
 * jobs. See agent.c's top comment for how it works. */
#ifndef GB_AGENT_H
#define GB_AGENT_H

#include "config.h"
#include "error.h"

/* The backend pings about once a second; this long without any message
 * means it restarted or dropped us: new socket, new hello. */
#define GB_AGENT_SILENCE_S 10

struct gb_agent_opts {
	const char *backend;   /* tcp://HOST:PORT of the backend's agent socket */
	const char *tasks_dir; /* <tasks>/<course>/<task>/, <tasks>/<course>/$common */
	const char *name;      /* friendly_name in the hello */
	const char *gradebox;  /* the gradebox binary that runs `grade` */
	unsigned slots;
};

/* Serve until SIGTERM or SIGINT (then kill the running jobs, report
 * them, and return 0). -1 with err when the agent cannot start. */
int gb_agent_run(const struct gb_config *cfg, const struct gb_agent_opts *opts, gb_error *err);

#endif
