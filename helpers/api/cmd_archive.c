/* archive: copy a file into /archive (packed into the result after the
 * run) or remove one from it. Paths are built as INGInious builds them,
 * by string: "/archive/" + SUB + "/" + name, so an empty SUB gives
 * "/archive//name". Errors print Python's OSError text on stdout, exit 2. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

#define ARCHIVE_ERROR_EXIT 2
#define ARCHIVE_DIR_MODE 0777

static const struct api_opt archive_opts[] = {
	{'a', "add", API_ONE, "ADD", false, "copy this file into the archive"},
	{'r', "remove", API_ONE, "REMOVE", false, "remove this name from the archive"},
	{'s', "subdir", API_ONE, "OUTSUBDIR", false, "subdirectory of the archive"},
};
static const struct api_spec archive_spec = {
	"archive", "archive [-h] [-a ADD] [-r REMOVE] [-s OUTSUBDIR]",
	"Add files to (or remove them from) the archive returned with the result.", archive_opts, 3, NULL, 0,
};

static int os_error(int e, const char *shown)
{
	struct api_buf m = {0};
	size_t n;
	char *t = api_from_argv(shown, &n);
	api_py_repr(&m, t, n);
	printf("[Errno %d] %s: %s\n", e, strerror(e), m.p);
	fflush(stdout);
	api_buf_free(&m);
	free(t);
	return ARCHIVE_ERROR_EXIT;
}

/* os.makedirs(path, exist_ok=True) */
static int makedirs(const char *path)
{
	char *p = api_xstrndup(path, strlen(path));
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, ARCHIVE_DIR_MODE) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int r = mkdir(p, ARCHIVE_DIR_MODE) < 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return r;
}

static int copy_file(const char *src, const char *dst, const char *shown_dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return os_error(errno, src);
	struct stat st;
	if (fstat(in, &st) < 0 || S_ISDIR(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(in);
		return os_error(e, src);
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (out < 0) {
		int e = errno;
		close(in);
		return os_error(e, shown_dst);
	}
	char buf[65536];
	ssize_t r;
	int rc = 0;
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || api_write_all(out, buf, (size_t)r) < 0) {
			rc = os_error(errno, shown_dst);
			break;
		}
	}
	/* shutil.copy copies the permission bits too */
	if (!rc && fchmod(out, st.st_mode & 07777) < 0)
		rc = os_error(errno, shown_dst);
	close(in);
	close(out);
	return rc;
}

int api_cmd_archive(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&archive_spec, argc, argv, &a, &rc))
		return rc;
	const char *sub = a.val[2] ? a.val[2] : "";
	struct api_buf shown_dir = {0};
	api_buf_printf(&shown_dir, "%s/%s", API_ARCHIVE_DIR, sub);
	char *dir = api_path(shown_dir.p);
	if (a.val[0]) {
		const char *base = strrchr(a.val[0], '/');
		base = base ? base + 1 : a.val[0];
		struct api_buf shown = {0}, real = {0};
		api_buf_printf(&shown, "%s/%s", shown_dir.p, base);
		api_buf_printf(&real, "%s/%s", dir, base);
		if (makedirs(dir) < 0)
			return os_error(errno, shown_dir.p);
		if ((rc = copy_file(a.val[0], real.p, shown.p)))
			return rc;
	}
	if (a.val[1]) {
		struct api_buf shown = {0}, real = {0};
		api_buf_printf(&shown, "%s/%s", shown_dir.p, a.val[1]);
		api_buf_printf(&real, "%s/%s", dir, a.val[1]);
		if (unlink(real.p) < 0)
			return os_error(errno, shown.p);
	}
	return 0;
}
