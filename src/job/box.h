/* box: one sandbox of a job (internal to the supervisor: job.c drives it). */
#ifndef GB_BOX_H
#define GB_BOX_H

#include "supervisor.h"

struct gb_box {
	struct gb_sandbox sb;
	struct gb_cgroup cg;
	struct gb_output in, out, errout; /* the sandbox's stdio pumps */
	const struct gb_limits *lim;
	struct gb_result *res;
	int scratch_fd, timerfd;
	char job_dir[PATH_MAX]; /* its directory on the job tmpfs, if the job has one */
	uint64_t started_ns, ended_ns; /* ended: init reaped */
	bool init_done, have_status, killed;
	int wait_status;
	gb_box_done_fn done_fn;  /* gb_job_on_done */
	void *done_arg;
};

/* Start a box. On a setup failure the result says so; the box still has
 * to go through the loop (it may have a process to reap). */
int gb_box_start(struct gb_job *job, struct gb_sandbox_spec *spec, const struct gb_limits *lim,
		 const struct gb_box_io *io, struct gb_result *res, struct gb_box **out);
void gb_box_on_tick(struct gb_box *b);
void gb_box_on_message(struct gb_box *b);
void gb_box_on_exit(struct gb_box *b);
void gb_box_fail(struct gb_box *b, const gb_error *err);
void gb_box_kill(struct gb_box *b);
/* Init gone, socket and pipes drained. */
bool gb_box_finished(const struct gb_box *b);
/* Verdict into the result (res->done), cleanup, free. */
void gb_box_finish(struct gb_box *b);

#endif
