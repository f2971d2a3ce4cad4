/* supervisor: see supervisor.h; the process tree of a sandbox is told at
 * the top of sandbox.c. Here: the life of a job and of each of its boxes.
 *
 * A box's life: cgroup (with memory/pids limits) -> optional output pipes ->
 * spawn (clone3 into the cgroup) -> hybrid v1 attach -> GO -> event loop ->
 * verdict -> cgroup killed and removed, box directory removed. The loop
 * wakes on: init's pidfd (the sandbox ended), init's socket (setup error,
 * READY, the command's wait status), output pipes, a timerfd that samples
 * CPU time and disk use and enforces the wall clock, and a signalfd
 * (SIGINT/SIGTERM/SIGHUP to gradebox kill the sandbox and clean up). */
#include "supervisor.h"

#include <fcntl.h>
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
#include "util.h"

#define GB_TICK_MIN_NS (2 * 1000000ull)
#define GB_TICK_MAX_NS (100 * 1000000ull)
#define GB_NS_PER_S 1e9

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
	unsigned long long start = 0;

	memset(job, 0, sizeof(*job));
	job->cfg = cfg;
	job->cg.v2_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	if (gb_cg_detect(cfg, &job->cg_host, err) < 0)
		return -1;
	proc_start_time(getpid(), &start);
	snprintf(job->name, sizeof(job->name), "job-%d-%llu", getpid(), start);
	if (gb_mkdir_p(cfg->run_dir, 0700, err) < 0)
		return gb_context(err, "run directory (run_dir)");
	snprintf(job->dir, sizeof(job->dir), "%s/%s", cfg->run_dir, job->name);
	if (mkdir(job->dir, 0700) < 0)
		return gb_fail_errno(err, "mkdir %s", job->dir);
	if (gb_cg_create(&job->cg_host, NULL, job->name, NULL, &job->cg, err) < 0) {
		rmdir(job->dir);
		return gb_context(err, "job cgroup");
	}
	return 0;
}

int gb_job_close(struct gb_job *job, gb_error *err)
{
	int r = 0;

	if (gb_cg_destroy(&job->cg, err) < 0)
		r = -1;
	if (job->dir[0] && gb_rm_rf(job->dir, r ? NULL : err) < 0)
		r = -1;
	job->dir[0] = '\0';
	return r;
}

int gb_job_gc(const struct gb_config *cfg, unsigned *removed, gb_error *err)
{
	_cleanup_closedir_ DIR *d = opendir(cfg->run_dir);
	struct gb_cg_host host;
	struct dirent *de;
	int n;

	*removed = 0;
	if (d) {
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, "job-", 4) || gb_job_owner_alive(de->d_name))
				continue;
			if (gb_rm_rf_at(dirfd(d), de->d_name, err) < 0)
				return gb_context(err, "%s", cfg->run_dir);
			(*removed)++;
		}
	}
	if (gb_cg_detect(cfg, &host, err) < 0)
		return -1;
	n = gb_cg_gc(&host, gb_job_owner_alive, err);
	if (n < 0)
		return -1;
	*removed += (unsigned)n;
	return 0;
}

/* Everything one running box needs in the loop. */
struct box {
	struct gb_sandbox sb;
	struct gb_cgroup cg;
	struct gb_output out, errout;
	const struct gb_limits *lim;
	struct gb_result *res;
	int scratch_fd, sigfd, timerfd;
	uint64_t started_ns;
	bool init_done, have_status, killed;
	int wait_status;
	char dir[PATH_MAX];
};

static void box_fail(struct box *b, const gb_error *err)
{
	if (b->res->status == GB_STATUS_ERROR)
		return; /* keep the first cause */
	b->res->status = GB_STATUS_ERROR;
	snprintf(b->res->message, sizeof(b->res->message), "%s", err->msg);
}

static void box_kill(struct box *b)
{
	gb_error e = { 0 };

	if (b->killed)
		return;
	b->killed = true;
	if (gb_cg_kill(&b->cg, &e) < 0 && b->sb.pidfd >= 0)
		syscall(SYS_pidfd_send_signal, b->sb.pidfd, SIGKILL, NULL, 0);
}

static void arm_tick(struct box *b, uint64_t cpu_ns)
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

static void check_disk(struct box *b)
{
	struct statfs st;

	if (b->scratch_fd >= 0 && b->lim->disk_bytes && fstatfs(b->scratch_fd, &st) == 0 &&
	    st.f_bavail == 0)
		b->res->disk_full = true;
}

