/* Unit tests: one job owning several sandboxes at once, each with its own
 * cgroup, limits and verdict (what run_student will build on). Needs root
 * and the test rootfs (tests/run-tests builds it). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "seccomp.h"
#include "supervisor.h"
#include "tap.h"

static char *const env[] = { "PATH=/bin:/usr/bin", NULL };

static void spec_for(struct gb_sandbox_spec *s, char **lowers, char *const *argv,
		     const char *profile)
{
	memset(s, 0, sizeof(*s));
	s->mount.lowers = lowers;
	s->mount.nlowers = 1;
	s->argv = argv;
	s->envp = env;
	s->uid = s->gid = 4242;
	s->seccomp_profile = profile;
}

int main(void)
{
	const char *rootfs = getenv("GB_TEST_ROOTFS") ? getenv("GB_TEST_ROOTFS")
						       : GB_SRCDIR "/tests/.work/rootfs";
	char run_dir[] = "/tmp/gb-test-job-XXXXXX";
	char *lowers[] = { (char *)rootfs };
	char *const sleeper[] = { "/bin/sh", "-c", "sleep 1.5; exit 3", NULL };
	char *const hog[] = { "/bin/sh", "-c", "x=a; while :; do x=$x$x; done", NULL };
	char *const burner[] = { "/bin/sh", "-c", "while :; do :; done", NULL };
	struct gb_sandbox_spec s1, s2, s3;
	struct gb_limits l1 = { 0 }, l2 = { .memory_bytes = 32 << 20 }, l3 = { .cpu_time = 0.3 };
	struct gb_box_io io = { .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2 };
	struct gb_result r1, r2, r3;
	struct gb_seccomp sc = { 0 };
	int filter = -1;
	struct gb_config cfg;
	struct gb_job job;
	gb_error err = { 0 };
	struct stat st;

	/* One line for each test below; keep it in step. */
	TAP_PLAN(10);
	if (getuid() != 0 || stat(rootfs, &st) < 0) {
		TAP_SKIP_REST("several sandboxes in one job need root and the test rootfs");
		return TAP_DONE();
	}
	setenv("GRADEBOX_CONFIG", "/dev/null", 1);
	if (!mkdtemp(run_dir) || gb_config_load(&cfg, &err) < 0) {
		TAP_OK(0, "config");
		return TAP_DONE();
	}
	strcpy(cfg.run_dir, run_dir);
	TAP_OK(gb_seccomp_compile(cfg.seccomp_profile, true, &filter, &err) == 0 &&
		       gb_seccomp_load(filter, &sc, &err) == 0 && sc.prog.len > 0,
	       "profile compiles to a memfd that loads back");
	close(filter);
	TAP_OK(gb_job_open(&job, &cfg, &err) == 0, "a job opens");

	spec_for(&s1, lowers, sleeper, cfg.seccomp_profile);
	spec_for(&s2, lowers, hog, cfg.seccomp_profile);
	spec_for(&s3, lowers, burner, cfg.seccomp_profile);
	gb_job_start_box(&job, &s1, &l1, &io, &r1);
	gb_job_start_box(&job, &s2, &l2, &io, &r2);
	gb_job_start_box(&job, &s3, &l3, &io, &r3);
	TAP_OK(!r1.done && !r2.done && !r3.done, "three sandboxes run at once");

	gb_job_wait(&job, &r3);
	TAP_OK(r3.status == GB_STATUS_TIMEOUT && r3.timeout && !strcmp(r3.timeout, "cpu"),
	       "the CPU-limited sandbox times out on its own limit");
	gb_job_wait(&job, &r2);
	TAP_OK(r2.status == GB_STATUS_MEMORY && r2.oom_killed,
	       "the memory-limited sandbox is OOM-killed in its own cgroup");
	TAP_OK(!r1.done, "meanwhile the unlimited sandbox still runs");
	gb_job_wait(&job, &r1);
	TAP_OK(r1.status == GB_STATUS_EXITED && r1.exit_code == 3 && !r1.oom_killed,
	       "the unlimited sandbox ends on its own with its own exit code");
	TAP_OK(r1.wall_time >= 1.5, "its wall time is its own");
	TAP_OK(gb_job_close(&job, &err) == 0, "the job closes cleanly");
	TAP_OK(rmdir(run_dir) == 0, "nothing is left in the run directory");
	gb_seccomp_free(&sc);
	return TAP_DONE();
}
