/* test_cgroup: the cgroup backend on this host, as the supervisor uses it.
 * Needs root and a usable cgroup layout (v2 or hybrid); skips otherwise.
 * Every test removes the cgroups it made. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup.h"
#include "tap.h"
#include "util.h"

#define MIB (1024ull * 1024)
#define TEST_MEMORY (64 * MIB)
#define TEST_PIDS 10
#define BUSY_NS 300000000ull /* CPU time a busy child burns */

static struct gb_cg_host host;
static char name_buf[64];

static const char *cg_name(const char *what)
{
	snprintf(name_buf, sizeof(name_buf), "test-%d-%s", (int)getpid(), what);
	return name_buf;
}

static void diag(const char *what, const gb_error *err)
{
	printf("# %s: %s\n", what, err->msg);
}

static bool gone(const char *path)
{
	struct stat st;

	return !path[0] || (stat(path, &st) < 0 && errno == ENOENT);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The first line of dir/name, or "" when unreadable. */
static const char *read_line(const char *dir, const char *name)
{
	static char buf[256];
	char path[PATH_MAX];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return buf;
	if (fgets(buf, sizeof(buf), f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return buf;
}

/* Our cgroup in one hierarchy from /proc/self/cgroup ("" for the root). */
static void own_path(const char *ctrl, char *out, size_t size)
{
	char line[PATH_MAX + 64];
	FILE *f = fopen("/proc/self/cgroup", "re");

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		line[strcspn(line, "\n")] = '\0';
		if (!p)
			continue;
		*c = *p++ = '\0';
		if ((!ctrl && !strcmp(line, "0") && !c[1]) || (ctrl && !strcmp(c + 1, ctrl))) {
			snprintf(out, size, "%s", strcmp(p, "/") ? p : "");
			break;
		}
	}
	if (f)
		fclose(f);
}

static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static int wait_status(pid_t pid)
{
	int st = -1;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

/* Fork a child that runs fn(arg) once the parent has put it into cg. */
static pid_t spawn_in(const struct gb_cgroup *cg, void (*fn)(void *), void *arg)
{
	int go[2];
	pid_t pid;
	gb_error err = { 0 };
	char c;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(99);
		fn(arg);
		_exit(0);
	}
	close(go[0]);
	if (pid > 0 && gb_cg_attach(cg, pid, true, &err) < 0) {
		diag("attach", &err);
		kill(pid, SIGKILL);
	}
	if (write(go[1], "x", 1) != 1)
		kill(pid, SIGKILL);
	close(go[1]);
	return pid;
}

static void busy(void *arg)
{
	struct timespec ts;

	do
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	while ((uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec < BUSY_NS);
}

static void sleeper(void *arg)
{
	for (;;)
		pause();
}

static void eat_memory(void *arg)
{
	size_t size = 4 * TEST_MEMORY;
	volatile char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(2);
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	_exit(0);
}

/* Fork until the kernel says no; exit with how many forks worked. */
static void fork_bomb(void *arg)
{
	for (int n = 0; n < 2 * TEST_PIDS; n++) {
		pid_t pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0)
			_exit(errno == EAGAIN ? n : 200);
	}
	_exit(201);
}

/* Ignore SIGTERM, double-fork a session leader that also ignores it, and
 * report its pid on the fd in arg. */
static void stubborn(void *arg)
{
	int fd = *(int *)arg;
	pid_t pid;

	signal(SIGTERM, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		if (fork() == 0) {
			pid_t me = getpid();
			setsid();
			if (write(fd, &me, sizeof(me)) != sizeof(me))
				_exit(1);
			for (;;)
				pause();
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	for (;;)
		pause();
}

static bool host_is_v2(void)
{
	struct statfs st;

	return statfs(GB_CG_MOUNT, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

/* Where the bases must be: below our own cgroup in each hierarchy (our
 * supervisors' leaf counting as its parent). */
static void expected_bases(char want[3][PATH_MAX + 64])
{
	static const char leaf[] = "/" GB_CG_SUPERVISORS;
	bool v2 = host_is_v2();
	char own[PATH_MAX];
	size_t len;

	own_path(NULL, own, sizeof(own));
	len = strlen(own);
	if (len >= strlen(leaf) && !strcmp(own + len - strlen(leaf), leaf))
		own[len - strlen(leaf)] = '\0';
	snprintf(want[0], sizeof(want[0]), "%s%s/" GB_CG_BASE, v2 ? GB_CG_MOUNT : GB_CG_UNIFIED,
		 own);
	want[1][0] = want[2][0] = '\0';
	if (v2)
		return;
	own_path("memory", own, sizeof(own));
	snprintf(want[1], sizeof(want[1]), GB_CG_V1_MEMORY "%s/" GB_CG_BASE, own);
	own_path("pids", own, sizeof(own));
	snprintf(want[2], sizeof(want[2]), GB_CG_V1_PIDS "%s/" GB_CG_BASE, own);
}

static void test_detect(void)
{
	bool v2 = host_is_v2();
	char want[3][PATH_MAX + 64];
	gb_error err = { 0 };
	struct gb_config cfg = { 0 };

	if (gb_cg_detect(&cfg, &host, &err) < 0) {
		diag("detect", &err);
		TAP_OK(0, "detect finds a cgroup backend");
	} else {
		TAP_OK(1, "detect finds a cgroup backend");
	}
	TAP_OK(host.backend == (v2 ? GB_CG_V2 : GB_CG_HYBRID),
	       v2 ? "detect picks v2 on a cgroup2 host" : "detect picks hybrid on this host");
	TAP_OK(host.why[0] != '\0', "detect explains its choice");
	printf("# %s\n", host.why);

	expected_bases(want);
	TAP_OK(!strcmp(host.v2_base, want[0]) && is_dir(want[0]),
	       "v2 base is below our own v2 cgroup");
	printf("# v2 base %s, expected %s\n", host.v2_base, want[0]);
	if (!v2) {
		TAP_OK(!strcmp(host.mem_base, want[1]) && is_dir(want[1]),
		       "memory base is below our own v1 memory cgroup");
		TAP_OK(!strcmp(host.pids_base, want[2]) && is_dir(want[2]),
		       "pids base is below our own v1 pids cgroup");
	}
}

static void test_limits_written(void)
{
	struct gb_cg_limits lim = { .memory_bytes = TEST_MEMORY, .pids = TEST_PIDS };
	struct gb_cgroup cg;
	gb_error err = { 0 };
	bool v2 = host.backend == GB_CG_V2;
	char mem[32], pids[32];
	struct stat st;

	snprintf(mem, sizeof(mem), "%llu", TEST_MEMORY);
	snprintf(pids, sizeof(pids), "%d", TEST_PIDS);
	if (gb_cg_create(&host, NULL, cg_name("limits"), &lim, &cg, &err) < 0) {
		diag("create", &err);
		TAP_OK(0, "create sets the memory and pids limits");
		return;
	}
	TAP_OK(!strcmp(read_line(v2 ? cg.v2_path : cg.mem_path,
				 v2 ? "memory.max" : "memory.limit_in_bytes"), mem),
	       "create writes the memory limit");
	if (v2)
		TAP_OK(gone(cg.v2_path) || !*read_line(cg.v2_path, "memory.swap.max") ||
		       !strcmp(read_line(cg.v2_path, "memory.swap.max"), "0"),
		       "create allows no swap");
	else
		TAP_OK(!*read_line(cg.mem_path, "memory.memsw.limit_in_bytes") ||
		       !strcmp(read_line(cg.mem_path, "memory.memsw.limit_in_bytes"), mem),
		       "create allows no swap");
	TAP_OK(!strcmp(read_line(v2 ? cg.v2_path : cg.pids_path, "pids.max"), pids),
	       "create writes the pids limit");
	TAP_OK(cg.v2_fd >= 0 && fstat(cg.v2_fd, &st) == 0 && S_ISDIR(st.st_mode),
	       "create opens the cgroup directory for clone3");
	TAP_OK(gb_cg_destroy(&cg, &err) == 0, "destroy an idle cgroup");
}

static void test_create_failures(void)
{
	struct gb_cg_limits bad = { .pids = 10000000000ull }; /* above PID_MAX_LIMIT */
	struct gb_cgroup cg, dup;
	gb_error err = { 0 };
	char v2[PATH_MAX + 64], mem[PATH_MAX + 64], pids[PATH_MAX + 64];
	const char *name = cg_name("half");

	snprintf(v2, sizeof(v2), "%s/%s", host.v2_base, name);
	snprintf(mem, sizeof(mem), "%s/%s", host.mem_base, name);
	snprintf(pids, sizeof(pids), "%s/%s", host.pids_base, name);
	TAP_OK(gb_cg_create(&host, NULL, name, &bad, &cg, &err) < 0 &&
	       strstr(err.msg, "pids.max"), "a limit the kernel refuses fails create, naming the file");
	TAP_OK(gone(v2) && (!host.mem_base[0] || (gone(mem) && gone(pids))),
	       "a failed create leaves no half cgroup");
	TAP_OK(gb_cg_create(&host, NULL, "a/b", NULL, &cg, &err) < 0, "create refuses a name with '/'");

	if (gb_cg_create(&host, NULL, name, NULL, &cg, &err) < 0) {
		diag("create", &err);
		return;
	}
	TAP_OK(gb_cg_create(&host, NULL, name, NULL, &dup, &err) < 0 && err.errnum == EEXIST &&
	       is_dir(cg.v2_path), "create refuses a name in use and leaves that cgroup alone");
	gb_cg_destroy(&cg, &err);
}

static pid_t clone_into(int cgfd)
{
	struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
				   .cgroup = (uint64_t)cgfd };

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

static void test_cpu_usage(void)
{
	struct gb_cgroup cg;
	gb_error err = { 0 };
	uint64_t before = 1, after = 0, final = 0;
	pid_t pid;
	int st;

	if (gb_cg_create(&host, NULL, cg_name("cpu"), NULL, &cg, &err) < 0) {
		diag("create", &err);
		TAP_OK(0, "cpu usage counts an attached child");
		return;
	}
	gb_cg_cpu_usage_ns(&cg, &before, &err);
	pid = spawn_in(&cg, busy, NULL);
	st = wait_status(pid);
	TAP_OK(gb_cg_cpu_usage_ns(&cg, &after, &err) == 0 && WIFEXITED(st) &&
	       after >= before + BUSY_NS * 8 / 10, "cpu usage counts an attached child's busy loop");
	printf("# cpu usage %llu -> %llu ns\n", (unsigned long long)before,
	       (unsigned long long)after);

	/* The supervisor's way: clone3 straight into the v2 cgroup, then the
	 * v1 controllers. */
	pid = clone_into(cg.v2_fd);
	if (pid == 0) {
		busy(NULL);
		_exit(0);
	}
	if (pid > 0 && gb_cg_attach(&cg, pid, false, &err) < 0)
		diag("attach", &err);
	st = pid > 0 ? wait_status(pid) : -1;
	TAP_OK(pid > 0 && WIFEXITED(st) && gb_cg_cpu_usage_ns(&cg, &final, &err) == 0 &&
	       final >= after + BUSY_NS * 8 / 10,
	       "cpu usage counts a child cloned into the cgroup (CLONE_INTO_CGROUP)");
	gb_cg_destroy(&cg, &err);
}

static void test_oom(void)
{
	struct gb_cg_limits lim = { .memory_bytes = TEST_MEMORY, .pids = TEST_PIDS };
	struct gb_cgroup job, sbx;
	gb_error err = { 0 };
	uint64_t kills = 0, job_kills = 0, peak = 0;
	char job_v2[PATH_MAX], sbx_v2[PATH_MAX], sbx_mem[PATH_MAX];
	pid_t pid;
	int st;

	if (gb_cg_create(&host, NULL, cg_name("oomjob"), NULL, &job, &err) < 0 ||
	    gb_cg_create(&host, &job, "sandbox", &lim, &sbx, &err) < 0) {
		diag("create", &err);
		TAP_OK(0, "a child past the memory limit is OOM-killed");
		gb_cg_destroy(&job, &err);
		return;
	}
	pid = spawn_in(&sbx, eat_memory, NULL);
	st = wait_status(pid);
	TAP_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	       "a child past the memory limit is OOM-killed");
	TAP_OK(gb_cg_oom_kills(&sbx, &kills, &err) == 0 && kills >= 1,
	       "oom_kills counts the kill in the sandbox cgroup");
	TAP_OK(gb_cg_oom_kills(&job, &job_kills, &err) == 0 && job_kills >= 1,
	       "oom_kills of the job counts kills in its sandboxes");
	TAP_OK(gb_cg_memory_peak(&sbx, &peak, &err) == 0 &&
	       (peak == 0 || (peak >= TEST_MEMORY / 2 && peak <= TEST_MEMORY + MIB)),
	       "memory peak is near the limit (or 0 where the kernel keeps none)");
	printf("# oom kills %llu (job %llu), peak %llu\n", (unsigned long long)kills,
	       (unsigned long long)job_kills, (unsigned long long)peak);

	strcpy(job_v2, job.v2_path);
	strcpy(sbx_v2, sbx.v2_path);
	strcpy(sbx_mem, sbx.mem_path);
	TAP_OK(gb_cg_destroy(&job, &err) == 0 && gone(job_v2) && gone(sbx_v2) && gone(sbx_mem),
	       "destroying a job removes its sandbox cgroups");
	sbx.v2_path[0] = '\0'; /* went with its job */
	gb_cg_destroy(&sbx, &err);
}

static void test_pids_limit(void)
{
	struct gb_cg_limits lim = { .pids = TEST_PIDS };
	struct gb_cgroup cg;
	gb_error err = { 0 };
	uint64_t n = 0;
	pid_t pid;
	int st;

	if (gb_cg_create(&host, NULL, cg_name("pids"), &lim, &cg, &err) < 0) {
		diag("create", &err);
		TAP_OK(0, "the pids limit makes fork fail");
		return;
	}
	pid = spawn_in(&cg, fork_bomb, NULL);
	st = wait_status(pid);
	TAP_OK(WIFEXITED(st) && WEXITSTATUS(st) == TEST_PIDS - 1,
	       "the pids limit makes fork fail with EAGAIN at the limit");
	printf("# forks before EAGAIN: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	TAP_OK(gb_cg_pids_current(&cg, &n, &err) == 0 && n == TEST_PIDS - 1,
	       "pids_current counts the processes left");
	TAP_OK(gb_cg_kill(&cg, &err) == 0 && !gb_cg_populated(&cg), "kill empties the cgroup");
	reap_all();
	gb_cg_destroy(&cg, &err);
}

static void kill_test(bool fallback)
{
	const char *what = fallback ? "freeze+kill fallback kills" : "kill kills";
	char name[128];
	struct gb_cgroup cg;
	gb_error err = { 0 };
	int p[2], st;
	pid_t pid, gg = -1;

	snprintf(name, sizeof(name), "%s a SIGTERM-proof child and its double-forked daemon",
		 what);
	if (pipe2(p, O_CLOEXEC) < 0 ||
	    gb_cg_create(&host, NULL, cg_name(fallback ? "killfb" : "kill"), NULL, &cg, &err) < 0) {
		diag("create", &err);
		TAP_OK(0, name);
		return;
	}
	pid = spawn_in(&cg, stubborn, &p[1]);
	close(p[1]);
	if (read(p[0], &gg, sizeof(gg)) != sizeof(gg))
		gg = -1;
	close(p[0]);
	kill(pid, SIGTERM);
	kill(gg, SIGTERM);
	TAP_OK(gb_cg_populated(&cg), "populated while processes run");
	if (fallback) {
		int r = gb_cg_kill_fallback(&cg, &err);
		for (int i = 0; i < 200 && gb_cg_populated(&cg); i++)
			usleep(10000);
		TAP_OK(r == 0 && !gb_cg_populated(&cg), "fallback empties the cgroup");
	} else {
		TAP_OK(gb_cg_kill(&cg, &err) == 0 && !gb_cg_populated(&cg),
		       "kill returns once the cgroup is empty");
	}
	st = wait_status(pid);
	TAP_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && gg > 0 &&
	       (st = wait_status(gg), WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL), name);
	gb_cg_destroy(&cg, &err);
}

static void test_destroy(void)
{
	struct gb_cgroup job, sbx, zero;
	gb_error err = { 0 };
	char paths[4][PATH_MAX];
	pid_t pid;
	int st;
	bool stdin_open = fcntl(0, F_GETFD) >= 0;

	if (gb_cg_create(&host, NULL, cg_name("destroy"), NULL, &job, &err) < 0 ||
	    gb_cg_create(&host, &job, "sandbox", NULL, &sbx, &err) < 0) {
		diag("create", &err);
		TAP_OK(0, "destroy removes a running job");
		return;
	}
	pid = spawn_in(&sbx, sleeper, NULL);
	strcpy(paths[0], job.v2_path);
	strcpy(paths[1], job.mem_path);
	strcpy(paths[2], job.pids_path);
	strcpy(paths[3], sbx.v2_path);
	TAP_OK(gb_cg_destroy(&job, &err) == 0, "destroy a job with a running sandbox");
	st = wait_status(pid);
	TAP_OK(WIFSIGNALED(st) && gone(paths[0]) && gone(paths[1]) && gone(paths[2]) &&
	       gone(paths[3]), "destroy kills and leaves no directory in any hierarchy");
	TAP_OK(gb_cg_destroy(&job, &err) == 0, "destroy twice is harmless");
	close(sbx.v2_fd);

	memset(&zero, 0, sizeof(zero));
	TAP_OK(gb_cg_destroy(&zero, &err) == 0 && (!stdin_open || fcntl(0, F_GETFD) >= 0),
	       "destroy of a zeroed cgroup does nothing (and keeps fd 0)");
	zero.v2_fd = -1;
	TAP_OK(gb_cg_destroy(&zero, &err) == 0, "destroy of an empty cgroup with fd -1");
}

static void test_gc(void)
{
	struct gb_cgroup dead, dead_box, live;
	gb_error err = { 0 };
	char dead_name[64], live_name[64], dead_paths[5][PATH_MAX];
	pid_t pid = fork();
	int n;

	if (pid == 0)
		_exit(0);
	wait_status(pid);
	snprintf(dead_name, sizeof(dead_name), GB_CG_JOB_PREFIX "%d-0", (int)pid);
	if (gb_cg_job_name(getpid(), live_name, sizeof(live_name), &err) < 0 ||
	    gb_cg_create(&host, NULL, dead_name, NULL, &dead, &err) < 0 ||
	    gb_cg_create(&host, &dead, "box-0", NULL, &dead_box, &err) < 0 ||
	    gb_cg_create(&host, NULL, live_name, NULL, &live, &err) < 0) {
		diag("create", &err);
		TAP_OK(0, "gc removes the cgroups of dead supervisors");
		return;
	}
	TAP_OK(!gb_cg_job_alive(dead_name) && gb_cg_job_alive(live_name) &&
	       gb_cg_job_alive("job-bogus"), "job_alive tells dead supervisors from live ones");
	strcpy(dead_paths[0], dead.v2_path);
	strcpy(dead_paths[1], dead.mem_path);
	strcpy(dead_paths[2], dead.pids_path);
	/* hybrid: <job>.box-0 right under the v1 bases; else below the job */
	strcpy(dead_paths[3], dead_box.mem_path);
	strcpy(dead_paths[4], dead_box.pids_path);
	close(dead.v2_fd);
	close(dead_box.v2_fd);
	n = gb_cg_gc(&host, NULL, &err);
	if (n < 0)
		diag("gc", &err);
	TAP_OK(n >= 1 && gone(dead_paths[0]) && gone(dead_paths[1]) && gone(dead_paths[2]) &&
		       gone(dead_paths[3]) && gone(dead_paths[4]),
	       "gc removes the cgroups of dead supervisors, their sandboxes' too");
	TAP_OK(is_dir(live.v2_path) && (!live.mem_path[0] || is_dir(live.mem_path)),
	       "gc keeps the cgroup of a live supervisor");
	gb_cg_destroy(&live, &err);
}

int main(void)
{
	char bases[3][PATH_MAX + 64];
	bool had_base[3];

	/* One line for each test below; keep it in step. */
	TAP_PLAN(39);

	if (geteuid() != 0) {
		TAP_SKIP_REST("the cgroup tests need root");
		return TAP_DONE();
	}
	/* Orphans of the tests (double-forked daemons) come back to us. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Remove at the end only the bases this test made. */
	expected_bases(bases);
	for (int i = 0; i < 3; i++)
		had_base[i] = bases[i][0] && is_dir(bases[i]);

	test_detect();
	if (host.backend == GB_CG_NONE) {
		TAP_SKIP_REST("no usable cgroup backend");
		return TAP_DONE();
	}
	test_limits_written();
	test_create_failures();
	test_cpu_usage();
	test_oom();
	test_pids_limit();
	kill_test(false);
	kill_test(true);
	test_destroy();
	test_gc();
	reap_all();

	for (int i = 0; i < 3; i++)
		if (bases[i][0] && !had_base[i])
			rmdir(bases[i]); /* fails harmlessly while others use it */
	return TAP_DONE();
}
