/* box: one sandbox of a job, from its cgroup to its verdict.
 *
 * A box's life: cgroup (with memory/pids limits) -> stdio pipes ->
 * spawn (clone3 into the cgroup) -> hybrid v1 attach -> GO -> events, fed by
 * the job's loop (job.c) -> verdict -> cgroup killed and removed, box
 * (nothing else to remove: the box's files lived in its own mount namespace). Events: init's pidfd (the sandbox ended), init's
 * socket (setup error, READY, the command's wait status), the stdio
 * pumps (output.h), and a timerfd that samples CPU time and disk use and enforces the
 * wall clock. */
#include "box.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "codes.h"
#include "netns.h"
#include "util.h"

#define GB_TICK_MIN_NS (2 * 1000000ull)
#define GB_TICK_MAX_NS (100 * 1000000ull)
#define GB_NS_PER_S 1e9

void gb_box_fail(struct gb_box *b, const gb_error *err)
{
	if (b->res->status == GB_STATUS_ERROR)
		return; /* keep the first cause */
	b->res->status = GB_STATUS_ERROR;
	snprintf(b->res->message, sizeof(b->res->message), "%s", err->msg);
}

void gb_box_kill(struct gb_box *b)
{
	gb_error e = { 0 };

	if (b->killed)
		return;
	b->killed = true;
	if (gb_cg_kill(&b->cg, &e) < 0 && b->sb.pidfd >= 0)
		syscall(SYS_pidfd_send_signal, b->sb.pidfd, SIGKILL, NULL, 0);
}

static void arm_tick(struct gb_box *b, uint64_t cpu_ns)
{
	uint64_t next = GB_TICK_MAX_NS;
	struct itimerspec its = { 0 };

	/* Sample often enough to stop within a few percent of the CPU limit even
	 * with every core busy. */
	if (b->lim->cpu_time > 0) {
		uint64_t limit = (uint64_t)(b->lim->cpu_time * GB_NS_PER_S);
		uint64_t left = limit > cpu_ns ? limit - cpu_ns : 0;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		next = left / (4 * (uint64_t)(ncpu > 0 ? ncpu : 1));
	}
	if (b->lim->wall_time > 0) {
		uint64_t deadline = b->started_ns + (uint64_t)(b->lim->wall_time * GB_NS_PER_S);
		uint64_t now = gb_now_ns();
		uint64_t left = deadline > now ? deadline - now : 0;
		if (left < next)
			next = left;
	}
	if (next < GB_TICK_MIN_NS)
		next = GB_TICK_MIN_NS;
	if (next > GB_TICK_MAX_NS)
		next = GB_TICK_MAX_NS;
	its.it_value.tv_sec = next / 1000000000ull;
	its.it_value.tv_nsec = next % 1000000000ull;
	timerfd_settime(b->timerfd, 0, &its, NULL);
}

static void check_disk(struct gb_box *b)
{
	struct statfs st;

	if (b->scratch_fd >= 0 && b->lim->disk_bytes && fstatfs(b->scratch_fd, &st) == 0 &&
	    st.f_bavail == 0)
		b->res->disk_full = true;
}

void gb_box_on_tick(struct gb_box *b)
{
	uint64_t cpu = 0, expirations;
	gb_error e = { 0 };

	(void)!read(b->timerfd, &expirations, sizeof(expirations));
	if (b->init_done)
		return;
	check_disk(b);
	gb_cg_cpu_usage_ns(&b->cg, &cpu, &e);
	if (b->lim->cpu_time > 0 && cpu >= (uint64_t)(b->lim->cpu_time * GB_NS_PER_S)) {
		b->res->timeout = "cpu";
		gb_box_kill(b);
	} else if (b->lim->wall_time > 0 &&
		   gb_now_ns() - b->started_ns >= (uint64_t)(b->lim->wall_time * GB_NS_PER_S)) {
		b->res->timeout = "wall";
		gb_box_kill(b);
	}
	if (!b->killed)
		arm_tick(b, cpu);
}

void gb_box_on_message(struct gb_box *b)
{
	struct gb_msg m;
	gb_error e = { 0 };
	int fd = -1, r = gb_sandbox_recv(&b->sb, &m, &fd, &e);

	if (r <= 0) {
		gb_closep(&b->sb.sock);
		if (r < 0)
			gb_box_fail(b, &e);
		return;
	}
	switch (m.type) {
	case GB_MSG_ERROR:
		gb_fail(&e, 0, "%s", m.text);
		gb_box_fail(b, &e);
		break;
	case GB_MSG_READY:
		if (fd >= 0 && b->scratch_fd < 0)
			b->scratch_fd = gb_steal_fd(&fd);
		break;
	case GB_MSG_STATUS:
		b->wait_status = m.value;
		b->have_status = true;
		break;
	}
	gb_closep(&fd);
}

