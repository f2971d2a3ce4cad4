/* grade_fs: see grade_fs.h. */
#include "grade_fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util.h"

/* INGInious makes /tmp, /task, /.__output and /archive 0777 for the worker. */
#define GB_GRADE_RW_MODE 0777
#define GB_GRADE_RO_MODE 0755
#define GB_GRADE_FILE_MODE 0644
#define GB_SYSTEMFILE_MAX (1u << 20)
/* What a Docker container's /etc/hosts starts with. */
#define GB_HOSTS_BASE "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"

static int write_at(int dir, const char *name, const void *data, size_t len, uid_t owner,
		    gb_error *err)
{
	_cleanup_close_ int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
							  O_CLOEXEC, GB_GRADE_FILE_MODE);

	if (fd < 0)
		return gb_fail_errno(err, "create %s", name);
	if (gb_write_all(fd, data, len) < 0)
		return gb_fail_errno(err, "write %s", name);
	if (fchown(fd, owner, owner) < 0)
		return gb_fail_errno(err, "chown %s", name);
	return 0;
}

static int make_dir(int scratch, const char *name, mode_t mode, uid_t owner, gb_error *err)
{
	if (mkdirat(scratch, name, mode) < 0)
		return gb_fail_errno(err, "mkdir %s", name);
	/* mkdir's mode went through the umask */
	if (fchmodat(scratch, name, mode, 0) < 0 ||
	    fchownat(scratch, name, owner, owner, AT_SYMLINK_NOFOLLOW) < 0)
		return gb_fail_errno(err, "prepare %s", name);
	return 0;
}

int gb_grade_fs_prepare(int scratch, const struct gb_input *in, const struct gb_grade_ids *ids,
			gb_error *err)
{
	_cleanup_free_ char *doc = gb_input_dump(in);
	_cleanup_close_ int dir = -1;
	uid_t student = ids->student_idmapped ? GB_GRADE_WORKER : ids->worker;

	if (!doc)
		return gb_fail(err, ENOMEM, "serialise the input");
	if (make_dir(scratch, GB_GRADE_IN_DIR, GB_GRADE_RO_MODE, ids->root, err) < 0 ||
	    make_dir(scratch, GB_GRADE_OUT_DIR, GB_GRADE_RW_MODE, ids->worker, err) < 0 ||
	    make_dir(scratch, GB_GRADE_ARCHIVE_DIR, GB_GRADE_RW_MODE, ids->worker, err) < 0 ||
	    make_dir(scratch, GB_GRADE_STUDENT_DIR, GB_GRADE_RW_MODE, student, err) < 0)
		return -1;
	dir = openat(scratch, GB_GRADE_IN_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return gb_fail_errno(err, "open %s", GB_GRADE_IN_DIR);
	if (write_at(dir, "__inputdata.json", doc, strlen(doc), ids->root, err) < 0)
		return -1;
	for (size_t i = 0; i < in->nuploads; i++) {
		char name[32];
		snprintf(name, sizeof(name), "__inputfile_%u", in->uploads[i].index);
		if (write_at(dir, name, in->uploads[i].data, in->uploads[i].len, ids->root, err) < 0)
			return -1;
	}
	return 0;
}

int gb_grade_fs_tree(int scratch, const char *name, gb_error *err)
{
	int tree = open_tree(scratch, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);

	if (tree < 0)
		return gb_fail_errno(err, "bind %s of the job tmpfs", name);
	return tree;
}

/* A teacher's file: the task dir is not the sandbox's, but a symlink there
 * could still name any host file; read regular files only, not through one. */
static int read_task_file(int task_fd, const char *name, char **out, size_t *len, gb_error *err)
{
	struct open_how how = { .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	_cleanup_close_ int fd = (int)GB_RETRY(syscall(SYS_openat2, task_fd, name, &how,
							sizeof(how)));
	struct stat st;
	ssize_t n;

	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > GB_SYSTEMFILE_MAX)
		return gb_fail(err, errno ? errno : EINVAL, "Cannot read/use /task/%s", name);
	*out = malloc((size_t)st.st_size + 1);
	if (!*out)
		return gb_fail(err, ENOMEM, "Cannot read/use /task/%s", name);
	n = gb_read_all(fd, *out, (size_t)st.st_size);
	if (n < 0) {
		free(*out);
		*out = NULL;
		return gb_fail_errno(err, "Cannot read/use /task/%s", name);
	}
	*len = (size_t)n;
	return 0;
}

int gb_grade_fs_systemfiles(int scratch, int task_fd, const char *names[2], gb_error *err)
{
	static const char *const files[2] = { "hosts", "resolv.conf" };

	for (size_t i = 0; i < 2; i++) {
		char path[64];
		_cleanup_free_ char *data = NULL, *full = NULL;
		size_t len = 0;
		int r;

		names[i] = NULL;
		snprintf(path, sizeof(path), "systemfiles/%s", files[i]);
		r = read_task_file(task_fd, path, &data, &len, err);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		/* each preceded by a newline, as INGInious writes them */
		if (asprintf(&full, "%s\n%.*s", i == 0 ? GB_HOSTS_BASE : "", (int)len, data) < 0)
			return gb_fail(err, ENOMEM, "systemfiles");
		if (write_at(scratch, files[i], full, strlen(full), 0, err) < 0)
			return -1;
		names[i] = files[i];
	}
	return 0;
}

int gb_grade_fs_read(int scratch, const char *path, size_t max, char **out, size_t *len,
		     gb_error *err)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	_cleanup_close_ int fd = (int)GB_RETRY(syscall(SYS_openat2, scratch, path, &how,
							sizeof(how)));
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n;

	*out = NULL;
	*len = 0;
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return gb_fail_errno(err, "open %s", path);
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return gb_fail(err, EINVAL, "%s is not a regular file", path);
	buf = malloc(max + 2);
	if (!buf)
		return gb_fail(err, ENOMEM, "read %s", path);
	n = gb_read_all(fd, buf, max + 1);
	if (n < 0)
		return gb_fail_errno(err, "read %s", path);
	buf[n] = '\0';
	*len = (size_t)n;
	*out = gb_steal_ptr(&buf);
	return 0;
}
