/* cgroup_fs: see cgroup_fs.h. */
#include "cgroup_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util.h"

int gb_cgfs_join(char *out, const char *a, const char *b, gb_error *err)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);

	if (n < 0 || n >= PATH_MAX)
		return gb_fail(err, ENAMETOOLONG, "cgroup path %s/%s", a, b);
	return 0;
}

bool gb_cgfs_is_fs(const char *path, unsigned long magic)
{
	struct statfs st;

	return GB_RETRY(statfs(path, &st)) == 0 && (unsigned long)st.f_type == magic;
}

bool gb_cgfs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

bool gb_cgfs_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

int gb_cgfs_read_at(const char *dir, const char *name, char **out, gb_error *err)
{
	char path[PATH_MAX];

	if (gb_cgfs_join(path, dir, name, err) < 0)
		return -1;
	return gb_read_file(path, CG_FILE_MAX, out, NULL, err);
}

int gb_cgfs_write_at(const char *dir, const char *name, const char *data, gb_error *err)
{
	char path[PATH_MAX];

	if (gb_cgfs_join(path, dir, name, err) < 0)
		return -1;
	if (gb_write_file(path, data, err) < 0) {
		/* gb_write_file names only the file; say which cgroup. */
		int e = err->errnum;
		return gb_fail(err, e, "write '%s' to %s", data, path);
	}
	return 0;
}

int gb_cgfs_read_u64_at(const char *dir, const char *name, uint64_t *out, gb_error *err)
{
	_cleanup_free_ char *buf = NULL;

	if (gb_cgfs_read_at(dir, name, &buf, err) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	if (gb_parse_u64(buf, out) < 0)
		return gb_fail(err, 0, "%s/%s: expected a number, got '%s'", dir, name, buf);
	return 0;
}

int gb_cgfs_read_key_at(const char *dir, const char *name, const char *key, uint64_t *out,
		       gb_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t klen = strlen(key);

	*out = 0;
	if (gb_cgfs_read_at(dir, name, &buf, err) < 0)
		return -1;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, key, klen) || line[klen] != ' ')
			continue;
		if (gb_parse_u64(line + klen + 1, out) < 0)
			return gb_fail(err, 0, "%s/%s: bad '%s' line", dir, name, key);
		return 0;
	}
	return 0;
}

bool gb_cgfs_events_populated(int fd)
{
	char buf[256];
	ssize_t n = GB_RETRY(pread(fd, buf, sizeof(buf) - 1, 0));

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "populated 1") != NULL;
}


int gb_cgfs_for_each_child(const char *dir, int (*fn)(const char *sub, void *arg, gb_error *err),
			   void *arg, gb_error *err)
{
	return gb_cgfs_for_each_prefixed(dir, "", fn, arg, err);
}

int gb_cgfs_for_each_prefixed(const char *dir, const char *prefix,
			      int (*fn)(const char *sub, void *arg, gb_error *err), void *arg,
			      gb_error *err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	size_t len = strlen(prefix);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : gb_fail_errno(err, "open %s", dir);
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_type != DT_DIR || de->d_name[0] == '.' || strncmp(de->d_name, prefix, len))
			continue;
		if (gb_cgfs_join(sub, dir, de->d_name, err) < 0 || fn(sub, arg, err) < 0)
			return -1;
	}
	return 0;
}