static void verdict(struct gb_box *b)
{
	struct gb_result *res = b->res;
	uint64_t v = 0, ooms = 0;
	gb_error e = { 0 };

	/* Until the sandbox died, not until its last output was delivered (a
	 * slow reader of gradebox's stdout is not the sandbox's time). */
	res->wall_time = ((b->ended_ns ? b->ended_ns : gb_now_ns()) - b->started_ns) / GB_NS_PER_S;
	if (gb_cg_cpu_usage_ns(&b->cg, &v, &e) == 0)
		res->cpu_time = v / GB_NS_PER_S;
	if (gb_cg_memory_peak(&b->cg, &v, &e) == 0)
		res->memory_peak = v;
	if (gb_cg_oom_kills(&b->cg, &ooms, &e) == 0 && ooms > 0)
		res->oom_killed = true;
	check_disk(b);
	res->output_truncated = b->out.truncated || b->errout.truncated;
	/* The last tick may have come too late or never (a loop kept busy):
	 * the final figure decides. */
	if (!res->timeout && b->lim->cpu_time > 0 && res->cpu_time >= b->lim->cpu_time)
		res->timeout = "cpu";

	if (res->status == GB_STATUS_ERROR) {
		res->exit_code = GB_EXIT_FAILURE;
	} else if (res->status == GB_STATUS_SIGNALED) {
		res->exit_code = 128 + res->signal;
	} else if (res->timeout) {
		res->status = GB_STATUS_TIMEOUT;
		res->exit_code = GB_EXIT_TIMEOUT;
		snprintf(res->message, sizeof(res->message), "%s time limit of %gs exceeded",
			 !strcmp(res->timeout, "cpu") ? "CPU" : "wall",
			 !strcmp(res->timeout, "cpu") ? b->lim->cpu_time : b->lim->wall_time);
	} else if (res->oom_killed) {
		res->status = GB_STATUS_MEMORY;
		res->exit_code = GB_EXIT_MEMORY;
		snprintf(res->message, sizeof(res->message),
			 "memory limit of %" PRIu64 " MB exceeded (OOM kill)",
			 b->lim->memory_bytes >> 20);
	} else if (!b->have_status) {
		res->status = GB_STATUS_ERROR;
		res->exit_code = GB_EXIT_FAILURE;
		snprintf(res->message, sizeof(res->message), "the sandbox ended before its command");
	} else if (WIFSIGNALED(b->wait_status)) {
		res->status = GB_STATUS_SIGNALED;
		res->signal = WTERMSIG(b->wait_status);
		res->exit_code = 128 + res->signal;
	} else {
		res->status = GB_STATUS_EXITED;
		res->exit_code = WEXITSTATUS(b->wait_status);
	}
	if (res->disk_full && (res->status == GB_STATUS_EXITED || res->status == GB_STATUS_SIGNALED)) {
		res->status = GB_STATUS_DISK;
		snprintf(res->message, sizeof(res->message), "disk limit of %" PRIu64 " MB reached",
			 b->lim->disk_bytes >> 20);
	}
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int box_setup(struct gb_job *job, struct gb_box *b, struct gb_sandbox_spec *spec,
		     const struct gb_box_io *io, gb_error *err)
{
	struct gb_cg_limits cgl = { .memory_bytes = b->lim->memory_bytes, .pids = b->lim->pids };
	_cleanup_close_ int netns = -1, filter = -1;
	char name[32];
	int r;

	snprintf(name, sizeof(name), "box-%u", job->nboxes++);
	if (gb_cg_create(&job->cg_host, &job->cg, name, &cgl, &b->cg, err) < 0)
		return gb_context(err, "sandbox cgroup");

	b->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->timerfd < 0)
		return gb_fail_errno(err, "timerfd");

	/* Pipes only: never the caller's files or tty (see output.h); direct
	 * only for fds that are a sandbox's own already (run_student). Where
	 * stdout and stderr are one file (a terminal, `2>&1`), one pipe
	 * serves both, so their lines keep their order. */
	if (io->direct) {
		spec->stdio[0] = io->stdin_fd;
		spec->stdio[1] = io->stdout_fd;
		spec->stdio[2] = io->stderr_fd;
	} else if (gb_output_open_input(&b->in, io->stdin_fd, err) < 0 ||
	    gb_output_open(&b->out, io->stdout_fd, b->lim->output_bytes, err) < 0 ||
	    (!same_file(io->stdout_fd, io->stderr_fd) &&
	     gb_output_open(&b->errout, io->stderr_fd, b->lim->output_bytes, err) < 0))
		return -1;
	if (!io->direct) {
		spec->stdio[0] = b->in.sandbox_end;
		spec->stdio[1] = b->out.sandbox_end;
		spec->stdio[2] = b->errout.sandbox_end >= 0 ? b->errout.sandbox_end
							     : b->out.sandbox_end;
	}
	spec->mount.job_dir = job->cfg->run_dir;
	if (job->scratch_fd >= 0) {
		if (mkdirat(job->scratch_fd, name, 0755) < 0)
			return gb_fail_errno(err, "make the box directory %s", name);
		snprintf(b->job_dir, sizeof(b->job_dir), "%s/%s", job->cfg->run_dir, name);
		spec->mount.job_dir = b->job_dir;
		spec->mount.scratch_ready = true;
	}
	spec->mount.disk_bytes = b->lim->disk_bytes;
	spec->fsize_bytes = b->lim->fsize_bytes;
	spec->nofile = b->lim->nofile;
	spec->uid_base = job->cfg->uid_base;
	spec->uid_slots = job->cfg->uid_slots;
	spec->cgroup_fd = b->cg.v2_fd;

	if (gb_cg_open_self_attach(&b->cg, spec->cg_attach_fds, err) < 0)
		return gb_context(err, "sandbox cgroup");
	b->started_ns = gb_now_ns();
	r = gb_sandbox_spawn(spec, &b->sb, err);
	gb_cg_close_self_attach(spec->cg_attach_fds);
	if (r < 0)
		return -1;
	/* While init builds the filesystem on another CPU. */
	if (spec->netns_fd) {
		netns = fcntl(*spec->netns_fd, F_DUPFD_CLOEXEC, 3);
		if (netns < 0)
			return gb_fail_errno(err, "duplicate the net namespace to join");
	} else if (!spec->host_network && gb_netns_make(&netns, err) < 0) {
		return -1;
	}
	if (spec->seccomp_profile &&
	    gb_seccomp_compile(spec->seccomp_profile,
			       (spec->root ? 0 : GB_SECCOMP_NONROOT) |
				       (spec->nested ? GB_SECCOMP_NESTED : 0),
			       &filter, err) < 0)
		return -1;
	if (gb_sandbox_go(&b->sb, netns, filter, err) < 0)
		return -1;
	gb_closep(&b->in.sandbox_end);
	gb_closep(&b->out.sandbox_end);
	gb_closep(&b->errout.sandbox_end);
	arm_tick(b, 0);
	return 0;
}

