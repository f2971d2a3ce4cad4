/* image_source: see image_source.h. */
#include "image_source.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "util.h"

#define GB_SOURCE_BLOCK (1u << 20)
#define GB_SOURCE_SMALL_MAX (1u << 20)     /* kept in memory in the first pass */
#define GB_SOURCE_SMALL_TOTAL (256u << 20) /* at most this much in all */
#define GB_SOURCE_FILE_MAX (16u << 20)     /* a manifest or config file */
#define GB_SOURCE_ERR_MAX 512

static struct archive *open_tar(const char *path, gb_error *err)
{
	struct archive *a = archive_read_new();

	if (!a) {
		gb_fail(err, ENOMEM, "libarchive");
		return NULL;
	}
	/* In-process decompressors only: never an external program. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, GB_SOURCE_BLOCK) != ARCHIVE_OK) {
		gb_fail(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "%s",
			archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Old docker save names a directory per layer by a hex id. */
static bool hex_name(const char *s)
{
	return *s && strspn(s, "0123456789abcdef") == strlen(s);
}

/* Names a docker save or OCI tar holds; anything else means a rootfs. */
static bool image_member_name(const char *n, bool is_dir)
{
	const char *slash = strchr(n, '/');
	char first[NAME_MAX + 1];

	if (!*n)
		return is_dir;
	if (!slash) {
		if (is_dir)
			return !strcmp(n, "blobs") || hex_name(n);
		return ends_with(n, ".json") || ends_with(n, ".tar") ||
		       !strcmp(n, "repositories") || !strcmp(n, "oci-layout");
	}
	if (!strncmp(n, "blobs/", strlen("blobs/")))
		return true;
	if ((size_t)(slash - n) > NAME_MAX || strchr(slash + 1, '/'))
		return false;
	memcpy(first, n, slash - n);
	first[slash - n] = '\0';
	return hex_name(first);
}

static int add_member(struct gb_image_source *src, const char *name, uint64_t size,
		      gb_error *err)
{
	for (size_t i = 0; i < src->nm; i++)
		if (!strcmp(src->m[i].name, name)) {
			src->m[i].dup = true;
			return 0;
		}
	if (src->nm == src->capm) {
		size_t cap = src->capm ? 2 * src->capm : 32;
		void *p = realloc(src->m, cap * sizeof(*src->m));
		if (!p)
			return gb_fail(err, ENOMEM, "read %s", src->path);
		src->m = p;
		src->capm = cap;
	}
	src->m[src->nm] = (struct gb_image_member){ .name = strdup(name), .size = size };
	if (!src->m[src->nm].name)
		return gb_fail(err, ENOMEM, "read %s", src->path);
	src->nm++;
	return 0;
}

static int keep_small(struct gb_image_source *src, struct archive *a, gb_error *err)
{
	struct gb_image_member *m = &src->m[src->nm - 1];
	la_ssize_t n;

	if (m->data || m->size > GB_SOURCE_SMALL_MAX ||
	    src->small_total + m->size > GB_SOURCE_SMALL_TOTAL)
		return 0;
	m->data = malloc(m->size + 1);
	if (!m->data)
		return gb_fail(err, ENOMEM, "read %s", m->name);
	n = archive_read_data(a, m->data, m->size);
	if (n < 0 || (uint64_t)n != m->size)
		return gb_fail(err, 0, "%s: %s", m->name,
			       n < 0 ? archive_error_string(a) : "truncated");
	m->data[m->size] = '\0';
	src->small_total += m->size;
	return 0;
}

/* First pass: list the members while they look like an image archive. */
static int scan_tar(struct gb_image_source *src, gb_error *err)
{
	struct archive *a = open_tar(src->path, err);
	struct archive_entry *e;
	char name[PATH_MAX];
	int r;

	if (!a)
		return gb_context(err, "not a tar archive, an image or a directory");
	src->image_like = true;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		bool is_dir = archive_entry_filetype(e) == AE_IFDIR;

		if (gb_layer_clean_path(archive_entry_pathname(e), name, sizeof(name), NULL) < 0 ||
		    !image_member_name(name, is_dir)) {
			src->image_like = false; /* a rootfs: its entries are checked later */
			break;
		}
		if (is_dir || archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (add_member(src, name, archive_entry_size(e), err) < 0 ||
		    keep_small(src, a, err) < 0) {
			archive_read_free(a);
			return -1;
		}
	}
	if (r != ARCHIVE_EOF && src->image_like) {
		gb_fail(err, 0, "%s", archive_error_string(a));
		if (src->nm == 0)
			gb_context(err, "not a tar archive, an image or a directory");
		archive_read_free(a);
		return -1;
	}
	archive_read_free(a);
	return 0;
}

int gb_image_source_open(struct gb_image_source *src, const char *path, gb_error *err)
{
	struct stat st;

	memset(src, 0, sizeof(*src));
	src->path = path;
	src->dirfd = -1;
	if (stat(path, &st) < 0)
		return gb_fail_errno(err, "%s", path);
	if (S_ISDIR(st.st_mode)) {
		src->is_dir = true;
		src->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (src->dirfd < 0)
			return gb_fail_errno(err, "%s", path);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return gb_fail(err, 0, "%s: not a file or a directory", path);
	if (scan_tar(src, err) < 0) {
		gb_image_source_close(src);
		return gb_context(err, "%s", path);
	}
	return 0;
}

void gb_image_source_close(struct gb_image_source *src)
{
	for (size_t i = 0; i < src->nm; i++) {
		free(src->m[i].name);
		free(src->m[i].data);
	}
	free(src->m);
	src->m = NULL;
	src->nm = src->capm = 0;
	gb_closep(&src->dirfd);
	src->dirfd = -1;
}

static struct gb_image_member *find(struct gb_image_source *src, const char *name)
{
	for (size_t i = 0; i < src->nm; i++)
		if (!strcmp(src->m[i].name, name))
			return &src->m[i];
	return NULL;
}

int gb_image_source_open_file(struct gb_image_source *src, const char *name, gb_error *err)
{
	/* O_NONBLOCK: a FIFO in the image directory must not block the
	 * import forever waiting for a writer (found by tests/fuzz); only
	 * regular files are read. No effect on a regular file. */
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	char clean[PATH_MAX];
	struct stat st;
	int fd;

	if (gb_layer_clean_path(name, clean, sizeof(clean), err) < 0)
		return gb_context(err, "%s", name);
	fd = GB_RETRY((int)syscall(SYS_openat2, src->dirfd, clean, &how, sizeof(how)));
	if (fd < 0)
		return gb_fail_errno(err, "%s", clean);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		gb_closep(&fd);
		return gb_fail(err, 0, "%s: not a regular file", clean);
	}
	return fd;
}

bool gb_image_source_has(struct gb_image_source *src, const char *name, uint64_t *size)
{
	struct gb_image_member *m;
	struct stat st;

	if (src->is_dir) {
		_cleanup_close_ int fd = gb_image_source_open_file(src, name, NULL);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			return false;
		if (size)
			*size = st.st_size;
		return true;
	}
	m = find(src, name);
	if (m && size)
		*size = m->size;
	return m != NULL && !m->dup;
}

int gb_image_source_read(struct gb_image_source *src, const char *name, char **data,
			 size_t *len, gb_error *err)
{
	struct gb_image_member *m;

	if (src->is_dir) {
		_cleanup_close_ int fd = gb_image_source_open_file(src, name, err);
		char path[64];

		if (fd < 0)
			return -1;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		return gb_read_file(path, GB_SOURCE_FILE_MAX, data, len, err) < 0
			       ? gb_context(err, "%s", name)
			       : 0;
	}
	m = find(src, name);
	if (!m)
		return gb_fail(err, 0, "%s: missing", name);
	if (m->dup)
		return gb_fail(err, 0, "%s: appears twice", name);
	if (!m->data)
		return gb_fail(err, 0, "%s: too large for a manifest or config", name);
	*data = malloc(m->size + 1);
	if (!*data)
		return gb_fail(err, ENOMEM, "%s", name);
	memcpy(*data, m->data, m->size + 1);
	if (len)
		*len = m->size;
	return 0;
}

ssize_t gb_image_read_fd(void *arg, void *buf, size_t len, gb_error *err)
{
	struct gb_image_fd_reader *r = arg;
	ssize_t n = GB_RETRY(read(r->fd, buf, len));

	if (n < 0)
		return gb_fail_errno(err, "read %s", r->name);
	return n;
}

ssize_t gb_image_read_mem(void *arg, void *buf, size_t len, gb_error *err)
{
	struct gb_image_mem_reader *r = arg;
	size_t n = len < r->left ? len : r->left;

	memcpy(buf, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

static ssize_t read_member(void *arg, void *buf, size_t len, gb_error *err)
{
	struct archive *a = arg;
	la_ssize_t n = archive_read_data(a, buf, len);

	if (n < 0)
		return gb_fail(err, 0, "%s", archive_error_string(a));
	return n;
}

int gb_image_source_stream(struct gb_image_source *src, bool (*want)(void *arg, const char *name),
			   gb_image_member_fn fn, void *arg, gb_error *err)
{
	struct archive *a = open_tar(src->path, err);
	struct archive_entry *e;
	char name[PATH_MAX];
	int r;

	if (!a)
		return gb_context(err, "%s", src->path);
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (archive_entry_filetype(e) != AE_IFREG ||
		    gb_layer_clean_path(archive_entry_pathname(e), name, sizeof(name), NULL) < 0 ||
		    !want(arg, name))
			continue;
		if (fn(arg, name, read_member, a, err) < 0) {
			archive_read_free(a);
			return -1;
		}
	}
	if (r != ARCHIVE_EOF) {
		gb_fail(err, 0, "%s: %s", src->path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	archive_read_free(a);
	return 0;
}

/* The child: tar the directory onto out with numeric owners, xattrs and
 * hard links, without following symlinks or crossing mounts. */
static void dir_tar_child(const char *dir, int out, int errfd)
{
	struct archive *rd = archive_read_disk_new(), *wr = archive_write_new();
	struct archive_entry_linkresolver *lr = archive_entry_linkresolver_new();
	struct archive_entry *e, *spare = NULL;
	char *buf = malloc(GB_SOURCE_BLOCK);
	struct archive *bad = NULL;
	int r;

	if (!rd || !wr || !lr || !buf || chdir(dir) < 0) {
		dprintf(errfd, "%s: %s", dir, strerror(errno ? errno : ENOMEM));
		_exit(1);
	}
	archive_entry_linkresolver_set_strategy(lr, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_read_disk_set_symlink_physical(rd);
	archive_read_disk_set_behavior(rd, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS |
						   ARCHIVE_READDISK_NO_ACL |
						   ARCHIVE_READDISK_NO_FFLAGS);
	archive_write_set_format_pax_restricted(wr);
	if (archive_write_open_fd(wr, out) != ARCHIVE_OK) {
		bad = wr;
		goto fail;
	}
	if (archive_read_disk_open(rd, ".") != ARCHIVE_OK) {
		bad = rd;
		goto fail;
	}
	for (;;) {
		e = archive_entry_new();
		r = archive_read_next_header2(rd, e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			bad = rd;
			goto fail;
		}
		archive_read_disk_descend(rd);
		if (archive_entry_filetype(e) == AE_IFSOCK) { /* no tar form */
			archive_entry_free(e);
			continue;
		}
		archive_entry_linkify(lr, &e, &spare);
		if (archive_write_header(wr, e) < ARCHIVE_WARN) {
			bad = wr;
			goto fail;
		}
		if (archive_entry_size(e) > 0) {
			la_ssize_t n;
			while ((n = archive_read_data(rd, buf, GB_SOURCE_BLOCK)) > 0)
				if (archive_write_data(wr, buf, n) < 0) {
					bad = wr;
					goto fail;
				}
			if (n < 0) {
				bad = rd;
				goto fail;
			}
		}
		archive_entry_free(e);
	}
	if (archive_write_close(wr) != ARCHIVE_OK) {
		bad = wr;
		goto fail;
	}
	_exit(0);
fail:
	dprintf(errfd, "%s", archive_error_string(bad));
	_exit(1);
}

int gb_image_dir_tar_start(const char *dir, struct gb_image_dir_tar *t, gb_error *err)
{
	int data[2], errp[2];

	t->pid = -1;
	t->fd = t->errfd = -1;
	if (pipe2(data, O_CLOEXEC) < 0)
		return gb_fail_errno(err, "pipe");
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(data[0]);
		close(data[1]);
		return gb_fail_errno(err, "pipe");
	}
	t->pid = fork();
	if (t->pid < 0) {
		gb_fail_errno(err, "fork");
		close(data[0]), close(data[1]), close(errp[0]), close(errp[1]);
		return -1;
	}
	if (t->pid == 0) {
		close(data[0]);
		close(errp[0]);
		signal(SIGPIPE, SIG_DFL);
		dir_tar_child(dir, data[1], errp[1]);
	}
	close(data[1]);
	close(errp[1]);
	t->fd = data[0];
	t->errfd = errp[0];
	return 0;
}

int gb_image_dir_tar_finish(struct gb_image_dir_tar *t, bool ok, gb_error *err)
{
	char msg[GB_SOURCE_ERR_MAX];
	ssize_t n;
	int status = 0;

	gb_closep(&t->fd);
	t->fd = -1;
	if (!ok && t->pid > 0)
		kill(t->pid, SIGKILL);
	if (t->pid > 0 && GB_RETRY(waitpid(t->pid, &status, 0)) < 0 && ok)
		gb_fail_errno(err, "wait for the directory reader");
	n = t->errfd >= 0 ? gb_read_all(t->errfd, msg, sizeof(msg) - 1) : 0;
	gb_closep(&t->errfd);
	t->errfd = -1;
	t->pid = -1;
	if (!ok)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		msg[n > 0 ? n : 0] = '\0';
		return gb_fail(err, 0, "read the directory: %s", n > 0 ? msg : "reader failed");
	}
	return 0;
}
