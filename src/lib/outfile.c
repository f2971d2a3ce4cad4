/* outfile: see outfile.h. */
#include "outfile.h"

#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util.h"

/* As the kernel's own limit on symlinks in one lookup (MAXSYMLINKS). */
#define GB_OUTFILE_MAX_LINKS 40
/* ".gb-" + 16 hex digits + ".tmp": a fixed length, whatever the name's. */
#define GB_OUTFILE_TMP_FMT ".gb-%016llx.tmp"
#define GB_OUTFILE_MODE 0644

/* Could a sandbox id write into (or replace) what st describes? */
/* The null device, /dev/null (mem 1:3). */
#define GB_NULL_MAJOR 1
#define GB_NULL_MINOR 3

static const char *sandbox_writable(const struct stat *st, uid_t ids)
{
	if (st->st_uid >= ids)
		return "is owned by a sandbox uid";
	if (st->st_gid >= ids)
		return "has a sandbox gid as its group";
	if ((st->st_mode & S_IWOTH) && !(st->st_mode & S_ISVTX))
		return "is world-writable without the sticky bit";
	return NULL;
}

static int check_dir(int fd, const char *shown, const char *path, uid_t ids, gb_error *err)
{
	struct stat st;
	const char *why;

	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "%s: stat directory %s", path, shown);
	if (!S_ISDIR(st.st_mode))
		return gb_fail(err, ENOTDIR, "%s: %s", path, shown);
	why = sandbox_writable(&st, ids);
	if (why)
		return gb_fail(err, 0, "%s: directory %s %s: a sandbox could replace the file; "
				       "write it elsewhere", path, shown, why);
	return 0;
}

/* Open dir (the parent of path) as written, one component at a time, so
 * that each directory a name is looked up in is checked first. */
static int open_dir(const char *dir, const char *path, uid_t ids, int *out, gb_error *err)
{
	char todo[PATH_MAX], link[PATH_MAX], shown[PATH_MAX];
	_cleanup_close_ int cur = -1;
	int links = 0;

	if (strlen(dir) >= sizeof(todo))
		return gb_fail(err, ENAMETOOLONG, "%s", path);
	snprintf(todo, sizeof(todo), "%s", dir);
	snprintf(shown, sizeof(shown), "%s", dir[0] == '/' ? "/" : ".");
	cur = open(shown, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return gb_fail_errno(err, "%s: open %s", path, shown);
	if (check_dir(cur, shown, path, ids, err) < 0)
		return -1;
	for (;;) {
		char *comp = todo, *rest;
		_cleanup_close_ int next = -1;
		struct stat st;
		ssize_t n;

		comp += strspn(comp, "/");
		if (!*comp)
			break;
		rest = comp + strcspn(comp, "/");
		if (*rest)
			*rest++ = '\0';
		if (!strcmp(comp, "."))
			goto advance;
		next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, &st) < 0)
			return gb_fail_errno(err, "%s: %s%s%s", path, shown,
					     shown[strlen(shown) - 1] == '/' ? "" : "/", comp);
		if (S_ISLNK(st.st_mode)) {
			/* The admin's symlink: it sits in a directory checked
			 * above, so no sandbox can have planted it. */
			if (++links > GB_OUTFILE_MAX_LINKS)
				return gb_fail(err, ELOOP, "%s", path);
			n = readlinkat(next, "", link, sizeof(link));
			if (n < 0 || (size_t)n >= sizeof(link))
				return gb_fail_errno(err, "%s: read symlink %s", path, comp);
			link[n] = '\0';
			if (strlen(link) + 1 + strlen(rest) >= sizeof(todo))
				return gb_fail(err, ENAMETOOLONG, "%s", path);
			memmove(todo + n + 1, rest, strlen(rest) + 1);
			memcpy(todo, link, (size_t)n);
			todo[n] = '/';
			if (link[0] == '/') {
				gb_closep(&cur);
				snprintf(shown, sizeof(shown), "/");
				cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (cur < 0)
					return gb_fail_errno(err, "%s: open /", path);
			}
			continue;
		}
		{
			size_t len = strlen(shown);
			snprintf(shown + len, sizeof(shown) - len, "%s%s",
				 shown[len - 1] == '/' ? "" : "/", comp);
		}
		if (check_dir(next, shown, path, ids, err) < 0)
			return -1;
		gb_closep(&cur);
		cur = gb_steal_fd(&next);
	advance:
		memmove(todo, rest, strlen(rest) + 1);
	}
	*out = gb_steal_fd(&cur);
	return 0;
}

/* The null device, the usual way to drop an output, is the one device an
 * output may be (its directory passed the same checks as any other). Never
 * for --meta, which is renamed into place. */
