/* gb-student-harness: a grading sandbox with the run_student server, for
 * the tests and benchmarks of run_student until `gradebox grade` serves it
 * (then they can move to it). Runs CMD in a sandbox of --rootfs with
 * --task-student DIR bound rw at /task/student and --api DIR bound ro at
 * /.gradebox (DIR/bin first on PATH; the socket DIR/sock made here), then
 * prints the server's stats on stderr as `student_runs=N refused=N
 * cpu_time=S max_parallel=N` and exits with the sandbox's code. With
 * --job-disk, one tmpfs of --disk serves every box of the job (the grading
 * sandbox's and the students' writable layers and /tmp). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "mount.h"
#include "student.h"
#include "supervisor.h"
#include "util.h"

#define MB (1024ull * 1024ull)

static int die(const char *what, const gb_error *err)
{
	fprintf(stderr, "gb-student-harness: %s: %s\n", what, err ? err->msg : "");
	return 254;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rootfs", required_argument, NULL, 'r' }, { "task-student", required_argument, NULL, 't' },
		{ "course-student", required_argument, NULL, 'c' }, { "api", required_argument, NULL, 'a' },
		{ "time", required_argument, NULL, 'T' }, { "hard-time", required_argument, NULL, 'H' },
		{ "memory", required_argument, NULL, 'm' }, { "pids", required_argument, NULL, 'p' },
		{ "disk", required_argument, NULL, 'd' }, { "parallel", required_argument, NULL, 'P' },
		{ "job-disk", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rootfs = NULL, *task = NULL, *course = NULL, *api = NULL;
	struct gb_limits lim = { .wall_time = 60, .memory_bytes = 256 * MB, .pids = 256,
				 .disk_bytes = 64 * MB };
	struct gb_config cfg;
	gb_error err = { 0 };
	struct gb_bind binds[2];
	struct gb_sandbox_spec spec = { 0 };
	struct gb_box_io io = { .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2 };
	struct gb_student_env env = { .course_student_fd = -1 };
	struct gb_student_server srv;
	struct gb_result res;
	struct gb_job job;
	struct rusage self;
	char *lower[1];
	int c, tree;
	bool job_disk = false;
	static char *envp[] = { "PATH=/.gradebox/bin:/usr/bin:/bin", "HOME=/task", NULL };

	if (gb_config_load(&cfg, &err) < 0)
		return die("config", &err);
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rootfs = optarg; break;
		case 't': task = optarg; break;
		case 'c': course = optarg; break;
		case 'a': api = optarg; break;
		case 'T': lim.cpu_time = atof(optarg); break;
		case 'H': lim.wall_time = atof(optarg); break;
		case 'm': lim.memory_bytes = strtoull(optarg, NULL, 10) * MB; break;
		case 'p': lim.pids = strtoull(optarg, NULL, 10); break;
		case 'd': lim.disk_bytes = strtoull(optarg, NULL, 10) * MB; break;
		case 'J': job_disk = true; break;
		case 'P':
			if (gb_config_set(&cfg, "student_parallel", optarg, &err) < 0)
				return die("--parallel", &err);
			break;
		default: return die("usage: --rootfs DIR --task-student DIR --api DIR [limits] -- CMD", NULL);
		}
	}
	if (!rootfs || !task || !api || optind >= argc)
		return die("usage: --rootfs DIR --task-student DIR --api DIR [limits] -- CMD", NULL);

	env.cfg = &cfg;
	env.lim = &lim;
	env.rootfs = rootfs;
	env.envp = envp;
	env.seccomp_profile = cfg.seccomp_profile;
	env.grading_res = &res;

	binds[0] = (struct gb_bind){ .src = (char *)task, .dst = "/task/student", .rw = true,
				     .idmap = true, .tree = gb_mount_take_tree(task, false, &err) };
	binds[1] = (struct gb_bind){ .src = (char *)api, .dst = "/.gradebox",
				     .tree = gb_mount_take_tree(api, false, &err) };
	tree = gb_mount_take_tree(rootfs, false, &err);
	if (binds[0].tree < 0 || binds[1].tree < 0 || tree < 0)
		return die("take the trees", &err);
	lower[0] = (char *)rootfs;
	spec.mount.lowers = lower;
	spec.mount.lower_trees = &tree;
	spec.mount.nlowers = 1;
	spec.mount.binds = binds;
	spec.mount.nbinds = 2;
	spec.argv = argv + optind;
	spec.envp = envp;
	spec.cwd = "/task";
	spec.uid = spec.gid = GB_STUDENT_UID;
	spec.seccomp_profile = cfg.seccomp_profile;

	if (gb_job_open(&job, &cfg, &err) < 0)
		return die("job", &err);
	/* --job-disk: one tmpfs of --disk for every box of the job */
	if (job_disk && gb_job_scratch(&job, lim.disk_bytes, &err) < 0) {
		gb_job_close(&job, &err);
		return die("job tmpfs", &err);
	}
	/* Opened in the mount namespace the trees are cloned in (the job
	 * tmpfs gives the supervisor one of its own). */
	env.sock_dir_fd = open(api, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	env.task_student_fd = open(task, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (course)
		env.course_student_fd = open(course, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (env.sock_dir_fd < 0 || env.task_student_fd < 0 || (course && env.course_student_fd < 0)) {
		gb_job_close(&job, &err);
		return die("open --api, --task-student or --course-student", NULL);
	}
	if (gb_student_server_open(&srv, &job, &env, &err) < 0) {
		gb_job_close(&job, &err);
		return die("run_student server", &err);
	}
	gb_job_start_box(&job, &spec, &lim, &io, &res);
	gb_job_wait(&job, &res);
	gb_student_server_close(&srv);
	if (gb_job_close(&job, &err) < 0)
		return die("job close", &err);
	if (res.status == GB_STATUS_ERROR)
		fprintf(stderr, "gb-student-harness: %s\n", res.message);
	getrusage(RUSAGE_SELF, &self);
	fprintf(stderr, "student_runs=%u refused=%u cpu_time=%.3f max_parallel=%u\n",
		srv.stats.runs, srv.stats.refused, srv.stats.cpu_time, srv.stats.max_parallel);
	/* the supervisor's own CPU (its sandboxes are not its children's) */
	fprintf(stderr, "supervisor_cpu_s=%.4f\n",
		self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 + self.ru_stime.tv_sec +
			self.ru_stime.tv_usec / 1e6);
	return res.exit_code;
}
