/* agent_job: see agent_job.h. Everything here runs on the agent's event
 * loop, so it only ever touches small local files; grading itself is the
 * runner's child. */
#include "agent_job.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent_env.h"
#include "util.h"

#define AGENT_WORKDIR "agent"
#define PID_SUFFIX ".pid"
/* Ids shown in a message are cut here: the backend's, not the teacher's. */
#define SHOWN_ID_MAX 64
#define PIDFILE_MAX 64
/* Field 22 of /proc/PID/stat: the 20th space after "(comm)" precedes it. */
#define STAT_STARTTIME_INDEX 20
#define RECOVER_KILL_WAIT_MS 1000

static int refuse(struct gb_agent_refusal *why, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct gb_agent_refusal *why, const char *result, const char *fmt, ...)
{
	va_list ap;

	why->result = result;
	va_start(ap, fmt);
	vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	return 1;
}

static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > GB_AGENT_ID_MAX)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

int gb_agent_job_check(const char *tasks_dir, json_t *envs, const struct gb_agent_msg *msg,
		       struct gb_agent_job *job, struct gb_agent_refusal *why)
{
	char path[PATH_MAX];
	struct stat st;

	if (msg->invalid)
		return refuse(why, "error", "The job sent by the backend is malformed: %s",
			      msg->problem);
	if (msg->debug == GB_AGENT_DEBUG_SSH)
		return refuse(why, "crash", "SSH debug is not supported by this agent");
	if (!msg->course_id || !msg->task_id)
		return refuse(why, "error", "The job names no course or no task");
	if (!id_ok(msg->course_id))
		return refuse(why, "error", "Invalid course id '%.*s': letters, digits, _ and - only",
			      SHOWN_ID_MAX, msg->course_id);
	if (!id_ok(msg->task_id))
		return refuse(why, "error", "Invalid task id '%.*s': letters, digits, _ and - only",
			      SHOWN_ID_MAX, msg->task_id);
	if (strcmp(msg->environment_type, GB_AGENT_ENV_TYPE))
		return refuse(why, "crash",
			      "Environment type '%.*s' is not available on this agent (it offers "
			      "'%s')", SHOWN_ID_MAX, msg->environment_type, GB_AGENT_ENV_TYPE);
	if (!json_object_get(json_object_get(envs, GB_AGENT_ENV_TYPE), msg->environment))
		return refuse(why, "crash",
			      "Environment '%.*s' is not available on this agent (import the image "
			      "with `gradebox image import`)", SHOWN_ID_MAX, msg->environment);
	snprintf(path, sizeof(path), "%s/%s/%s", tasks_dir, msg->course_id, msg->task_id);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return refuse(why, "crash",
			      "Task %s/%s is not available on this agent (no directory %s)",
			      msg->course_id, msg->task_id, path);
	snprintf(job->course_id, sizeof(job->course_id), "%s", msg->course_id);
	snprintf(job->task_id, sizeof(job->task_id), "%s", msg->task_id);
	return 0;
}

