/* replay: finding a course's recordings, and writing new results back.
 *
 * A course is the directory INGInious keeps per course: one directory per
 * task (task.yaml, the run file, and optionally test/ with recorded
 * submissions), plus `$common` and dot-directories which are not tasks.
 * Everything is reached from the course's held directory fd without
 * following symlinks out of it: the course is the teacher's, but a task's
 * files were written by whoever prepared them. */
#include "replay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "util.h"

#define GB_REPLAY_TEST_DIR "test"
#define GB_REPLAY_TEST_SUFFIX ".test"
/* A recording holds its uploads: generous, but bounded. */
#define GB_REPLAY_MAX_FILE_BYTES (64u << 20)
/* INGInious's default memory limit (200 MB) plus the supervisor and the
 * page cache a grading run touches: what -j budgets per slot. */
#define GB_REPLAY_SLOT_BYTES (256ull << 20)

static int dirfd_of(DIR *d)
{
	return dirfd(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dirfd/sub: directories (want_dirs) not starting with '.'
 * or '$', or regular files ending in GB_REPLAY_TEST_SUFFIX. */
static int list_dir(int dirfd, const char *sub, const char *shown, bool want_dirs,
		    char ***names, size_t *n, gb_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	*names = NULL;
	*n = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : gb_fail_errno(err, "%s", shown);
	DIR *d = fdopendir(fd);
	if (!d)
		return gb_fail_errno(err, "%s", shown);
	fd = -1;
	_cleanup_closedir_ DIR *dir = d;
	struct dirent *e;
	size_t cap = 0;
	while ((e = readdir(dir))) {
		struct stat st;
		if (e->d_name[0] == '.' || (want_dirs && e->d_name[0] == '$'))
			continue;
		if (fstatat(dirfd_of(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (want_dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
			continue;
		size_t l = strlen(e->d_name), sl = strlen(GB_REPLAY_TEST_SUFFIX);
		if (!want_dirs && (l <= sl || strcmp(e->d_name + l - sl, GB_REPLAY_TEST_SUFFIX)))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(*names, cap * sizeof(char *));
			if (!grown)
				return gb_fail(err, ENOMEM, "%s", shown);
			*names = grown;
		}
		if (!((*names)[*n] = strdup(e->d_name)))
			return gb_fail(err, ENOMEM, "%s", shown);
		(*n)++;
	}
	if (*n)
		qsort(*names, *n, sizeof(char *), cmp_str);
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int read_at(int dirfd, const char *path, const char *shown, char **out, size_t *len,
		   gb_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return gb_fail_errno(err, "%s", shown);
	if (!S_ISREG(st.st_mode))
		return gb_fail(err, 0, "%s: not a regular file", shown);
	if ((unsigned long long)st.st_size > GB_REPLAY_MAX_FILE_BYTES)
		return gb_fail(err, 0, "%s: larger than %u MiB", shown, GB_REPLAY_MAX_FILE_BYTES >> 20);
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return gb_fail(err, ENOMEM, "%s", shown);
	ssize_t n = gb_read_all(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		free(buf);
		return gb_fail_errno(err, "%s: read", shown);
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

static int add_task(struct gb_replay *r, const char *task, gb_error *err)
{
	char **files;
	size_t n;
	_cleanup_free_ char *testdir = NULL, *shown = NULL;

	if (asprintf(&testdir, "%s/%s", task, GB_REPLAY_TEST_DIR) < 0 ||
	    asprintf(&shown, "%s/%s", r->course, testdir) < 0)
		return gb_fail(err, ENOMEM, "%s", task);
	char **grown = realloc(r->tasks, (r->ntasks + 1) * sizeof(char *));
	if (!grown)
		return gb_fail(err, ENOMEM, "%s", task);
	r->tasks = grown;
	if (!(r->tasks[r->ntasks] = strdup(task)))
		return gb_fail(err, ENOMEM, "%s", task);
	r->ntasks++;
	if (list_dir(r->coursefd, testdir, shown, false, &files, &n, err) < 0)
		return -1;
	struct gb_replay_sub *subs = realloc(r->subs, (r->nsubs + n) * sizeof(*subs));
	if (!subs && n) {
		free_names(files, n);
		return gb_fail(err, ENOMEM, "%s", task);
	}
	r->subs = subs;
	for (size_t i = 0; i < n; i++) {
		struct gb_replay_sub *s = &r->subs[r->nsubs++];
		gb_error ferr = { 0 };
		*s = (struct gb_replay_sub){ .status = GB_REPLAY_PENDING };
		s->task = strdup(task);
		if (!s->task || asprintf(&s->file, "%s/%s", testdir, files[i]) < 0) {
			s->file = NULL;
			free_names(files, n);
			return gb_fail(err, ENOMEM, "%s", task);
		}
		if (read_at(r->coursefd, s->file, s->file, &s->text, &s->len, &ferr) < 0 ||
		    gb_testfile_parse(s->text, s->len, s->file, &s->tf, &s->line, &s->column,
				      &ferr) < 0) {
			s->status = GB_REPLAY_BROKEN;
			s->message = strdup(ferr.msg);
		}
	}
	free_names(files, n);
	return 0;
}

int gb_replay_collect(struct gb_replay *r, const char *course, char *const *tasks,
		      size_t ntasks, gb_error *err)
{
	*r = (struct gb_replay){ .coursefd = -1 };
	if (!(r->course = strdup(course)))
		return gb_fail(err, ENOMEM, "%s", course);
	r->coursefd = open(course, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->coursefd < 0)
		return gb_fail_errno(err, "course %s", course);
	if (ntasks) {
		for (size_t i = 0; i < ntasks; i++) {
			struct stat st;
			if (!tasks[i][0] || strchr(tasks[i], '/') || tasks[i][0] == '.' ||
			    fstatat(r->coursefd, tasks[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(st.st_mode))
				return gb_fail(err, 0, "%s/%s: no such task in the course "
					       "(give task directory names)", course, tasks[i]);
			if (add_task(r, tasks[i], err) < 0)
				return -1;
		}
	} else {
		char **names;
		size_t n;
		if (list_dir(r->coursefd, ".", course, true, &names, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (add_task(r, names[i], err) < 0) {
				free_names(names, n);
				return -1;
			}
		free_names(names, n);
	}
	if (!r->nsubs)
		return gb_fail(err, 0, "%s: no recorded submissions (TASK/%s/NAME%s) to replay",
			       course, GB_REPLAY_TEST_DIR, GB_REPLAY_TEST_SUFFIX);
	return 0;
}

void gb_replay_free(struct gb_replay *r)
{
	for (size_t i = 0; i < r->nsubs; i++) {
		struct gb_replay_sub *s = &r->subs[i];
		free(s->task);
		free(s->file);
		free(s->text);
		free(s->message);
		gb_testfile_free(&s->tf);
		json_decref(s->result);
		json_decref(s->diffs);
	}
	free(r->subs);
	free_names(r->tasks, r->ntasks);
	free(r->course);
	if (r->coursefd >= 0)
		close(r->coursefd);
	*r = (struct gb_replay){ .coursefd = -1 };
}

static unsigned long long mem_available(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	unsigned long long kb;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			return kb << 10;
	return 0;
}

unsigned gb_replay_jobs(unsigned wanted, bool *capped)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned jobs = wanted ? wanted : (cpus > 0 ? (unsigned)cpus : 1);
	unsigned long long avail = mem_available();
	*capped = false;
	if (avail) {
		unsigned long long fit = avail / GB_REPLAY_SLOT_BYTES;
		if (fit < 1)
			fit = 1;
		if (fit < jobs) {
			jobs = (unsigned)fit;
			*capped = true;
		}
	}
	return jobs;
}

int gb_replay_update(struct gb_replay *r, uid_t uid_base, size_t *written, gb_error *err)
{
	*written = 0;
	for (size_t i = 0; i < r->nsubs; i++) {
		struct gb_replay_sub *s = &r->subs[i];
		_cleanup_free_ char *out = NULL, *path = NULL;
		size_t len;
		struct gb_outfile f = { .replace = true };
		if (s->status != GB_REPLAY_DIFFERENT)
			continue;
		if (gb_testfile_update(s->text, s->len, s->file, s->result, &out, &len, err) < 0)
			return -1;
		if (asprintf(&path, "%s/%s", r->course, s->file) < 0)
			return gb_fail(err, ENOMEM, "%s", s->file);
		struct stat st;
		int rc = gb_outfile_prepare(&f, path, uid_base, err);
		if (rc == 0 && fstatat(f.dirfd, f.name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = gb_fail_errno(err, "%s", path);
		if (rc == 0)
			rc = gb_outfile_replace(&f, out, len, err);
		/* the teacher's file stays the teacher's, with its mode, though
		 * root rewrote it */
		if (rc == 0 && (fchownat(f.dirfd, f.name, st.st_uid, st.st_gid,
					 AT_SYMLINK_NOFOLLOW) < 0 ||
				fchmodat(f.dirfd, f.name, st.st_mode & 07777, 0) < 0))
			rc = gb_fail_errno(err, "%s: keep its owner and mode", path);
		gb_outfile_close(&f);
		if (rc < 0)
			return gb_context(err, "--update");
		s->updated = true;
		(*written)++;
	}
	return 0;
}
