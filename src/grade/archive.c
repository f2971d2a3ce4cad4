/* archive: /archive of a grading sandbox packed as a .tgz (libarchive) and
 * base64-encoded into the result, as INGInious returns it. The directory
 * was the sandbox's: it is walked from the held job tmpfs, every entry
 * opened relative to its parent with O_NOFOLLOW, symlinks stored as
 * symlinks (never followed), anything but files, directories and symlinks
 * skipped. The tmpfs's size (the disk limit) bounds what there is to pack. */
#include "archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define GB_ARCHIVE_DEPTH 64
#define GB_ARCHIVE_BLOCK 65536

struct membuf {
	unsigned char *data;
	size_t len, cap, max;
	bool too_big;
};

static la_ssize_t mem_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct membuf *m = arg;

	if (m->len + len > m->max) {
		m->too_big = true;
		archive_set_error(a, EFBIG, "archive larger than the disk limit");
		return -1;
	}
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : GB_ARCHIVE_BLOCK;
		while (cap < m->len + len)
			cap *= 2;
		unsigned char *p = realloc(m->data, cap);
		if (!p) {
			archive_set_error(a, ENOMEM, "out of memory");
			return -1;
		}
		m->data = p;
		m->cap = cap;
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return (la_ssize_t)len;
}

static int add_file(struct archive *a, int fd, struct archive_entry *e, gb_error *err)
{
	char buf[GB_ARCHIVE_BLOCK];
	ssize_t n;

	if (archive_write_header(a, e) != ARCHIVE_OK)
		return gb_fail(err, EIO, "archive: %s", archive_error_string(a));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(a, buf, (size_t)n) < 0)
			return gb_fail(err, EIO, "archive: %s", archive_error_string(a));
	return n < 0 ? gb_fail_errno(err, "archive: read") : 0;
}

static int walk(struct archive *a, int dirfd, const char *prefix, int depth, gb_error *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (depth > GB_ARCHIVE_DEPTH)
		return 0;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return gb_fail_errno(err, "archive: open %s", *prefix ? prefix : "/archive");
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct archive_entry *e;
		struct stat st;
		int r = 0;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (asprintf(&path, "%s%s", prefix, de->d_name) < 0)
			return gb_fail(err, ENOMEM, "archive");
		e = archive_entry_new();
		archive_entry_set_pathname(e, path);
		archive_entry_set_mode(e, st.st_mode);
		archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		archive_entry_set_uid(e, GB_ARCHIVE_OWNER);
		archive_entry_set_gid(e, GB_ARCHIVE_OWNER);
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
								    O_NOFOLLOW | O_CLOEXEC);
			_cleanup_free_ char *subprefix = NULL;
			if (sub >= 0 && asprintf(&subprefix, "%s/", path) >= 0) {
				if (archive_write_header(a, e) != ARCHIVE_OK)
					r = gb_fail(err, EIO, "archive: %s", archive_error_string(a));
				else
					r = walk(a, sub, subprefix, depth + 1, err);
			}
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_close_ int f = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW |
								  O_NONBLOCK | O_CLOEXEC);
			struct stat fst;
			if (f >= 0 && fstat(f, &fst) == 0 && S_ISREG(fst.st_mode)) {
				archive_entry_set_size(e, fst.st_size);
				r = add_file(a, f, e, err);
			}
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd, de->d_name, target, sizeof(target) - 1);
			if (n >= 0) {
				target[n] = '\0';
				archive_entry_set_symlink(e, target);
				if (archive_write_header(a, e) != ARCHIVE_OK)
					r = gb_fail(err, EIO, "archive: %s", archive_error_string(a));
			}
		}
		archive_entry_free(e);
		if (r < 0)
			return -1;
	}
	return 0;
}

int gb_archive_pack(int dirfd, size_t max, unsigned char **out, size_t *len, gb_error *err)
{
	struct membuf m = { .max = max };
	struct archive *a = archive_write_new();
	int r = -1;

	*out = NULL;
	*len = 0;
	if (!a)
		return gb_fail(err, ENOMEM, "archive");
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, &m, NULL, mem_write, NULL, NULL) != ARCHIVE_OK) {
		gb_fail(err, EIO, "archive: %s", archive_error_string(a));
		goto out;
	}
	if (walk(a, dirfd, "", 0, err) < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		gb_fail(err, m.too_big ? EFBIG : EIO, "archive: %s", archive_error_string(a));
		goto out;
	}
	*out = m.data;
	*len = m.len;
	m.data = NULL;
	r = 0;
out:
	archive_write_free(a);
	free(m.data);
	return r;
}
