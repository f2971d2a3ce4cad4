/* job: the supervisor's side of one job; the process tree of a sandbox is
 * told at the top of sandbox.c, the life of one sandbox in box.c.
 *
 * A job is one cgroup, holding any number of boxes
 * (the grading sandbox, the student sandboxes it asks for). One
 * single-threaded poll() loop serves them all: each box's pidfd, socket,
 * pipes and timer, the job's signalfd (SIGINT/SIGTERM/SIGHUP to gradebox
 * kill every box and clean up) and any fd the caller watches (the
 * run_student socket). */
#include "box.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "codes.h"
#include "oom.h"
#include "util.h"


static const int supervisor_signals[] = { SIGINT, SIGTERM, SIGHUP };

const char *gb_status_name(enum gb_status s)
{
	static const char *const names[] = {
		[GB_STATUS_EXITED] = "exited", [GB_STATUS_SIGNALED] = "signaled",
		[GB_STATUS_TIMEOUT] = "timeout", [GB_STATUS_MEMORY] = "memory",
		[GB_STATUS_DISK] = "disk",	 [GB_STATUS_ERROR] = "error",
	};
	return names[s];
}

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot, which
 * tells a live supervisor from a later process that reused its pid. */
static int proc_start_time(pid_t pid, unsigned long long *start)
{
	char path[64], *p;
	_cleanup_free_ char *stat = NULL;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (gb_read_file(path, 4096, &stat, NULL, NULL) < 0)
		return -1;
	p = strrchr(stat, ')');
	if (!p)
		return -1;
	for (int field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -1;
	}
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}

bool gb_job_owner_alive(const char *job_name)
{
	int pid;
	unsigned long long start, now;

	if (sscanf(job_name, "job-%d-%llu", &pid, &start) != 2)
		return true; /* not ours: never touch it */
	if (proc_start_time(pid, &now) < 0)
		return false;
	return now == start;
}

int gb_job_open(struct gb_job *job, const struct gb_config *cfg, gb_error *err)
{
	return gb_job_open_pids(job, cfg, 0, err);
}