static bool is_null_device(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(GB_NULL_MAJOR, GB_NULL_MINOR);
}

static int check_file(const struct stat *st, const struct gb_outfile *f, gb_error *err)
{
	const char *why;

	if (is_null_device(st) && !f->replace)
		return 0;
	if (S_ISLNK(st->st_mode))
		return gb_fail(err, 0, "%s: is a symbolic link; gradebox never writes through one",
			       f->path);
	if (!S_ISREG(st->st_mode))
		return gb_fail(err, 0, "%s: is not a regular file (a FIFO, device or directory "
				       "is refused)", f->path);
	if (st->st_nlink > 1)
		return gb_fail(err, 0, "%s: has other hard links; refusing to overwrite it",
			       f->path);
	why = sandbox_writable(st, f->sandbox_ids);
	if (why)
		return gb_fail(err, 0, "%s: %s; refusing to write it", f->path, why);
	return 0;
}

/* The file as it is now, if there is one. */
static int check_existing(const struct gb_outfile *f, gb_error *err)
{
	struct stat st;

	if (fstatat(f->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return gb_fail_errno(err, "%s", f->path);
	}
	return check_file(&st, f, err);
}

int gb_outfile_prepare(struct gb_outfile *f, const char *path, uid_t sandbox_ids,
		       gb_error *err)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	char dir[PATH_MAX];

	f->path = path;
	f->dirfd = -1;
	f->sandbox_ids = sandbox_ids;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return gb_fail(err, EISDIR, "%s", path);
	if (strlen(name) >= sizeof(f->name) || (size_t)(name - path) >= sizeof(dir))
		return gb_fail(err, ENAMETOOLONG, "%s", path);
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (open_dir(dir, path, sandbox_ids, &f->dirfd, err) < 0)
		return -1;
	if (check_existing(f, err) < 0) {
		gb_closep(&f->dirfd);
		return -1;
	}
	return 0;
}

int gb_outfile_open(const struct gb_outfile *f, gb_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	/* No O_TRUNC and O_NONBLOCK: a FIFO or device must be refused before
	 * it is truncated or waits for a reader. */
	fd = GB_RETRY(openat(f->dirfd, f->name,
			     O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
			     GB_OUTFILE_MODE));
	if (fd < 0 && errno == ELOOP)
		return gb_fail(err, 0, "%s: is a symbolic link; gradebox never writes through one",
			       f->path);
	if (fd < 0)
		return gb_fail_errno(err, "%s", f->path);
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "%s: stat", f->path);
	if (is_null_device(&st)) {
		if (fcntl(fd, F_SETFL, 0) < 0)
			return gb_fail_errno(err, "%s", f->path);
		return gb_steal_fd(&fd);
	}
	if (check_file(&st, f, err) < 0)
		return -1;
	if (fcntl(fd, F_SETFL, 0) < 0 || ftruncate(fd, 0) < 0)
		return gb_fail_errno(err, "%s: truncate", f->path);
	return gb_steal_fd(&fd);
}

int gb_outfile_replace(const struct gb_outfile *f, const void *data, size_t len,
		       gb_error *err)
{
	unsigned long long rnd = 0;
	char tmp[sizeof(GB_OUTFILE_TMP_FMT) + 16];
	_cleanup_close_ int fd = -1;

	if (!f->replace)
		return gb_fail(err, EINVAL, "%s: not prepared for replacing", f->path);
	if (check_existing(f, err) < 0)
		return -1;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned long long)gb_now_ns() ^ (unsigned long long)getpid();
	snprintf(tmp, sizeof(tmp), GB_OUTFILE_TMP_FMT, rnd);
	fd = GB_RETRY(openat(f->dirfd, tmp,
			     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, GB_OUTFILE_MODE));
	if (fd < 0)
		return gb_fail_errno(err, "%s: create a temporary file beside it", f->path);
	if (gb_write_all(fd, data, len) < 0 || close(gb_steal_fd(&fd)) < 0) {
		gb_fail_errno(err, "%s: write", f->path);
		unlinkat(f->dirfd, tmp, 0);
		return -1;
	}
	if (renameat(f->dirfd, tmp, f->dirfd, f->name) < 0) {
		gb_fail_errno(err, "%s: rename the temporary file over it", f->path);
		unlinkat(f->dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

void gb_outfile_close(struct gb_outfile *f)
{
	gb_closep(&f->dirfd);
}

int gb_open_output(const char *path, uid_t sandbox_ids, gb_error *err)
{
	struct gb_outfile f;
	int fd;

	if (gb_outfile_prepare(&f, path, sandbox_ids, err) < 0)
		return -1;
	fd = gb_outfile_open(&f, err);
	gb_outfile_close(&f);
	return fd;
}
