/* serve: the queue daemon, `gradebox serve`. One process, one event loop
 * (epoll), no threads:
 *
 *   gradebox serve ─┬─ gradebox grade (job A)  ─ its sandboxes
 *                   ├─ gradebox grade (job B)  ─ ...   at most `slots`
 *                   └─ (queue: jobs waiting, FIFO; bounded by queue_max)
 *
 * Jobs come in through the unix socket (server.h) and the spool's
 * incoming/ directory (spool.h); queue.h makes each one durable before it
 * is acknowledged, runs it in a slot (runner.h) and stores its result in
 * done/. SIGTERM or SIGINT: stop taking jobs, give the running ones the
 * grace period, kill the rest (requeued for the next start), exit 0; a
 * second signal skips the grace. */
#ifndef GB_SERVE_H
#define GB_SERVE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

#define GB_SERVE_SOCKET_NAME "gradebox.sock"
#define GB_SERVE_SPOOL_NAME "spool"
/* A longer shutdown grace is a typo (an hour). */
#define GB_SERVE_GRACE_MAX 3600

struct gb_serve_opts {
	unsigned slots;
	uint64_t queue_max;
	char spool[PATH_MAX];
	char socket[PATH_MAX];
	char metrics_listen[128];
	gid_t gid;           /* socket_group, -1 = the daemon's own */
	double grace;        /* seconds */
};

/* Options from the config: slots = the CPUs, spool and socket under the
 * state and run directories, the group looked up in /etc/group. */
int gb_serve_defaults(const struct gb_config *cfg, struct gb_serve_opts *o, gb_error *err);
/* The socket path clients use by default (the config's, else the run dir's). */
void gb_serve_socket_path(const struct gb_config *cfg, char *buf, size_t size);
/* Run the daemon until a signal stops it. */
int gb_serve_run(const struct gb_config *cfg, const struct gb_serve_opts *o, gb_error *err);

#endif