int gb_agent_workdir_open(const char *state_dir, char *path, size_t size, int *fd,
			  gb_error *err)
{
	_cleanup_close_ int dfd = -1;

	*fd = -1;
	if ((size_t)snprintf(path, size, "%s/%s", state_dir, AGENT_WORKDIR) >= size)
		return gb_fail(err, ENAMETOOLONG, "%s", state_dir);
	if (gb_mkdir_p(path, 0700, err) < 0)
		return -1;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return gb_fail_errno(err, "%s", path);
	if (fchmod(dfd, 0700) < 0)
		return gb_fail_errno(err, "chmod %s", path);
	if (flock(dfd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK
			       ? gb_fail(err, 0, "%s is in use: another gradebox agent runs on "
						 "this host with the same state_dir", path)
			       : gb_fail_errno(err, "lock %s", path);
	*fd = gb_steal_fd(&dfd);
	return 0;
}

static int write_at(int dirfd, const char *name, const char *text, gb_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
					O_CLOEXEC, 0600);

	if (fd < 0 || gb_write_all(fd, text, strlen(text)) < 0)
		return gb_fail_errno(err, "%s", name);
	return 0;
}

static int write_json_at(int dirfd, const char *name, json_t *v, gb_error *err)
{
	_cleanup_free_ char *text = json_dumps(v, JSON_COMPACT);

	if (!text)
		return gb_fail(err, ENOMEM, "%s", name);
	return write_at(dirfd, name, text, err);
}

int gb_agent_job_files(int dirfd, const char *dir, const struct gb_agent_job *job,
		       const struct gb_agent_msg *msg, struct gb_agent_paths *paths,
		       gb_error *err)
{
	char name[64];
	json_t *input = json_pack("{s:O}", "input", msg->inputdata);
	int r;

	if (!input)
		return gb_fail(err, ENOMEM, "input");
	snprintf(name, sizeof(name), "%u.input.json", job->seq);
	snprintf(paths->input, sizeof(paths->input), "%s/%s", dir, name);
	r = write_json_at(dirfd, name, input, err);
	json_decref(input);
	if (r < 0)
		return -1;
	snprintf(name, sizeof(name), "%u.params.json", job->seq);
	snprintf(paths->params, sizeof(paths->params), "%s/%s", dir, name);
	if (write_json_at(dirfd, name, msg->params, err) < 0)
		return -1;
	snprintf(paths->result, sizeof(paths->result), "%s/%u.result.json", dir, job->seq);
	return 0;
}

/* The start time of a process (clock ticks after boot), 0 if gone. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = gb_read_all(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (int i = 0; p && i < STAT_STARTTIME_INDEX; i++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

int gb_agent_job_pidfile(int dirfd, const struct gb_agent_job *job, pid_t pid, gb_error *err)
{
	char name[64], text[PIDFILE_MAX];

	snprintf(name, sizeof(name), "%u%s", job->seq, PID_SUFFIX);
	snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start_time(pid));
	return write_at(dirfd, name, text, err);
}

void gb_agent_job_cleanup(int dirfd, const struct gb_agent_job *job)
{
	static const char *const suffixes[] = { ".input.json", ".params.json", ".result.json",
						PID_SUFFIX };
	char name[64];

	for (size_t i = 0; i < GB_ARRAY_SIZE(suffixes); i++) {
		snprintf(name, sizeof(name), "%u%s", job->seq, suffixes[i]);
		unlinkat(dirfd, name, 0);
	}
}

static bool wait_pidfd(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return GB_RETRY(poll(&p, 1, ms)) == 1;
}

/* A grader from the pid file, if that very process still runs: SIGTERM
 * (it kills its sandboxes and ends), then SIGKILL to its process group. */
static bool stop_grader(int dirfd, const char *name)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int pidfd = -1;
	unsigned long long start;
	gb_error err = { 0 };
	int pid;

	if (gb_read_file_at(dirfd, name, PIDFILE_MAX, &text, &err) < 0 ||
	    sscanf(text, "%d %llu", &pid, &start) != 2 || pid <= 1)
		return false;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* checked after pidfd_open: a reused pid fails it from here on */
	if (pidfd < 0 || start_time(pid) != start || !start)
		return false;
	syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	if (!wait_pidfd(pidfd, GB_RUNNER_KILL_GRACE_S * 1000)) {
		kill(-pid, SIGKILL);
		wait_pidfd(pidfd, RECOVER_KILL_WAIT_MS);
	}
	return true;
}

int gb_agent_workdir_recover(int dirfd, gb_error *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	int stopped = 0, fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return gb_fail_errno(err, "agent work directory");
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > strlen(PID_SUFFIX) && !strcmp(e->d_name + n - strlen(PID_SUFFIX), PID_SUFFIX))
			stopped += stop_grader(dirfd, e->d_name);
	}
	rewinddir(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd, e->d_name, 0);
	return stopped;
}
