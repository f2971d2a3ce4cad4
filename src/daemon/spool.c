/* spool: see spool.h for the layout and why it is durable. */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobspec.h"
#include "util.h"

#define SPOOL_DIR_MODE 0750
/* Clients of the group drop files; sticky: none removes another's. */
#define SPOOL_INCOMING_MODE 03770
#define SPOOL_PRIVATE_MODE 0700
#define SPOOL_FILE_MODE 0640
#define SPOOL_NAME_MAX 96
#define SPOOL_INOTIFY_BUF 4096

static const char *const job_exts[] = { ".job", ".input", ".params", ".result" };
#define SPOOL_TRIES_LOG "tries"

static int open_dir(int at, const char *name, mode_t mode, gid_t gid, gb_error *err)
{
	int fd;
	struct stat st;

	if (mkdirat(at, name, mode) < 0 && errno != EEXIST)
		return gb_fail_errno(err, "mkdir %s", name);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return gb_fail_errno(err, "open %s", name);
	/* mkdir's mode went through the umask; the setgid/sticky bits too. */
	if (fstat(fd, &st) < 0 || (st.st_uid == geteuid() &&
				   ((fchown(fd, (uid_t)-1, gid) < 0 && gid != (gid_t)-1) ||
				    fchmod(fd, mode) < 0))) {
		gb_fail_errno(err, "setting the owner and mode of %s", name);
		close(fd);
		return -1;
	}
	return fd;
}