int gb_box_start(struct gb_job *job, struct gb_sandbox_spec *spec, const struct gb_limits *lim,
		 const struct gb_box_io *io, struct gb_result *res, struct gb_box **out)
{
	struct gb_box *b = calloc(1, sizeof(*b));
	gb_error err = { 0 };

	memset(res, 0, sizeof(*res));
	res->status = GB_STATUS_EXITED;
	*out = NULL;
	if (!b) {
		res->status = GB_STATUS_ERROR;
		res->exit_code = GB_EXIT_FAILURE;
		snprintf(res->message, sizeof(res->message), "out of memory");
		res->done = true;
		return -1;
	}
	b->lim = lim;
	b->res = res;
	b->scratch_fd = b->timerfd = -1;
	b->cg.v2_fd = -1;
	gb_sandbox_init(&b->sb);
	gb_output_init(&b->in);
	gb_output_init(&b->out);
	gb_output_init(&b->errout);
	*out = b;
	if (box_setup(job, b, spec, io, &err) == 0)
		return 0;
	gb_box_fail(b, &err);
	/* Whatever was started is killed; the loop still reaps it. */
	gb_box_kill(b);
	gb_closep(&b->sb.sock);
	gb_output_close(&b->in);
	gb_output_close(&b->out);
	gb_output_close(&b->errout);
	if (b->sb.pidfd < 0)
		b->init_done = true;
	return 0;
}

void gb_box_on_exit(struct gb_box *b)
{
	siginfo_t si = { 0 };

	b->init_done = true;
	b->ended_ns = gb_now_ns();
	waitid(P_PIDFD, (id_t)b->sb.pidfd, &si, WEXITED);
	/* Anything init left (it should be nothing) dies now. */
	gb_box_kill(b);
}

bool gb_box_finished(const struct gb_box *b)
{
	/* Not the stdin pump: what the command did not read is dropped. */
	return b->init_done && b->sb.sock < 0 && b->out.eof && b->errout.eof;
}

void gb_box_finish(struct gb_box *b)
{
	struct gb_result *res = b->res;
	gb_error err = { 0 };

	verdict(b);
	/* Leave nothing: the sandbox is dead and its mounts died with its mount
	 * namespace; remove the cgroup. */
	gb_output_close(&b->in);
	gb_output_close(&b->out);
	gb_output_close(&b->errout);
	gb_sandbox_close(&b->sb);
	gb_closep(&b->scratch_fd);
	gb_closep(&b->timerfd);
	if (gb_cg_destroy(&b->cg, &err) < 0) {
		if (res->status != GB_STATUS_ERROR) {
			res->status = GB_STATUS_ERROR;
			res->exit_code = GB_EXIT_FAILURE;
			snprintf(res->message, sizeof(res->message), "cleanup: %s", err.msg);
		}
	}
	res->done = true;
	free(b);
}
