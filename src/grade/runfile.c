/* runfile: which command starts the grading, as INGInious chooses it:
 * task.yaml's run_cmd split on single spaces; else, in /task then in
 * /course/common, `run` (any executable: shebang or ELF), `run.py` and
 * `run.py3` (through inginious-ipython), `run.sh` (bash, else sh).
 *
 * INGInious makes the run file executable first; gradebox does not write
 * the teacher's tree, so a `run` without its executable bit is started
 * through the interpreter its shebang names (the kernel would do the same
 * with the bit set). */
#include "runfile.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util.h"

#define GB_SHEBANG_MAX 256
#define GB_IPYTHON "/.gradebox/bin/inginious-ipython"
/* bash when the image has it, else sh: decided inside, where the image is. */
#define GB_RUN_SH "if [ -x /bin/bash ]; then exec /bin/bash \"$0\"; fi; exec /bin/sh \"$0\""

void gb_runfile_free(struct gb_runfile *r)
{
	for (size_t i = 0; i < r->argc; i++)
		free(r->argv[i]);
	r->argc = 0;
	r->argv[0] = NULL;
}

static int add(struct gb_runfile *r, const char *arg, size_t len)
{
	if (r->argc + 1 >= GB_RUNFILE_MAX_ARGS)
		return -1;
	r->argv[r->argc] = strndup(arg, len);
	if (!r->argv[r->argc])
		return -1;
	r->argv[++r->argc] = NULL;
	return 0;
}

/* fstatat without following a symlink: the name exists in the dir. */
static int lookup(int dirfd, const char *name, struct stat *st)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	_cleanup_close_ int fd = -1;

	if (dirfd < 0)
		return -1;
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	/* a symlink counts if it resolves inside the directory */
	if (S_ISLNK(st->st_mode)) {
		fd = (int)GB_RETRY(syscall(SYS_openat2, dirfd, name, &how, sizeof(how)));
		if (fd < 0 || fstat(fd, st) < 0)
			return -1;
	}
	return S_ISREG(st->st_mode) ? 0 : -1;
}

/* The shebang of a non-executable `run`, split as the kernel does: the
 * interpreter, then at most one argument (the rest of the line). */
static int shebang(int dirfd, const char *name, struct gb_runfile *r)
{
	struct open_how how = { .flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	_cleanup_close_ int fd = (int)GB_RETRY(syscall(SYS_openat2, dirfd, name, &how,
							sizeof(how)));
	char buf[GB_SHEBANG_MAX + 1], *p, *end;
	ssize_t n;

	if (fd < 0 || (n = gb_read_all(fd, buf, GB_SHEBANG_MAX)) < 2)
		return -1;
	buf[n] = '\0';
	if (buf[0] != '#' || buf[1] != '!')
		return -1;
	end = strchr(buf, '\n');
	if (!end)
		return -1;
	*end = '\0';
	p = buf + 2 + strspn(buf + 2, " \t");
	size_t ilen = strcspn(p, " \t");
	if (ilen == 0 || add(r, p, ilen) < 0)
		return -1;
	p += ilen;
	p += strspn(p, " \t");
	size_t alen = strlen(p);
	while (alen && (p[alen - 1] == ' ' || p[alen - 1] == '\t' || p[alen - 1] == '\r'))
		alen--;
	if (alen && add(r, p, alen) < 0)
		return -1;
	return 0;
}

int gb_runfile_find(const char *run_cmd, int task_fd, int common_fd, struct gb_runfile *r,
		    gb_error *err)
{
	static const char *const prefixes[] = { "/task", "/course/common" };
	int dirs[] = { task_fd, common_fd };
	char path[64];
	struct stat st;

	r->argc = 0;
	r->argv[0] = NULL;
	if (run_cmd && *run_cmd) {
		/* str.split(" "): empty words between two spaces are kept */
		for (const char *p = run_cmd;;) {
			const char *sp = strchr(p, ' ');
			size_t len = sp ? (size_t)(sp - p) : strlen(p);
			if (add(r, p, len) < 0)
				goto too_long;
			if (!sp)
				break;
			p = sp + 1;
		}
		return 0;
	}
	for (size_t i = 0; i < GB_ARRAY_SIZE(prefixes); i++) {
		if (lookup(dirs[i], "run", &st) == 0) {
			snprintf(path, sizeof(path), "%s/run", prefixes[i]);
			if (!(st.st_mode & 0111) && shebang(dirs[i], "run", r) < 0)
				gb_runfile_free(r);
			if (add(r, path, strlen(path)) < 0)
				goto too_long;
			return 0;
		}
		for (const char *const *py = (const char *const[]){ "run.py", "run.py3", NULL }; *py;
		     py++) {
			if (lookup(dirs[i], *py, &st) == 0) {
				snprintf(path, sizeof(path), "%s/%s", prefixes[i], *py);
				if (add(r, GB_IPYTHON, strlen(GB_IPYTHON)) < 0 ||
				    add(r, path, strlen(path)) < 0)
					goto too_long;
				return 0;
			}
		}
		if (lookup(dirs[i], "run.sh", &st) == 0) {
			snprintf(path, sizeof(path), "%s/run.sh", prefixes[i]);
			if (add(r, "/bin/sh", 7) < 0 || add(r, "-c", 2) < 0 ||
			    add(r, GB_RUN_SH, strlen(GB_RUN_SH)) < 0 || add(r, path, strlen(path)) < 0)
				goto too_long;
			return 0;
		}
	}
	return 1;
too_long:
	gb_runfile_free(r);
	return gb_fail(err, E2BIG, "run_cmd: more than %d words", GB_RUNFILE_MAX_ARGS - 1);
}