int gb_spool_open(struct gb_spool *sp, const char *path, gid_t gid, gb_error *err)
{
	memset(sp, 0, sizeof(*sp));
	sp->fd = sp->incoming_fd = sp->jobs_fd = sp->done_fd = sp->lock_fd = sp->inotify_fd = -1;
	if (snprintf(sp->path, sizeof(sp->path), "%s", path) >= (int)sizeof(sp->path))
		return gb_fail(err, ENAMETOOLONG, "spool %s", path);
	if (gb_mkdir_p(path, SPOOL_DIR_MODE, err) < 0)
		return gb_context(err, "spool");
	sp->fd = open_dir(AT_FDCWD, path, SPOOL_DIR_MODE, gid, err);
	if (sp->fd < 0)
		return gb_context(err, "spool");
	sp->lock_fd = openat(sp->fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (sp->lock_fd < 0)
		return gb_fail_errno(err, "spool %s/lock", path);
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return gb_fail(err, errno == EWOULDBLOCK ? 0 : errno,
			       "spool %s: another gradebox serve uses it", path);
	sp->incoming_fd = open_dir(sp->fd, "incoming", SPOOL_INCOMING_MODE, gid, err);
	if (sp->incoming_fd >= 0)
		sp->jobs_fd = open_dir(sp->fd, "jobs", SPOOL_PRIVATE_MODE, (gid_t)-1, err);
	if (sp->jobs_fd >= 0)
		sp->done_fd = open_dir(sp->fd, "done", SPOOL_DIR_MODE, gid, err);
	if (sp->done_fd < 0)
		return gb_context(err, "spool %s", path);
	sp->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sp->inotify_fd < 0)
		return gb_fail_errno(err, "inotify_init1");
	{
		char p[PATH_MAX + 16];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", sp->incoming_fd);
		if (inotify_add_watch(sp->inotify_fd, p, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0)
			return gb_fail_errno(err, "watching %s/incoming", path);
	}
	return 0;
}

void gb_spool_close(struct gb_spool *sp)
{
	gb_closep(&sp->inotify_fd);
	gb_closep(&sp->incoming_fd);
	gb_closep(&sp->jobs_fd);
	gb_closep(&sp->done_fd);
	gb_closep(&sp->lock_fd);
	gb_closep(&sp->fd);
}

int gb_spool_arrived(struct gb_spool *sp)
{
	char buf[SPOOL_INOTIFY_BUF] __attribute__((aligned(8)));
	int what = 0;
	ssize_t n;

	while ((n = read(sp->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			what |= ev->mask & IN_CREATE ? GB_SPOOL_CREATED : GB_SPOOL_COMPLETE;
			p += sizeof(*ev) + ev->len;
		}
	}
	return what;
}

int gb_spool_write(int dirfd, const char *name, const char *data, size_t len, bool durable,
		   gb_error *err)
{
	char tmp[SPOOL_NAME_MAX + 32];
	_cleanup_close_ int fd = -1;

	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    SPOOL_FILE_MODE);
	if (fd < 0)
		return gb_fail_errno(err, "create %s", tmp);
	if (gb_write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
		gb_fail_errno(err, "write %s", tmp);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		gb_fail_errno(err, "rename %s", name);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (durable && fsync(dirfd) < 0)
		return gb_fail_errno(err, "fsync the directory of %s", name);
	return 0;
}

int gb_spool_write_json(int dirfd, const char *name, json_t *o, bool durable, gb_error *err)
{
	_cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
	size_t len;

	if (!text)
		return gb_fail(err, ENOMEM, "%s", name);
	len = strlen(text);
	{
		/* one line with its newline, for readers that cat the file */
		_cleanup_free_ char *line = malloc(len + 2);
		if (!line)
			return gb_fail(err, ENOMEM, "%s", name);
		memcpy(line, text, len);
		line[len] = '\n';
		return gb_spool_write(dirfd, name, line, len + 1, durable, err);
	}
}

struct entry {
	char *name;
	struct timespec ctime;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->ctime.tv_sec != y->ctime.tv_sec)
		return x->ctime.tv_sec < y->ctime.tv_sec ? -1 : 1;
	if (x->ctime.tv_nsec != y->ctime.tv_nsec)
		return x->ctime.tv_nsec < y->ctime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

void gb_spool_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int gb_spool_incoming(struct gb_spool *sp, char ***names, size_t *n, gb_error *err)
{
	int fd = openat(sp->incoming_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	_cleanup_free_ struct entry *v = NULL;
	size_t cap = 0, k = 0;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return gb_fail_errno(err, "reading %s/incoming", sp->path);
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		/* rename sets ctime: arrival order */
		if (fstatat(sp->incoming_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (k == cap) {
			struct entry *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
		}
		v[k].name = strdup(de->d_name);
		if (!v[k].name)
			goto oom;
		v[k++].ctime = st.st_ctim;
	}
	if (k)
		qsort(v, k, sizeof(*v), entry_cmp);
	*names = calloc(k + 1, sizeof(char *));
	if (!*names)
		goto oom;
	for (size_t i = 0; i < k; i++)
		(*names)[i] = v[i].name;
	*n = k;
	return 0;
oom:
	for (size_t i = 0; i < k; i++)
		free(v[i].name);
	return gb_fail(err, ENOMEM, "reading %s/incoming", sp->path);
}

bool gb_spool_refusable(struct gb_spool *sp, const char *name)
{
	struct stat st;

	return fstatat(sp->incoming_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (!S_ISREG(st.st_mode) || st.st_nlink != 1);
}

int gb_spool_read_incoming(struct gb_spool *sp, const char *name, json_t **job,
			   gb_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	json_error_t je;
	ssize_t got;

	*job = NULL;
	fd = openat(sp->incoming_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return gb_fail(err, 0, "incoming/%s is a symbolic link, not a job file", name);
		return gb_fail_errno(err, "incoming/%s", name);
	}
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "incoming/%s", name);
	if (!S_ISREG(st.st_mode))
		return gb_fail(err, 0, "incoming/%s is not a regular file", name);
	if (st.st_nlink != 1)
		return gb_fail(err, 0, "incoming/%s has %lu links: a job file has one", name,
			       (unsigned long)st.st_nlink);
	if (st.st_size > GB_SPOOL_JOB_MAX)
		return gb_fail(err, 0, "incoming/%s is larger than %u bytes", name,
			       GB_SPOOL_JOB_MAX);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return gb_fail(err, ENOMEM, "incoming/%s", name);
	got = gb_read_all(fd, buf, (size_t)st.st_size);
	if (got < 0)
		return gb_fail_errno(err, "reading incoming/%s", name);
	buf[got] = '\0';
	*job = json_loadb(buf, (size_t)got, JSON_REJECT_DUPLICATES, &je);
	if (!*job)
		return gb_fail(err, 0, "incoming/%s: line %d: %s", name, je.line, je.text);
	return 0;
}

void gb_spool_take_incoming(struct gb_spool *sp, const char *name)
{
	if (unlinkat(sp->incoming_fd, name, 0) == 0)
		fsync(sp->incoming_fd);
}

static int seq_cmp(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seq"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "seq"));

	return x < y ? -1 : x > y;
}

int gb_spool_records(struct gb_spool *sp, json_t ***recs, size_t *n, gb_error *err)
{
	int fd = openat(sp->jobs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	json_t **v = NULL;
	size_t cap = 0, k = 0;
	struct dirent *de;

	*recs = NULL;
	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return gb_fail_errno(err, "reading %s/jobs", sp->path);
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		_cleanup_free_ char *text = NULL;
		gb_error e = { 0 };
		json_t *rec;

		if (de->d_name[0] == '.') {
			/* a temp file of a write that never finished */
			if (len > 4 && !strcmp(de->d_name + len - 4, ".tmp"))
				unlinkat(sp->jobs_fd, de->d_name, 0);
			continue;
		}
		if (len < 5 || strcmp(de->d_name + len - 4, ".job"))
			continue;
		if (gb_read_file_at(sp->jobs_fd, de->d_name, GB_SPOOL_JOB_MAX * 2, &text, &e) < 0)
			continue;
		rec = json_loads(text, 0, NULL);
		if (!rec || !json_is_string(json_object_get(rec, "id")) ||
		    !json_is_object(json_object_get(rec, "job"))) {
			json_decref(rec);
			continue;
		}
		if (k == cap) {
			json_t **nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!nv) {
				json_decref(rec);
				for (size_t i = 0; i < k; i++)
					json_decref(v[i]);
				free(v);
				return gb_fail(err, ENOMEM, "reading %s/jobs", sp->path);
			}
			v = nv;
		}
		v[k++] = rec;
	}
	if (k)
		qsort(v, k, sizeof(*v), seq_cmp);
	*recs = v;
	*n = k;
	return 0;
}

bool gb_spool_done_exists(struct gb_spool *sp, const char *id)
{
	char name[SPOOL_NAME_MAX];
	struct stat st;

	snprintf(name, sizeof(name), "%s.json", id);
	return fstatat(sp->done_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int gb_spool_read_done(struct gb_spool *sp, const char *id, json_t **out, gb_error *err)
{
	char name[SPOOL_NAME_MAX];
	_cleanup_free_ char *text = NULL;

	/* done/ is written by the daemon alone (not the clients' group) */
	snprintf(name, sizeof(name), "%s.json", id);
	if (gb_read_file_at(sp->done_fd, name, GB_SPOOL_RESULT_MAX, &text, err) < 0)
		return -1;
	*out = json_loads(text, 0, NULL);
	if (!*out)
		return gb_fail(err, 0, "done/%s is not JSON", name);
	return 0;
}

void gb_spool_job_path(const struct gb_spool *sp, const char *id, const char *ext, char *buf,
		       size_t size)
{
	snprintf(buf, size, "%s/jobs/%s%s", sp->path, id, ext);
}

void gb_spool_forget(struct gb_spool *sp, const char *id)
{
	char name[SPOOL_NAME_MAX];

	/* The record last: a crash in between leaves a record whose result
	 * is in done/, which recovery finishes. */
	for (size_t i = GB_ARRAY_SIZE(job_exts); i-- > 0;) {
		snprintf(name, sizeof(name), "%s%s", id, job_exts[i]);
		unlinkat(sp->jobs_fd, name, 0);
	}
}

/* The tries log: one line "ID" per attempt started, "-ID" when a graceful
 * stop requeued it (that attempt does not count). Appended without fsync:
 * an attempt lost with the power is one more try. One file for all jobs,
 * not one per job: creating a file costs ext4 more than the daemon's whole
 * work for a job. */
unsigned gb_spool_tries(struct gb_spool *sp, const char *id)
{
	_cleanup_free_ char *text = NULL;
	gb_error err = { 0 };
	unsigned n = 0;

	if (gb_read_file_at(sp->fd, SPOOL_TRIES_LOG, GB_SPOOL_RESULT_MAX, &text, &err) < 0)
		return 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strcmp(line, id))
			n++;
		else if (line[0] == '-' && !strcmp(line + 1, id) && n)
			n--;
	}
	return n;
}

static void tries_append(struct gb_spool *sp, const char *prefix, const char *id)
{
	char line[SPOOL_NAME_MAX];
	_cleanup_close_ int fd = openat(sp->fd, SPOOL_TRIES_LOG,
					O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
					SPOOL_FILE_MODE);
	int len = snprintf(line, sizeof(line), "%s%s\n", prefix, id);

	if (fd >= 0 && gb_write_all(fd, line, (size_t)len) < 0)
		return;
}

void gb_spool_try(struct gb_spool *sp, const char *id)
{
	tries_append(sp, "", id);
}

void gb_spool_tries_reset(struct gb_spool *sp, const char *id)
{
	tries_append(sp, "-", id);
}

void gb_spool_tries_compact(struct gb_spool *sp)
{
	_cleanup_free_ char *text = NULL;
	char *out, *o;
	gb_error err = { 0 };
	struct stat st;
	char name[SPOOL_NAME_MAX];

	if (gb_read_file_at(sp->fd, SPOOL_TRIES_LOG, GB_SPOOL_RESULT_MAX, &text, &err) < 0)
		return;
	o = out = malloc(strlen(text) + 1);
	if (!out)
		return;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		snprintf(name, sizeof(name), "%s.job", line[0] == '-' ? line + 1 : line);
		if (fstatat(sp->jobs_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		o += sprintf(o, "%s\n", line);
	}
	gb_spool_write(sp->fd, SPOOL_TRIES_LOG, out, (size_t)(o - out), false, &err);
	free(out);
}

unsigned gb_spool_expire(struct gb_spool *sp, double keep)
{
	int fd = openat(sp->done_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	time_t now = time(NULL);
	unsigned n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' && strcmp(de->d_name + strlen(de->d_name) - 4, ".tmp"))
			continue;
		if (fstatat(sp->done_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((double)(now - st.st_mtime) > keep && unlinkat(sp->done_fd, de->d_name, 0) == 0)
			n++;
	}
	return n;
}
