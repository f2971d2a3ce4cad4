/* util: see util.h. */
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void gb_freep(void *p)
{
	free(*(void **)p);
}

void gb_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

void gb_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void gb_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

ssize_t gb_read_all(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

int gb_write_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += n;
	}
	return 0;
}

int gb_write_file_at(int dirfd, const char *name, const char *data, gb_error *err)
{
	_cleanup_close_ int fd = GB_RETRY(openat(dirfd, name, O_WRONLY | O_CLOEXEC));

	if (fd < 0)
		return gb_fail_errno(err, "open %s", name);
	if (gb_write_all(fd, data, strlen(data)) < 0)
		return gb_fail_errno(err, "write '%s' to %s", data, name);
	return 0;
}

int gb_write_file(const char *path, const char *data, gb_error *err)
{
	return gb_write_file_at(AT_FDCWD, path, data, err);
}

static int read_fd(int fd, const char *name, size_t max, char **out, size_t *lenp,
		   gb_error *err)
{
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap);

	if (!buf)
		return gb_fail(err, ENOMEM, "read %s", name);
	for (;;) {
		ssize_t n;
		if (len + 1 >= cap) {
			char *nb;
			if (cap >= max)
				return gb_fail(err, 0, "%s: larger than %zu bytes", name, max);
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				return gb_fail(err, ENOMEM, "read %s", name);
			buf = nb;
		}
		n = GB_RETRY(read(fd, buf + len, cap - 1 - len));
		if (n < 0)
			return gb_fail_errno(err, "read %s", name);
		if (n == 0)
			break;
		len += n;
		if (len > max)
			return gb_fail(err, 0, "%s: larger than %zu bytes", name, max);
	}
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	*out = gb_steal_ptr(&buf);
	return 0;
}

int gb_read_file_at(int dirfd, const char *name, size_t max, char **out, gb_error *err)
{
	_cleanup_close_ int fd = GB_RETRY(openat(dirfd, name, O_RDONLY | O_CLOEXEC));

	if (fd < 0)
		return gb_fail_errno(err, "open %s", name);
	return read_fd(fd, name, max, out, NULL, err);
}

int gb_read_file(const char *path, size_t max, char **out, size_t *len, gb_error *err)
{
	_cleanup_close_ int fd = GB_RETRY(open(path, O_RDONLY | O_CLOEXEC));

	if (fd < 0)
		return gb_fail_errno(err, "open %s", path);
	return read_fd(fd, path, max, out, len, err);
}

int gb_mkdir_p(const char *path, mode_t mode, gb_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return gb_fail(err, ENAMETOOLONG, "mkdir %s", path);
	/* The usual case, the directory is there: one call, not one per level. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return gb_fail_errno(err, "mkdir %s", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static int rm_rf_dir(int dfd, const char *name, dev_t dev, gb_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return gb_fail_errno(err, "open %s", name);
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "stat %s", name);
	if (st.st_dev != dev)
		return gb_fail(err, EBUSY, "remove %s: a mount is still in place", name);
	d = fdopendir(fd);
	if (!d)
		return gb_fail_errno(err, "opendir %s", name);
	fd = -1; /* owned by d now */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR) {
			if (rm_rf_dir(dirfd(d), de->d_name, dev, err) < 0)
				return -1;
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				return gb_fail_errno(err, "rmdir %s", de->d_name);
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			if (errno == EISDIR) {
				if (rm_rf_dir(dirfd(d), de->d_name, dev, err) < 0)
					return -1;
				if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
					return gb_fail_errno(err, "rmdir %s", de->d_name);
			} else if (errno != ENOENT) {
				return gb_fail_errno(err, "unlink %s", de->d_name);
			}
		}
	}
	return 0;
}

int gb_rm_rf_at(int dirfd, const char *name, gb_error *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return gb_fail_errno(err, "stat %s", name);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return gb_fail_errno(err, "unlink %s", name);
		return 0;
	}
	if (rm_rf_dir(dirfd, name, st.st_dev, err) < 0)
		return gb_context(err, "remove %s", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return gb_fail_errno(err, "rmdir %s", name);
	return 0;
}

int gb_rm_rf(const char *path, gb_error *err)
{
	return gb_rm_rf_at(AT_FDCWD, path, err);
}

int gb_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v < 0 || v != v)
		return -1;
	*out = v;
	return 0;
}

int gb_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

uint64_t gb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Where close_range() is missing (before Linux 5.9 / 5.11 for CLOEXEC):
 * walk /proc/self/fd, marking or closing every fd from `from` but keep. */
static int each_fd_from(int from, int keep, bool close_it)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (fd < from || fd == keep || fd == dirfd(d))
			continue;
		if (close_it)
			close(fd);
		else
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

int gb_cloexec_from(int from)
{
	if (syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	return each_fd_from(from, -1, false);
}

int gb_close_from_except(int from, int keep)
{
	if ((keep <= from || syscall(SYS_close_range, from, keep - 1, 0) == 0) &&
	    syscall(SYS_close_range, keep < from ? from : keep + 1, ~0U, 0) == 0)
		return 0;
	return each_fd_from(from, keep, true);
}

static char *title_start;
static size_t title_len;

void gb_proc_title_init(int argc, char **argv)
{
	if (argc < 1)
		return;
	title_start = argv[0];
	/* argv strings are contiguous: from argv[0] to the end of the last one */
	title_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
}

void gb_proc_title_set(const char *title)
{
	if (!title_start || title_len == 0)
		return;
	memset(title_start, 0, title_len);
	strncpy(title_start, title, title_len);
	prctl(PR_SET_NAME, title, 0, 0, 0);
}
