/* grade: the life of a grading job.
 *
 *   gradebox grade (this process: the job's supervisor)
 *     1. reads task.yaml, the input, the environment's image;
 *     2. opens the job (its cgroup) and gives it a tmpfs of the disk limit
 *        in a mount namespace of its own (gb_job_scratch), where it writes
 *        the input, and makes output/, archive/ and student/ (grade_fs.h);
 *     3. takes a uid slot for the grading sandbox up front, so the files it
 *        prepares belong to the sandbox's worker;
 *     4. starts the grading sandbox: the image's overlay, /task a writable
 *        overlay of the task dir (shown as the worker's through an id
 *        mapping: the teacher's tree is never written), /task/student,
 *        /course/common read-only, /.__input, /.__output, /archive, the
 *        helpers in /.gradebox; the run file runs as the worker (4242) in
 *        /task with the task's limits;
 *     5. when it ends, reads the feedback file and /archive from the held
 *        tmpfs (never by path, never through a symlink), judges them as
 *        INGInious does, and closes the job: sandboxes, cgroups and the
 *        tmpfs go with it, however the run file ended.
 * A SIGTERM or SIGINT kills the sandbox and gives the result `killed`. */
#include "grade.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "archive.h"
#include "feedback.h"
#include "grade_fs.h"
#include "image.h"
#include "input.h"
#include "runfile.h"
#include "student.h"
#include "supervisor.h"
#include "task.h"
#include "text.h"
#include "userns.h"
#include "util.h"

#define GB_MB (1024ull * 1024ull)
#define GB_GRADE_PATH "/.gradebox/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define GB_GRADE_MAX_ENV 256
#define GB_COMMON_DIR "$common"
/* The job tmpfs's directory holding the run_student socket. */
#define GB_GRADE_SOCK_DIR "gradebox"
#define GB_EXEC_FAILED "An error occured while running the grading script. It is possible " \
		       "that it is non-executable or made a timeout"

/* Everything a grading job holds, released by job_free. */
struct grade_job {
	char task[PATH_MAX], course[PATH_MAX], common[PATH_MAX];
	int task_fd, common_fd;
	struct gb_task task_yaml;
	struct gb_input input;
	struct gb_image_ref img;
	struct gb_limits lim;
	struct gb_userns ns;
	int task_map_fd;
	struct gb_bind binds[GB_MOUNT_MAX_BINDS];
	size_t nbinds;
	struct gb_runfile run;
	char *env[GB_GRADE_MAX_ENV];
	size_t nenv;
	int out_fd, err_fd, null_fd;
	/* run_student: the socket's directory in the job tmpfs, what student
	 * sandboxes bind, and whether they share the grading sandbox's ids
	 * (where student/ could not be idmapped) */
	int sock_dir_fd, student_fd, course_student_fd;
	bool student_shared_ids;
};

static void job_free(struct grade_job *g)
{
	gb_closep(&g->task_fd);
	gb_closep(&g->common_fd);
	gb_task_free(&g->task_yaml);
	gb_input_free(&g->input);
	gb_image_ref_free(&g->img);
	gb_userns_close(&g->ns);
	gb_closep(&g->task_map_fd);
	for (size_t i = 0; i < g->nbinds; i++) {
		free(g->binds[i].src);
		gb_closep(&g->binds[i].tree);
	}
	gb_runfile_free(&g->run);
	for (size_t i = 0; i < g->nenv; i++)
		free(g->env[i]);
	gb_closep(&g->out_fd);
	gb_closep(&g->err_fd);
	gb_closep(&g->null_fd);
	gb_closep(&g->sock_dir_fd);
	gb_closep(&g->student_fd);
	gb_closep(&g->course_student_fd);
}

static int add_bind(struct grade_job *g, int tree, const char *src, const char *dst, bool rw,
		    gb_error *err)
{
	struct gb_bind *b;

	if (tree < 0)
		return -1;
	if (g->nbinds == GB_MOUNT_MAX_BINDS) {
		close(tree);
		return gb_fail(err, E2BIG, "too many binds");
	}
	b = &g->binds[g->nbinds++];
	memset(b, 0, sizeof(*b));
	b->tree = tree;
	b->src = strdup(src);
	b->dst = (char *)dst;
	b->rw = rw;
	b->idmap_fd = -1;
	return b->src ? 0 : gb_fail(err, ENOMEM, "bind %s", src);
}