int gb_job_open_pids(struct gb_job *job, const struct gb_config *cfg, uint64_t pids,
		     gb_error *err)
{
	struct gb_cg_limits limits = { .pids = pids };
	unsigned long long start = 0;

	sigset_t set;

	memset(job, 0, sizeof(*job));
	job->cfg = cfg;
	job->cg.v2_fd = -1;
	job->scratch_fd = -1;
	for (size_t i = 0; i < GB_JOB_MAX_WATCHES; i++)
		job->watches[i].fd = -1;
	signal(SIGPIPE, SIG_IGN);
	/* Reading a tty stdin from the background gets EIO (the end of the
	 * sandbox's input) instead of stopping the whole supervisor. */
	signal(SIGTTIN, SIG_IGN);
	sigemptyset(&set);
	for (size_t i = 0; i < GB_ARRAY_SIZE(supervisor_signals); i++)
		sigaddset(&set, supervisor_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	job->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (job->sigfd < 0) {
		gb_fail_errno(err, "signalfd");
		goto fail;
	}
	if (gb_cg_detect(cfg, &job->cg_host, err) < 0)
		goto fail;
	/* Sandboxes raise theirs (sandbox.c); the supervisor outlives them. */
	if (gb_oom_lower_self(GB_OOM_ADJ_SUPERVISOR, err) < 0)
		goto fail;
	proc_start_time(getpid(), &start);
	snprintf(job->name, sizeof(job->name), "job-%d-%llu", getpid(), start);
	/* Only a mount point: each box mounts its tmpfs over it in its own
	 * mount namespace, so a job creates no directory at all. */
	if (gb_mkdir_p(cfg->run_dir, 0700, err) < 0) {
		gb_context(err, "run directory (run_dir)");
		goto fail;
	}
	if (gb_cg_create(&job->cg_host, NULL, job->name, pids ? &limits : NULL, &job->cg,
			 err) < 0) {
		gb_context(err, "job cgroup");
		goto fail;
	}
	return 0;
fail:
	gb_closep(&job->sigfd);
	return -1;
}

int gb_job_close(struct gb_job *job, gb_error *err)
{
	int r = 0;

	/* Normally every box has finished; kill and reap any that has not. */
	for (size_t i = 0; i < GB_JOB_MAX_BOXES; i++) {
		if (job->boxes[i]) {
			const struct gb_result *res = job->boxes[i]->res;
			gb_box_kill(job->boxes[i]);
			gb_job_wait(job, res);
		}
	}
	gb_closep(&job->sigfd);
	gb_closep(&job->scratch_fd);
	if (gb_cg_destroy(&job->cg, err) < 0)
		r = -1;
	return r;
}

int gb_job_scratch(struct gb_job *job, uint64_t disk_bytes, gb_error *err)
{
	uint64_t inodes = disk_bytes / GB_MOUNT_BYTES_PER_INODE;
	char opts[128];

	if (inodes < GB_MOUNT_MIN_INODES)
		inodes = GB_MOUNT_MIN_INODES;
	if (unshare(CLONE_NEWNS) < 0)
		return gb_fail_errno(err, "unshare the supervisor's mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return gb_fail_errno(err, "make / private");
	if (disk_bytes)
		snprintf(opts, sizeof(opts), "mode=0700,size=%llu,nr_inodes=%llu",
			 (unsigned long long)disk_bytes, (unsigned long long)inodes);
	else
		snprintf(opts, sizeof(opts), "mode=0700");
	if (mount("gradebox-job", job->cfg->run_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return gb_fail_errno(err, "mount the job tmpfs on %s", job->cfg->run_dir);
	job->scratch_fd = open(job->cfg->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (job->scratch_fd < 0)
		return gb_fail_errno(err, "open the job tmpfs");
	return 0;
}

int gb_job_gc(const struct gb_config *cfg, unsigned *removed, gb_error *err)
{
	struct gb_cg_host host;
	int n;

	/* A dead job leaves only its cgroups: its mounts died with its mount
	 * namespaces and it made no directory. */
	*removed = 0;
	if (gb_cg_detect(cfg, &host, err) < 0)
		return -1;
	n = gb_cg_gc(&host, gb_job_owner_alive, err);
	if (n < 0)
		return -1;
	*removed = (unsigned)n;
	return 0;
}


/* Close a finished box and tell whoever asked (gb_job_on_done). */
static void finish_slot(struct gb_job *job, size_t i)
{
	struct gb_box *b = job->boxes[i];
	gb_box_done_fn fn = b->done_fn;
	void *arg = b->done_arg;
	struct gb_result *res = b->res;

	job->boxes[i] = NULL;
	gb_box_finish(b);
	if (fn)
		fn(job, res, arg);
}

static struct gb_box *box_of(struct gb_job *job, const struct gb_result *res)
{
	for (size_t i = 0; i < GB_JOB_MAX_BOXES; i++)
		if (job->boxes[i] && job->boxes[i]->res == res)
			return job->boxes[i];
	return NULL;
}

int gb_job_on_done(struct gb_job *job, const struct gb_result *res, gb_box_done_fn fn,
		   void *arg)
{
	struct gb_box *b = box_of(job, res);

	if (!b)
		return -1;
	b->done_fn = fn;
	b->done_arg = arg;
	return 0;
}

int gb_job_signal_box(struct gb_job *job, const struct gb_result *res, int signo)
{
	struct gb_box *b = box_of(job, res);

	if (!b || b->init_done || b->killed || b->sb.pidfd < 0)
		return -1;
	return (int)syscall(SYS_pidfd_send_signal, b->sb.pidfd, signo, NULL, 0);
}

void gb_job_kill_box(struct gb_job *job, const struct gb_result *res)
{
	struct gb_box *b = box_of(job, res);

	if (b)
		gb_box_kill(b);
}

int gb_job_box_netns(struct gb_job *job, const struct gb_result *res, gb_error *err)
{
	struct gb_box *b = box_of(job, res);
	char path[64];
	int fd;

	if (!b || b->init_done || b->sb.pid <= 0)
		return gb_fail(err, ESRCH, "the sandbox has ended");
	snprintf(path, sizeof(path), "/proc/%d/ns/net", b->sb.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gb_fail_errno(err, "open %s", path);
	/* Still alive after the open: the pid was not reused. */
	if (syscall(SYS_pidfd_send_signal, b->sb.pidfd, 0, NULL, 0) < 0) {
		close(fd);
		return gb_fail(err, ESRCH, "the sandbox has ended");
	}
	return fd;
}

void gb_job_start_box(struct gb_job *job, struct gb_sandbox_spec *spec,
		      const struct gb_limits *lim, const struct gb_box_io *io,
		      struct gb_result *res)
{
	struct gb_box *b;
	size_t slot;

	for (slot = 0; slot < GB_JOB_MAX_BOXES && job->boxes[slot]; slot++)
		;
	if (slot == GB_JOB_MAX_BOXES) {
		memset(res, 0, sizeof(*res));
		res->status = GB_STATUS_ERROR;
		res->exit_code = GB_EXIT_FAILURE;
		snprintf(res->message, sizeof(res->message),
			 "too many sandboxes at once in one job (at most %d)", GB_JOB_MAX_BOXES);
		res->done = true;
		return;
	}
	if (gb_box_start(job, spec, lim, io, res, &b) < 0 && !b)
		return;
	job->boxes[slot] = b;
	if (job->interrupted)
		gb_box_kill(b);
}

int gb_job_watch(struct gb_job *job, int fd, gb_job_watch_fn fn, void *arg, gb_error *err)
{
	for (size_t i = 0; i < GB_JOB_MAX_WATCHES; i++) {
		if (job->watches[i].fd < 0) {
			job->watches[i].fd = fd;
			job->watches[i].fn = fn;
			job->watches[i].arg = arg;
			return 0;
		}
	}
	return gb_fail(err, 0, "too many watched descriptors in one job");
}

void gb_job_unwatch(struct gb_job *job, int fd)
{
	for (size_t i = 0; i < GB_JOB_MAX_WATCHES; i++)
		if (job->watches[i].fd == fd)
			job->watches[i].fd = -1;
}

static void on_signal(struct gb_job *job)
{
	struct signalfd_siginfo si;

	if (GB_RETRY(read(job->sigfd, &si, sizeof(si))) != sizeof(si))
		return;
	job->interrupted = (int)si.ssi_signo;
	for (size_t i = 0; i < GB_JOB_MAX_BOXES; i++) {
		struct gb_box *b = job->boxes[i];
		if (!b)
			continue;
		b->res->status = GB_STATUS_SIGNALED;
		b->res->signal = job->interrupted;
		snprintf(b->res->message, sizeof(b->res->message),
			 "gradebox was interrupted by %s; the sandbox was killed",
			 strsignal(job->interrupted));
		gb_box_kill(b);
	}
}

/* What one pollfd entry belongs to. The stdio pumps come last: they are
 * served after everything else in a round (see step). */
enum slot_kind {
	SLOT_SIGNAL, SLOT_WATCH, SLOT_PID, SLOT_SOCK, SLOT_TIMER, SLOT_IN, SLOT_OUT, SLOT_ERR,
};
struct slot {
	enum slot_kind kind;
	size_t index;
};

#define GB_POLL_MAX (1 + GB_JOB_MAX_WATCHES + 6 * GB_JOB_MAX_BOXES)

static void add_events(struct pollfd *p, struct slot *s, int *n, int fd, short events,
		       enum slot_kind kind, size_t i)
{
	p[*n] = (struct pollfd){ .fd = fd, .events = events };
	s[*n] = (struct slot){ .kind = kind, .index = i };
	(*n)++;
}

static void add(struct pollfd *p, struct slot *s, int *n, int fd, enum slot_kind kind, size_t i)
{
	add_events(p, s, n, fd, POLLIN, kind, i);
}

static void add_pump(struct pollfd *p, struct slot *s, int *n, const struct gb_output *o,
		     enum slot_kind kind, size_t i)
{
	short events = 0;
	int fd = gb_output_poll_fd(o, &events);

	if (fd >= 0)
		add_events(p, s, n, fd, events, kind, i);
}

static struct gb_output *pump_of(struct gb_box *b, enum slot_kind kind)
{
	return kind == SLOT_IN ? &b->in : kind == SLOT_OUT ? &b->out : &b->errout;
}

/* The job was interrupted: drop what the stdio pumps still hold rather than
 * wait for a destination that may never read it. */
static void abandon_output(struct gb_job *job)
{
	for (size_t i = 0; i < GB_JOB_MAX_BOXES; i++) {
		if (job->boxes[i]) {
			gb_output_abandon(&job->boxes[i]->in);
			gb_output_abandon(&job->boxes[i]->out);
			gb_output_abandon(&job->boxes[i]->errout);
		}
	}
}

/* Serve the ready entries of one kind: the stdio pumps or everything else. */
static void dispatch(struct gb_job *job, const struct pollfd *p, const struct slot *s, int n,
		     bool pumps)
{
	for (int k = 0; k < n; k++) {
		struct gb_box *b = s[k].kind >= SLOT_PID ? job->boxes[s[k].index] : NULL;

		if (!p[k].revents || (s[k].kind >= SLOT_IN) != pumps)
			continue;
		switch (s[k].kind) {
		case SLOT_SIGNAL: on_signal(job); abandon_output(job); break;
		case SLOT_WATCH:
			if (job->watches[s[k].index].fd == p[k].fd)
				job->watches[s[k].index].fn(job, p[k].fd, job->watches[s[k].index].arg);
			break;
		case SLOT_PID: gb_box_on_exit(b); break;
		case SLOT_SOCK: gb_box_on_message(b); break;
		case SLOT_TIMER: gb_box_on_tick(b); break;
		case SLOT_IN: case SLOT_OUT: case SLOT_ERR:
			/* A signal this round may have abandoned the pump. */
			if (b && !pump_of(b, s[k].kind)->eof)
				gb_output_pump(pump_of(b, s[k].kind));
			break;
		}
	}
}

/* One round: poll everything once and dispatch; finished boxes are closed.
 * Signals, exits, messages and timers are served before any output, and
 * each pump moves a bounded amount: a sandbox that keeps its pipes full
 * cannot starve the limit checks. */
static void step(struct gb_job *job)
{
	struct pollfd p[GB_POLL_MAX];
	struct slot s[GB_POLL_MAX];
	int n = 0;

	add(p, s, &n, job->sigfd, SLOT_SIGNAL, 0);
	for (size_t i = 0; i < GB_JOB_MAX_WATCHES; i++)
		if (job->watches[i].fd >= 0)
			add(p, s, &n, job->watches[i].fd, SLOT_WATCH, i);
	for (size_t i = 0; i < GB_JOB_MAX_BOXES; i++) {
		struct gb_box *b = job->boxes[i];
		if (!b)
			continue;
		if (!b->init_done)
			add(p, s, &n, b->sb.pidfd, SLOT_PID, i);
		if (b->sb.sock >= 0)
			add(p, s, &n, b->sb.sock, SLOT_SOCK, i);
		if (b->timerfd >= 0)
			add(p, s, &n, b->timerfd, SLOT_TIMER, i);
		add_pump(p, s, &n, &b->in, SLOT_IN, i);
		add_pump(p, s, &n, &b->out, SLOT_OUT, i);
		add_pump(p, s, &n, &b->errout, SLOT_ERR, i);
	}
	if (GB_RETRY(poll(p, (nfds_t)n, -1)) < 0)
		return;
	dispatch(job, p, s, n, false);
	dispatch(job, p, s, n, true);
	for (size_t i = 0; i < GB_JOB_MAX_BOXES; i++) {
		if (job->boxes[i] && gb_box_finished(job->boxes[i])) {
			finish_slot(job, i);
		}
	}
}

void gb_job_wait(struct gb_job *job, const struct gb_result *res)
{
	/* A finished box is closed at the end of the step that saw it finish. */
	for (size_t i = 0; i < GB_JOB_MAX_BOXES; i++) {
		if (job->boxes[i] && gb_box_finished(job->boxes[i])) {
			finish_slot(job, i);
		}
	}
	while (!res->done)
		step(job);
}

void gb_job_run_box(struct gb_job *job, struct gb_sandbox_spec *spec,
		    const struct gb_limits *lim, const struct gb_box_io *io,
		    struct gb_result *res)
{
	gb_job_start_box(job, spec, lim, io, res);
	gb_job_wait(job, res);
}