static void on_tick(struct box *b)
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
		box_kill(b);
	} else if (b->lim->wall_time > 0 &&
		   gb_now_ns() - b->started_ns >= (uint64_t)(b->lim->wall_time * GB_NS_PER_S)) {
		b->res->timeout = "wall";
		box_kill(b);
	}
	if (!b->killed)
		arm_tick(b, cpu);
}

static void on_message(struct box *b)
{
	struct gb_msg m;
	gb_error e = { 0 };
	int fd = -1, r = gb_sandbox_recv(&b->sb, &m, &fd, &e);

	if (r <= 0) {
		gb_closep(&b->sb.sock);
		b->sb.sock = -1;
		if (r < 0)
			box_fail(b, &e);
		return;
	}
	switch (m.type) {
	case GB_MSG_ERROR:
		gb_fail(&e, 0, "%s", m.text);
		box_fail(b, &e);
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

static void on_signal(struct box *b)
{
	struct signalfd_siginfo si;

	if (GB_RETRY(read(b->sigfd, &si, sizeof(si))) != sizeof(si))
		return;
	b->res->status = GB_STATUS_SIGNALED;
	b->res->signal = (int)si.ssi_signo;
	snprintf(b->res->message, sizeof(b->res->message),
		 "gradebox was interrupted by %s; the sandbox was killed", strsignal((int)si.ssi_signo));
	box_kill(b);
}

static void loop(struct box *b)
{
	for (;;) {
		struct pollfd p[6];
		int n = 0, ipid = -1, isock = -1, isig, itim, iout = -1, ierr = -1;
		gb_error e = { 0 };

		if (!b->init_done)
			ipid = n, p[n++] = (struct pollfd){ .fd = b->sb.pidfd, .events = POLLIN };
		if (b->sb.sock >= 0)
			isock = n, p[n++] = (struct pollfd){ .fd = b->sb.sock, .events = POLLIN };
		isig = n, p[n++] = (struct pollfd){ .fd = b->sigfd, .events = POLLIN };
		itim = n, p[n++] = (struct pollfd){ .fd = b->timerfd, .events = POLLIN };
		if (b->out.rfd >= 0 && !b->out.eof)
			iout = n, p[n++] = (struct pollfd){ .fd = b->out.rfd, .events = POLLIN };
		if (b->errout.rfd >= 0 && !b->errout.eof)
			ierr = n, p[n++] = (struct pollfd){ .fd = b->errout.rfd, .events = POLLIN };
		/* Done when init is gone and every pipe and the socket are drained. */
		if (b->init_done && isock < 0 && iout < 0 && ierr < 0)
			return;
		if (GB_RETRY(poll(p, n, -1)) < 0)
			return;
		if (iout >= 0 && p[iout].revents && gb_output_pump(&b->out, &e) < 0)
			b->out.eof = true;
		if (ierr >= 0 && p[ierr].revents && gb_output_pump(&b->errout, &e) < 0)
			b->errout.eof = true;
		if (isock >= 0 && p[isock].revents)
			on_message(b);
		if (p[isig].revents)
			on_signal(b);
		if (p[itim].revents)
			on_tick(b);
		if (ipid >= 0 && p[ipid].revents) {
			siginfo_t si = { 0 };
			b->init_done = true;
			waitid(P_PIDFD, (id_t)b->sb.pidfd, &si, WEXITED);
			/* Anything init left (it should be nothing) dies now. */
			box_kill(b);
		}
	}
}

static void verdict(struct box *b)
{
	struct gb_result *res = b->res;
	uint64_t v = 0, ooms = 0;
	gb_error e = { 0 };

	res->wall_time = (gb_now_ns() - b->started_ns) / GB_NS_PER_S;
	if (gb_cg_cpu_usage_ns(&b->cg, &v, &e) == 0)
		res->cpu_time = v / GB_NS_PER_S;
	if (gb_cg_memory_peak(&b->cg, &v, &e) == 0)
		res->memory_peak = v;
	if (gb_cg_oom_kills(&b->cg, &ooms, &e) == 0 && ooms > 0)
		res->oom_killed = true;
	check_disk(b);
	res->output_truncated = b->out.truncated || b->errout.truncated;

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

static int box_setup(struct gb_job *job, struct box *b, struct gb_sandbox_spec *spec,
		     const struct gb_box_io *io, gb_error *err)
{
	struct gb_cg_limits cgl = { .memory_bytes = b->lim->memory_bytes, .pids = b->lim->pids };
	char name[32];
	sigset_t set;

	snprintf(name, sizeof(name), "box-%u", job->nboxes++);
	snprintf(b->dir, sizeof(b->dir), "%s/%s", job->dir, name);
	if (mkdir(b->dir, 0700) < 0)
		return gb_fail_errno(err, "mkdir %s", b->dir);
	if (gb_cg_create(&job->cg_host, &job->cg, name, &cgl, &b->cg, err) < 0)
		return gb_context(err, "sandbox cgroup");

	sigemptyset(&set);
	for (size_t i = 0; i < GB_ARRAY_SIZE(supervisor_signals); i++)
		sigaddset(&set, supervisor_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	b->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	b->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->sigfd < 0 || b->timerfd < 0)
		return gb_fail_errno(err, "signalfd/timerfd");

	spec->stdio[0] = io->stdin_fd;
	spec->stdio[1] = io->stdout_fd;
	spec->stdio[2] = io->stderr_fd;
	if (io->capture) {
		if (gb_output_open(&b->out, io->stdout_fd, b->lim->output_bytes, err) < 0 ||
		    gb_output_open(&b->errout, io->stderr_fd, b->lim->output_bytes, err) < 0)
			return -1;
		spec->stdio[1] = b->out.wfd;
		spec->stdio[2] = b->errout.wfd;
	}
	spec->mount.job_dir = b->dir;
	spec->mount.disk_bytes = b->lim->disk_bytes;
	spec->fsize_bytes = b->lim->fsize_bytes;
	spec->nofile = b->lim->nofile;
	spec->uid_base = job->cfg->uid_base;
	spec->cgroup_fd = b->cg.v2_fd;

	b->started_ns = gb_now_ns();
	if (gb_sandbox_spawn(spec, &b->sb, err) < 0)
		return -1;
	gb_closep(&b->out.wfd);
	gb_closep(&b->errout.wfd);
	b->out.wfd = b->errout.wfd = -1;
	if (gb_cg_attach(&b->cg, b->sb.pid, false, err) < 0)
		return gb_context(err, "sandbox cgroup");
	if (gb_sandbox_go(&b->sb, err) < 0)
		return -1;
	arm_tick(b, 0);
	return 0;
}

void gb_job_run_box(struct gb_job *job, struct gb_sandbox_spec *spec,
		    const struct gb_limits *lim, const struct gb_box_io *io,
		    struct gb_result *res)
{
	struct box b = { .lim = lim, .res = res, .scratch_fd = -1, .sigfd = -1, .timerfd = -1 };
	gb_error err = { 0 };

	memset(res, 0, sizeof(*res));
	res->status = GB_STATUS_EXITED;
	b.cg.v2_fd = -1;
	b.sb.pid = -1;
	b.sb.pidfd = b.sb.sock = b.sb.userns_fd = -1;
	b.out.rfd = b.out.wfd = b.errout.rfd = b.errout.wfd = -1;

	if (box_setup(job, &b, spec, io, &err) < 0) {
		box_fail(&b, &err);
		if (b.sb.pidfd >= 0) {
			box_kill(&b);
			b.init_done = false;
			gb_closep(&b.sb.sock);
			b.sb.sock = -1;
			gb_closep(&b.out.rfd);
			gb_closep(&b.errout.rfd);
			b.out.rfd = b.errout.rfd = -1;
			loop(&b);
		}
	} else {
		loop(&b);
	}
	verdict(&b);

	/* Leave nothing: the sandbox is dead; its mounts died with its mount
	 * namespace; remove the cgroup and the (empty) box directory. */
	gb_output_close(&b.out);
	gb_output_close(&b.errout);
	gb_sandbox_close(&b.sb);
	gb_closep(&b.scratch_fd);
	gb_closep(&b.sigfd);
	gb_closep(&b.timerfd);
	if (gb_cg_destroy(&b.cg, &err) < 0 || (b.dir[0] && gb_rm_rf(b.dir, &err) < 0)) {
		if (res->status != GB_STATUS_ERROR) {
			res->status = GB_STATUS_ERROR;
			res->exit_code = GB_EXIT_FAILURE;
			snprintf(res->message, sizeof(res->message), "cleanup: %s", err.msg);
		}
	}
}