static int add_env(struct grade_job *g, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (g->nenv + 1 >= GB_GRADE_MAX_ENV)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	/* a later value replaces an earlier one */
	size_t klen = strcspn(s, "=");
	for (size_t i = 0; i < g->nenv; i++) {
		if (!strncmp(g->env[i], s, klen) && g->env[i][klen] == '=') {
			free(g->env[i]);
			g->env[i] = s;
			return 0;
		}
	}
	g->env[g->nenv++] = s;
	g->env[g->nenv] = NULL;
	return 0;
}

/* The task dir, the course dir and its $common (resolved here: they are the
 * teacher's paths, and the tree taken below must not hold a symlink). */
static int open_dirs(const struct gb_grade_request *req, struct grade_job *g, gb_error *err)
{
	char buf[PATH_MAX];

	if (!realpath(req->task_dir, g->task))
		return gb_fail_errno(err, "--task %s", req->task_dir);
	g->task_fd = open(g->task, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (g->task_fd < 0)
		return gb_fail_errno(err, "--task %s", req->task_dir);
	if (req->course_dir) {
		if (!realpath(req->course_dir, g->course))
			return gb_fail_errno(err, "--course %s", req->course_dir);
	} else {
		snprintf(buf, sizeof(buf), "%s", g->task);
		snprintf(g->course, sizeof(g->course), "%s", dirname(buf));
	}
	if (snprintf(g->common, sizeof(g->common), "%s/%s", g->course, GB_COMMON_DIR) >=
	    (int)sizeof(g->common))
		return gb_fail(err, ENAMETOOLONG, "--course %s", g->course);
	g->common_fd = open(g->common, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (g->common_fd < 0 && errno != ENOENT)
		return gb_fail_errno(err, "%s", g->common);
	return 0;
}

static int load_task(const struct gb_grade_request *req, struct grade_job *g, gb_error *err)
{
	char shown[PATH_MAX + 16];
	struct gb_task_limits *l = &g->task_yaml.limits;
	const char *image;

	snprintf(shown, sizeof(shown), "%s/task.yaml", g->task);
	if (gb_task_load(g->task_fd, shown, &g->task_yaml, err) < 0)
		return -1;
	if (req->params && gb_task_apply_params(&g->task_yaml, req->params, req->params_len,
						req->params_name, err) < 0)
		return -1;
	if (req->time > 0) {
		l->time = req->time;
		if (!(req->hard_time > 0))
			l->hard_time = 3 * req->time;
	}
	if (req->hard_time > 0)
		l->hard_time = req->hard_time;
	if (req->memory_mb)
		l->memory_mb = req->memory_mb;
	if (req->disk_mb)
		l->disk_mb = req->disk_mb;
	if (req->output_bytes)
		l->output_bytes = req->output_bytes;
	g->lim.cpu_time = l->time;
	g->lim.wall_time = l->hard_time;
	g->lim.memory_bytes = l->memory_mb * GB_MB;
	g->lim.disk_bytes = l->disk_mb * GB_MB;
	g->lim.output_bytes = l->output_bytes;
	g->lim.pids = 0; /* set from the config by the caller */
	if (gb_input_parse(req->input, req->input_len, req->input_name,
			   g->task_yaml.input_random, &g->input, err) < 0)
		return -1;
	image = req->image ? req->image : g->task_yaml.environment_id;
	if (!image || !*image)
		image = NULL;
	return image ? 1 : 0;
}

static int open_image(const struct gb_config *cfg, const char *name, const char *shown,
		      struct grade_job *g, gb_error *err)
{
	char why[GB_ERROR_MAX];

	if (gb_image_open(cfg, name, &g->img, err) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", err->msg);
	return gb_fail(err, err->errnum, "%s: environment '%s' is not available here (%s; "
		       "import it with gradebox image import)", shown, name, why);
}

/* /task shows the teacher's files as the worker's: the task dir's owner
 * (and group) map to the worker, root stays root, other ids are nobody. */
static int task_idmap(struct grade_job *g, gb_error *err)
{
	char umap[96], gmap[96];
	struct stat st;
	uid_t base = g->ns.host_base;

	if (fstat(g->task_fd, &st) < 0)
		return gb_fail_errno(err, "stat %s", g->task);
	snprintf(umap, sizeof(umap), "%u %u 1\n", st.st_uid, base + GB_GRADE_WORKER);
	if (st.st_uid != 0)
		snprintf(umap + strlen(umap), sizeof(umap) - strlen(umap), "0 %u 1\n", base);
	snprintf(gmap, sizeof(gmap), "%u %u 1\n", st.st_gid, base + GB_GRADE_WORKER);
	if (st.st_gid != 0)
		snprintf(gmap + strlen(gmap), sizeof(gmap) - strlen(gmap), "0 %u 1\n", base);
	return gb_userns_create_map(base, umap, gmap, &g->task_map_fd, err);
}

/* run_student (student.h): the socket is made in a directory of the job
 * tmpfs and bound, as a file, at /.gradebox/sock once it exists (see
 * run); student sandboxes bind student/ and $common/student. */
static int student_binds(struct grade_job *g, int scratch, gb_error *err)
{
	if (mkdirat(scratch, GB_GRADE_SOCK_DIR, 0700) < 0)
		return gb_fail_errno(err, "make %s in the job tmpfs", GB_GRADE_SOCK_DIR);
	g->sock_dir_fd = openat(scratch, GB_GRADE_SOCK_DIR,
				O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	g->student_fd = openat(scratch, GB_GRADE_STUDENT_DIR,
			       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (g->sock_dir_fd < 0 || g->student_fd < 0)
		return gb_fail_errno(err, "open student/ in the job tmpfs");
	if (g->common_fd >= 0) {
		char path[PATH_MAX + 16];

		/* By path, not from common_fd: that fd was opened before the
		 * supervisor's own mount namespace (gb_job_scratch), and a mount
		 * of another namespace cannot be cloned for a student box. */
		snprintf(path, sizeof(path), "%s/student", g->common);
		g->course_student_fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (g->course_student_fd < 0 && errno != ENOENT)
			return gb_fail_errno(err, "%s/student", g->common);
	}
	return 0;
}

/* Serve run_student for the grading sandbox: listen, and bind the socket
 * at /.gradebox/sock (a file bind: the sandbox cannot remove or replace a
 * mount point). */
static int student_server(const struct gb_config *cfg, struct gb_job *job, struct grade_job *g,
			  struct gb_student_env *env, struct gb_student_server *srv,
			  const struct gb_result *box, gb_error *err)
{
	int tree;

	*env = (struct gb_student_env){
		.cfg = cfg, .lim = &g->lim, .image = g->img.name,
		.seccomp_profile = cfg->seccomp_profile, .sock_dir_fd = g->sock_dir_fd,
		.task_student_fd = g->student_fd, .course_student_fd = g->course_student_fd,
		.grading_res = box, .userns = g->student_shared_ids ? &g->ns : NULL,
	};
	if (gb_student_server_open(srv, job, env, err) < 0)
		return -1;
	tree = gb_grade_fs_tree(g->sock_dir_fd, GB_STUDENT_SOCK_NAME, err);
	if (add_bind(g, tree, "run_student socket", GB_STUDENT_SOCK_DST, false, err) < 0) {
		gb_student_server_close(srv);
		return -1;
	}
	return 0;
}

static int make_binds(const struct gb_config *cfg, struct gb_job *job, struct grade_job *g,
		      gb_error *err)
{
	struct gb_grade_ids ids = { .root = g->ns.host_base,
				    .worker = g->ns.host_base + GB_GRADE_WORKER,
				    .student_idmapped = true };
	char path[PATH_MAX + 16];
	const char *sysfiles[2];
	int scratch = job->scratch_fd, student;

	if (gb_grade_fs_prepare(scratch, &g->input, &ids, err) < 0)
		return gb_context(err, "prepare the grading sandbox's files");
	/* The task dir, writable through an overlay whose writes stay in the
	 * job tmpfs. */
	if (task_idmap(g, err) < 0 ||
	    add_bind(g, gb_mount_take_tree(g->task, false, err), g->task, "/task", false, err) < 0)
		return gb_context(err, "--task %s", g->task);
	g->binds[g->nbinds - 1].overlay = true;
	g->binds[g->nbinds - 1].overlay_owner = GB_GRADE_WORKER;
	g->binds[g->nbinds - 1].idmap = true;
	g->binds[g->nbinds - 1].idmap_fd = g->task_map_fd;
	/* student/ carries the ids inside when tmpfs can idmap (Linux 6.3),
	 * so every box of the job sees the same owner whatever its uid slot;
	 * else the files keep this box's host ids. */
	student = gb_grade_fs_tree(scratch, GB_GRADE_STUDENT_DIR, err);
	if (student < 0)
		return -1;
	if (gb_mount_idmap(student, g->ns.fd) < 0) {
		g->student_shared_ids = true;
		if (fchownat(scratch, GB_GRADE_STUDENT_DIR, ids.worker, ids.worker,
			     AT_SYMLINK_NOFOLLOW) < 0) {
			close(student);
			return gb_fail_errno(err, "chown student/");
		}
	}
	if (add_bind(g, student, "student", "/task/student", true, err) < 0)
		return -1;
	if (g->common_fd >= 0) {
		if (add_bind(g, gb_mount_take_tree(g->common, false, err), g->common,
			     "/course/common", false, err) < 0)
			return -1;
		g->binds[g->nbinds - 1].idmap = true;
	}
	if (add_bind(g, gb_grade_fs_tree(scratch, GB_GRADE_IN_DIR, err), "input", "/.__input",
		     false, err) < 0 ||
	    add_bind(g, gb_grade_fs_tree(scratch, GB_GRADE_OUT_DIR, err), "output", "/.__output",
		     true, err) < 0 ||
	    add_bind(g, gb_grade_fs_tree(scratch, GB_GRADE_ARCHIVE_DIR, err), "archive",
		     "/archive", true, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bin", cfg->helpers_dir);
	if (add_bind(g, gb_mount_take_tree(path, false, err), path, "/.gradebox/bin", false,
		     err) < 0)
		return gb_context(err, "the container API (helpers_dir %s; build it with make)",
				  cfg->helpers_dir);
	snprintf(path, sizeof(path), "%s/python", cfg->helpers_dir);
	if (access(path, F_OK) < 0)
		snprintf(path, sizeof(path), "%s/helpers/python", GB_SRCDIR);
	if (add_bind(g, gb_mount_take_tree(path, false, err), path, "/.gradebox/python", false,
		     err) < 0)
		return gb_context(err, "the Python container API (helpers_dir %s)",
				  cfg->helpers_dir);
	if (student_binds(g, scratch, err) < 0)
		return -1;
	if (gb_grade_fs_systemfiles(scratch, g->task_fd, sysfiles, err) < 0)
		return -1;
	for (size_t i = 0; i < 2; i++)
		if (sysfiles[i] &&
		    add_bind(g, gb_grade_fs_tree(scratch, sysfiles[i], err), sysfiles[i],
			     i == 0 ? "/etc/hosts" : "/etc/resolv.conf", false, err) < 0)
			return -1;
	return 0;
}

/* The image's environment, then what INGInious's containers set. */
static int make_env(struct grade_job *g, gb_error *err)
{
	const char *image_path = NULL;

	for (size_t i = 0; i < g->img.nenv; i++) {
		if (!strncmp(g->img.env[i], "PATH=", 5))
			image_path = g->img.env[i] + 5;
		else if (add_env(g, "%s", g->img.env[i]) < 0)
			return gb_fail(err, E2BIG, "the image sets too many variables");
	}
	if ((image_path ? add_env(g, "PATH=/.gradebox/bin:%s", image_path)
			: add_env(g, "PATH=%s", GB_GRADE_PATH)) < 0 ||
	    add_env(g, "HOME=/task") < 0 || add_env(g, "PYTHONPATH=/.gradebox/python") < 0 ||
	    add_env(g, "TERM=dumb") < 0)
		return gb_fail(err, E2BIG, "the image sets too many variables");
	return 0;
}

static char *read_memfd(int fd)
{
	struct stat st;
	_cleanup_free_ char *buf = NULL;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	n = pread(fd, buf, (size_t)st.st_size, 0);
	return gb_utf8_sanitize(buf, n > 0 ? (size_t)n : 0);
}

static void read_archive(int scratch, const struct gb_limits *lim, struct gb_grade_result *res)
{
	_cleanup_close_ int dir = openat(scratch, GB_GRADE_ARCHIVE_DIR,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ unsigned char *tgz = NULL;
	size_t len = 0;
	gb_error e = { 0 };

	if (dir < 0 || gb_archive_pack(dir, lim->disk_bytes ? lim->disk_bytes : SIZE_MAX, &tgz,
				       &len, &e) < 0)
		return;
	res->archive_b64 = gb_base64_encode(tgz, len);
}

/* What the sandbox's end makes of the result, after the feedback file. */
static void judge(struct gb_job *job, const struct gb_result *box, struct grade_job *g,
		  struct gb_grade_result *res)
{
	_cleanup_free_ char *fb = NULL;
	size_t len = 0;
	gb_error e = { 0 };
	char path[64];
	int r;

	snprintf(path, sizeof(path), "%s/%s", GB_GRADE_OUT_DIR, GB_GRADE_FEEDBACK);
	r = gb_grade_fs_read(job->scratch_fd, path, GB_FEEDBACK_MAX, &fb, &len, &e);
	if (r < 0)
		gb_feedback_judge("\x01", 1, true, res); /* unreadable: as malformed */
	else
		gb_feedback_judge(fb, len, r == 0, res);
	res->stats.cpu_time = box->cpu_time;
	res->stats.wall_time = box->wall_time;
	res->stats.memory_peak = box->memory_peak;
	/* A grading cut short keeps the submission's state, as INGInious's. */
	if (job->interrupted || box->status == GB_STATUS_TIMEOUT ||
	    box->status == GB_STATUS_MEMORY || box->status == GB_STATUS_DISK ||
	    box->status == GB_STATUS_ERROR)
		gb_result_set_state(res, gb_input_state(&g->input));
	if (job->interrupted) {
		gb_result_set(res, "killed", "The grading was stopped (%s).",
			      strsignal(job->interrupted));
		res->grade = 0;
		return;
	}
	switch (box->status) {
	case GB_STATUS_TIMEOUT:
		gb_result_set(res, "timeout", "Your submission made a timeout: %s.", box->message);
		res->grade = 0;
		break;
	case GB_STATUS_MEMORY:
		gb_result_set(res, "overflow", "Your submission made an overflow: %s.",
			      box->message);
		res->grade = 0;
		break;
	case GB_STATUS_DISK:
		gb_result_set(res, "overflow", "Your submission filled the disk: %s.",
			      box->message);
		res->grade = 0;
		break;
	case GB_STATUS_ERROR:
		if (strstr(box->message, "cannot execute"))
			gb_result_set(res, "crash", "%s", GB_EXEC_FAILED);
		else
			gb_result_set(res, "error", "gradebox could not run the grading: %s",
				      box->message);
		res->grade = 0;
		break;
	default:
		break;
	}
}

static int run(const struct gb_config *cfg, struct grade_job *g, struct gb_grade_result *res,
	       gb_error *err)
{
	struct gb_sandbox_spec spec = { 0 };
	struct gb_box_io io;
	struct gb_result box;
	struct gb_job job;
	struct gb_student_env senv;
	struct gb_student_server srv;
	int r;

	g->lim.pids = cfg->default_pids;
	if (gb_job_open_pids(&job, cfg, cfg->default_pids, err) < 0)
		return -1;
	if (gb_job_scratch(&job, g->lim.disk_bytes, err) < 0 ||
	    gb_userns_create(GB_UID_LOCK_FILE, cfg->uid_base, cfg->uid_slots, (unsigned)getpid(),
			     &g->ns, err) < 0 ||
	    make_binds(cfg, &job, g, err) < 0 || make_env(g, err) < 0) {
		gb_job_close(&job, &(gb_error){ 0 });
		return -1;
	}
	r = gb_runfile_find(g->task_yaml.run_cmd, g->task_fd, g->common_fd, &g->run, err);
	if (r != 0) {
		gb_job_close(&job, &(gb_error){ 0 });
		if (r < 0)
			return -1;
		gb_result_set(res, "crash", "'/task/run' could not be found");
		return 0;
	}
	g->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g->out_fd = memfd_create("stdout", MFD_CLOEXEC);
	g->err_fd = memfd_create("stderr", MFD_CLOEXEC);
	if (g->null_fd < 0 || g->out_fd < 0 || g->err_fd < 0) {
		gb_job_close(&job, &(gb_error){ 0 });
		return gb_fail_errno(err, "stdio of the grading sandbox");
	}
	io = (struct gb_box_io){ .stdin_fd = g->null_fd, .stdout_fd = g->out_fd,
				 .stderr_fd = g->err_fd };
	if (student_server(cfg, &job, g, &senv, &srv, &box, err) < 0) {
		gb_job_close(&job, &(gb_error){ 0 });
		return -1;
	}
	spec.mount.lowers = g->img.layers;
	spec.mount.nlowers = g->img.nlayers;
	spec.mount.binds = g->binds;
	spec.mount.nbinds = g->nbinds;
	spec.argv = g->run.argv;
	spec.envp = g->env;
	spec.cwd = "/task";
	spec.uid = spec.gid = GB_GRADE_WORKER;
	spec.userns = &g->ns;
	spec.host_network = g->task_yaml.network_grading;
	spec.nested = gb_config_nested_image(cfg, g->img.name);
	spec.seccomp_profile = cfg->seccomp_profile;
	gb_job_start_box(&job, &spec, &g->lim, &io, &box);
	gb_job_wait(&job, &box);
	/* When the grading sandbox ends, its student sandboxes end. */
	gb_student_server_close(&srv);
	judge(&job, &box, g, res);
	/* The job's CPU: the grading sandbox's and its students'. */
	res->stats.cpu_time += srv.stats.cpu_time;
	res->stats.student_runs = srv.stats.runs;
	read_archive(job.scratch_fd, &g->lim, res);
	res->out = read_memfd(g->out_fd);
	res->err = read_memfd(g->err_fd);
	gb_job_close(&job, &(gb_error){ 0 });
	return 0;
}

int gb_grade(const struct gb_config *cfg, const struct gb_grade_request *req,
	     struct gb_grade_result *res, gb_error *err)
{
	struct grade_job g = { .task_fd = -1, .common_fd = -1, .task_map_fd = -1, .out_fd = -1,
			       .err_fd = -1, .null_fd = -1, .img = { .lock_fd = -1 },
			       .sock_dir_fd = -1, .student_fd = -1, .course_student_fd = -1 };
	char shown[PATH_MAX + 16];
	int r;

	gb_userns_init(&g.ns);
	gb_result_init(res);
	r = open_dirs(req, &g, err);
	if (r == 0)
		r = load_task(req, &g, err);
	if (r >= 0) {
		snprintf(shown, sizeof(shown), "%s/task.yaml", g.task);
		r = open_image(cfg, r == 1 ? (req->image ? req->image : g.task_yaml.environment_id)
					   : cfg->default_image,
			       req->image ? "--image" : shown, &g, err);
	}
	if (r == 0)
		r = run(cfg, &g, res, err);
	if (r < 0)
		gb_result_set(res, "error", "%s", err->msg);
	job_free(&g);
	return r < 0 ? -1 : 0;
}
