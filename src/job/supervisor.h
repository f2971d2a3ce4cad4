/* supervisor: one process per job, single-threaded and event driven
 * (pidfd, timerfd, signalfd, sockets). A job owns a run directory and a
 * cgroup; each sandbox of the job (the grading one, later the student ones)
 * is a "box" with its own cgroup below the job's, its own limits and its
 * own verdict. The job leaves nothing behind when it closes. */
#ifndef GB_SUPERVISOR_H
#define GB_SUPERVISOR_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "config.h"
#include "error.h"
#include "output.h"
#include "sandbox.h"

struct gb_limits {
	double cpu_time;        /* seconds of CPU, all threads; 0 = none */
	double wall_time;       /* seconds; 0 = none (callers default it to 3 x cpu) */
	uint64_t memory_bytes;  /* 0 = none */
	uint64_t pids;          /* 0 = none */
	uint64_t disk_bytes;    /* 0 = tmpfs default */
	uint64_t output_bytes;  /* cap on captured stdout/stderr, 0 = none */
	uint64_t fsize_bytes;   /* RLIMIT_FSIZE, 0 = none */
	uint64_t nofile;        /* RLIMIT_NOFILE, 0 = unchanged */
};

enum gb_status {
	GB_STATUS_EXITED,
	GB_STATUS_SIGNALED,
	GB_STATUS_TIMEOUT,
	GB_STATUS_MEMORY,
	GB_STATUS_DISK,
	GB_STATUS_ERROR,
};

struct gb_result {
	enum gb_status status;
	int exit_code;          /* what `gradebox run` exits with */
	int signal;             /* signal that killed the command, 0 if none */
	double cpu_time, wall_time;
	uint64_t memory_peak;
	bool oom_killed;
	const char *timeout;    /* "cpu", "wall" or NULL */
	bool output_truncated;
	bool disk_full;
	char message[GB_ERROR_MAX];
	bool done;              /* set when the box is finished and cleaned up */
};

#define GB_JOB_MAX_BOXES 64
#define GB_JOB_MAX_WATCHES 8

struct gb_box;
struct gb_job;
typedef void (*gb_job_watch_fn)(struct gb_job *job, int fd, void *arg);

struct gb_job {
	const struct gb_config *cfg;
	struct gb_cg_host cg_host;
	struct gb_cgroup cg;
	char name[64];          /* job-<pid>-<start> */
	unsigned nboxes;        /* boxes ever started (names box-N) */
	struct gb_box *boxes[GB_JOB_MAX_BOXES]; /* running ones */
	int sigfd;
	int scratch_fd;         /* root of the job tmpfs (gb_job_scratch), -1 if none */
	int interrupted;        /* signal that stopped the job, 0 if none */
	struct {
		int fd;
		gb_job_watch_fn fn;
		void *arg;
	} watches[GB_JOB_MAX_WATCHES];
};

/* Where the sandbox's stdin comes from and its stdout/stderr go (the
 * latter capped by lim->output_bytes). These fds stay the supervisor's: the
 * sandbox only ever gets pipes that the supervisor pumps (output.h). */
struct gb_box_io {
	int stdin_fd;
	int stdout_fd, stderr_fd;
	/* The sandbox gets these very fds, no pumps: for fds that came from
	 * another sandbox (run_student), never for host files. */
	bool direct;
};
typedef void (*gb_box_done_fn)(struct gb_job *job, struct gb_result *res, void *arg);

int gb_job_open(struct gb_job *job, const struct gb_config *cfg, gb_error *err);
/* The same, with a process limit for the job as a whole (0 = none): every
 * box of the job counts against it, whatever its own limit. */
int gb_job_open_pids(struct gb_job *job, const struct gb_config *cfg, uint64_t pids,
		     gb_error *err);
/* Give the job one tmpfs of disk_bytes (and as many inodes as
 * GB_MOUNT_BYTES_PER_INODE allows) for every box it starts from now on:
 * each box's writable layer, /tmp and the files the caller shares between
 * boxes, so one disk limit covers them all. The supervisor moves into a
 * mount namespace of its own and mounts it over run_dir there: the host
 * never sees it, and it goes with the supervisor, however it ends. Its
 * root stays open in scratch_fd: prepare files relative to it, never by
 * path. */
int gb_job_scratch(struct gb_job *job, uint64_t disk_bytes, gb_error *err);
/* Start a sandbox under `lim`; `res` is filled (res->done set) when it has
 * ended and is cleaned up. Setup failures are results too (status error,
 * exit 254, the message). spec, lim and io must live until then. */
void gb_job_start_box(struct gb_job *job, struct gb_sandbox_spec *spec,
		      const struct gb_limits *lim, const struct gb_box_io *io,
		      struct gb_result *res);
/* Serve every box and watch until res->done. */
void gb_job_wait(struct gb_job *job, const struct gb_result *res);
/* Start, then wait: one sandbox to its end. */
void gb_job_run_box(struct gb_job *job, struct gb_sandbox_spec *spec,
		    const struct gb_limits *lim, const struct gb_box_io *io,
		    struct gb_result *res);
/* The running box whose result is res: call fn from the loop once it has
 * finished (res->done); deliver a signal to it (its init passes it on to
 * the command); kill it. Return -1 when no running box has that result. */
int gb_job_on_done(struct gb_job *job, const struct gb_result *res, gb_box_done_fn fn,
		   void *arg);
int gb_job_signal_box(struct gb_job *job, const struct gb_result *res, int signo);
void gb_job_kill_box(struct gb_job *job, const struct gb_result *res);
/* An fd of the running box's net namespace (to share it), or -1. */
int gb_job_box_netns(struct gb_job *job, const struct gb_result *res, gb_error *err);
/* Call fn whenever fd is readable while the job's loop runs. */
int gb_job_watch(struct gb_job *job, int fd, gb_job_watch_fn fn, void *arg, gb_error *err);
void gb_job_unwatch(struct gb_job *job, int fd);
int gb_job_close(struct gb_job *job, gb_error *err);

/* For `gradebox gc`: is the supervisor that named a job still running? */
bool gb_job_owner_alive(const char *job_name);
int gb_job_gc(const struct gb_config *cfg, unsigned *removed, gb_error *err);

const char *gb_status_name(enum gb_status s);
/* Write the --meta JSON to f (prepared before the run: outfile.h). */
struct gb_outfile;
int gb_meta_write(const struct gb_outfile *f, const struct gb_result *res, gb_error *err);

#endif
