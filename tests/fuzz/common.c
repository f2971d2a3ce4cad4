/* common: see common.h. */
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define GB_TAR_BLOCK 512
#define GB_TAR_CHKSUM_OFF 148
#define GB_TAR_CHKSUM_LEN 8
#define GB_TAR_SIZE_OFF 124
#define GB_TAR_SIZE_LEN 12
#define GB_TAR_MAGIC_OFF 257

static struct gb_fuzz_scratch *atexit_scratch;

static void die(const char *what, const char *path)
{
	fprintf(stderr, "gb-fuzz: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

static void remove_scratch(void)
{
	if (atexit_scratch)
		gb_rm_rf(atexit_scratch->root, NULL);
}

void gb_fuzz_scratch_init(struct gb_fuzz_scratch *s, const char *name)
{
	const char *base = getenv("GB_FUZZ_TMPDIR");
	char path[PATH_MAX];
	gb_error err;

	if (!base || base[0] != '/') {
		fprintf(stderr, "gb-fuzz: set GB_FUZZ_TMPDIR to an absolute directory under "
				"tests/.work/fuzz (tests/fuzz/run.sh does)\n");
		abort();
	}
	snprintf(s->root, sizeof(s->root), "%s/%s.%d", base, name, (int)getpid());
	gb_rm_rf(s->root, NULL); /* a pid reused after a crash */
	snprintf(path, sizeof(path), "%s", s->root);
	for (int i = 0; i < GB_FUZZ_CANARY_DEPTH; i++) {
		size_t n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "/d%d", i);
	}
	snprintf(s->work, sizeof(s->work), "%s/work", path);
	if (gb_mkdir_p(s->work, 0755, &err) < 0) {
		fprintf(stderr, "gb-fuzz: %s\n", err.msg);
		abort();
	}
	if (!getcwd(s->cwd, sizeof(s->cwd)))
		die("getcwd", "");
	atexit_scratch = s;
	atexit(remove_scratch);
}

void gb_fuzz_scratch_clear(struct gb_fuzz_scratch *s)
{
	DIR *d = opendir(s->work);
	struct dirent *e;
	gb_error err;

	if (!d)
		die("opendir", s->work);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (gb_rm_rf_at(dirfd(d), e->d_name, &err) < 0) {
			fprintf(stderr, "gb-fuzz: clear %s/%s: %s\n", s->work, e->d_name, err.msg);
			abort();
		}
	}
	closedir(d);
}

/* dir must hold exactly `only` (or nothing when only is NULL). */
static void expect_only(const char *dir, const char *only)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		die("canary: opendir", dir);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!only || strcmp(e->d_name, only)) {
			fprintf(stderr, "gb-fuzz: written outside the scratch store: %s/%s\n", dir,
				e->d_name);
			abort();
		}
	}
	closedir(d);
}

void gb_fuzz_canary_check(const struct gb_fuzz_scratch *s)
{
	char path[PATH_MAX], cwd[PATH_MAX], only[16];

	snprintf(path, sizeof(path), "%s", s->root);
	for (int i = 0; i <= GB_FUZZ_CANARY_DEPTH; i++) {
		size_t n = strlen(path);

		if (i < GB_FUZZ_CANARY_DEPTH)
			snprintf(only, sizeof(only), "d%d", i);
		else
			snprintf(only, sizeof(only), "work");
		expect_only(path, only);
		snprintf(path + n, sizeof(path) - n, "/%s", only);
	}
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, s->cwd)) {
		fprintf(stderr, "gb-fuzz: the cwd changed: %s -> %s\n", s->cwd, cwd);
		abort();
	}
}

void gb_fuzz_write_file(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		die("open", path);
	if (gb_write_all(fd, data, len) < 0)
		die("write", path);
	close(fd);
}

int gb_fuzz_put(int dirfd, const char *name, const void *data, size_t len, const char *link)
{
	char buf[PATH_MAX], *save = NULL, *comp, *next;
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3), r = -1;

	if (fd < 0)
		die("dup", name);
	if (name[0] == '/' || snprintf(buf, sizeof(buf), "%s", name) >= (int)sizeof(buf))
		goto out;
	comp = strtok_r(buf, "/", &save);
	for (; comp; comp = next) {
		int sub;

		next = strtok_r(NULL, "/", &save);
		if (!strcmp(comp, "..") || !strcmp(comp, "."))
			goto out;
		if (!next)
			break;
		if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
			goto out;
		sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			goto out;
		close(fd);
		fd = sub;
	}
	if (!comp)
		goto out;
	if (link && !strcmp(link, GB_FUZZ_FIFO)) {
		r = mkfifoat(fd, comp, 0644);
	} else if (link) {
		r = symlinkat(link, fd, comp);
	} else {
		int f = openat(fd, comp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f >= 0) {
			r = gb_write_all(f, data, len);
			close(f);
		}
	}
out:
	close(fd);
	return r;
}

static uint64_t octal(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && p[i] >= '0' && p[i] <= '7'; i++)
		v = (v << 3) | (p[i] - '0');
	return v;
}

void gb_fuzz_tar_fix_checksums(uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off + GB_TAR_BLOCK <= len) {
		uint8_t *h = buf + off;
		unsigned sum = 0;
		uint64_t size;

		if (memcmp(h + GB_TAR_MAGIC_OFF, "ustar", 5))
			return; /* not a header: the end, or a compressed blob */
		memset(h + GB_TAR_CHKSUM_OFF, ' ', GB_TAR_CHKSUM_LEN);
		for (size_t i = 0; i < GB_TAR_BLOCK; i++)
			sum += h[i];
		snprintf((char *)h + GB_TAR_CHKSUM_OFF, GB_TAR_CHKSUM_LEN, "%06o", sum & 0777777);
		size = octal(h + GB_TAR_SIZE_OFF, GB_TAR_SIZE_LEN);
		if (size > len)
			return;
		off += GB_TAR_BLOCK + (size + GB_TAR_BLOCK - 1) / GB_TAR_BLOCK * GB_TAR_BLOCK;
	}
}
