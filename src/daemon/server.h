/* server: the queue daemon's unix socket (and the optional HTTP /metrics
 * listener). The protocol: newline-delimited JSON, one request per line,
 * one reply line each (a `wait` also sends progress lines first):
 *
 *   {"cmd": "submit", "job": JOB [, "wait": true [, "progress": true]]}
 *        -> {"ok": true, "id": ID}   (then, with wait, as for "wait")
 *   {"cmd": "wait", "id": ID [, "progress": true]}
 *        -> {"event": "queued", "id": ID, "position": N}   (progress only)
 *        -> {"event": "grading", "id": ID}                  (progress only)
 *        -> {"ok": true, "id": ID, "result": RESULT}
 *   {"cmd": "status" [, "id": ID]} -> {"ok": true, "status": {...}}
 *                                     (no id: {"ok": true, "summary": {...}})
 *   {"cmd": "kill", "id": ID}      -> {"ok": true, "id": ID}
 *   {"cmd": "list"}                -> {"ok": true, "jobs": [{...}, ...]}
 *   {"cmd": "metrics"}             -> {"ok": true, "metrics": "TEXT"}
 *   anything wrong                 -> {"ok": false, "error": "MESSAGE"}
 *
 * JOB is jobspec.h's object. A line longer than GB_SPOOL_JOB_MAX gets an
 * error and the connection is closed; so is a client that lets more than
 * GB_SERVER_OUT_MAX bytes of replies pile up unread. Every connection is
 * non-blocking in the daemon's one event loop: a slow or idle client
 * costs a file descriptor and a few bytes, never a stall. */
#ifndef GB_SERVER_H
#define GB_SERVER_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"
#include "queue.h"

/* Connections at once; more are accepted and closed at once. */
#define GB_SERVER_CONN_MAX 4096
#define GB_SERVER_OUT_MAX (512u << 20)
/* An HTTP request head larger than this is refused. */
#define GB_SERVER_HTTP_MAX 8192

/* An fd in the daemon's epoll set: data.ptr points at one of these. */
struct gb_watch {
	void (*fn)(struct gb_watch *w, uint32_t events);
};

struct gb_server_opts {
	const char *socket_path;  /* to create, unless listen_fd >= 0 */
	int listen_fd;            /* from systemd socket activation, or -1 */
	gid_t gid;                /* group of the socket, -1 = the daemon's */
	const char *metrics_listen; /* HOST:PORT, or NULL/"" */
};

struct gb_server;

int gb_server_new(struct gb_queue *q, int epfd, const struct gb_server_opts *o,
		  struct gb_server **out, gb_error *err);
/* Stop accepting (shutdown); the socket file is removed if we made it. */
void gb_server_stop_listening(struct gb_server *srv);
void gb_server_free(struct gb_server *srv);
/* The queue's hook (gb_queue_set_hook): progress and results to waiters. */
void gb_server_job_event(void *srv, const char *id, json_t *result);
/* Requests buffered while their connection waited: the event loop calls
 * this after each round. */
void gb_server_resume(struct gb_server *srv);

#endif
