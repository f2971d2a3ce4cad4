/* image_layer: see image_layer.h. Entries come from image_stream.c; each
 * is checked here, then written by archive_write_disk with its secure
 * flags, from inside the layer's temporary directory (the cwd while
 * extracting), or made by hand (whiteouts, hard links). */
#include "image_layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include "image_stream.h"
#include "util.h"

/* What one entry costs beyond its data, for the unpacked-size limit (one
 * tar header): an archive of millions of empty files is a bomb too. */
#define GB_LAYER_ENTRY_COST 512u
#define GB_LAYER_DIR_MODE 0755
#define GB_LAYER_MSG_NAME_MAX 160
#define GB_LAYER_WRITE_FLAGS                                                          \
	(ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |        \
	 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |                    \
	 ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

struct layer_ctx {
	const struct gb_layer_opts *opts;
	struct gb_layer_stream *s;
	int rootfd;
	struct archive *disk;
	char **whiteouts; /* made in this layer, until replaced */
	size_t nwhiteouts, capwhiteouts;
	char **implicit;  /* directories made for entries below them */
	size_t nimplicit, capimplicit;
	int parent_fd;              /* the last parent resolved without symlinks */
	char parent[PATH_MAX];
	char cwd[PATH_MAX];         /* where we are: "" is the layer root */
	bool cwd_ok;
	uint64_t size, entries;
};

/* Untrusted names go into one-line messages: no control characters. */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len && i < GB_LAYER_MSG_NAME_MAX; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void split(const char *path, char *dir, size_t dirsz, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;

	if (len >= dirsz)
		len = dirsz - 1;
	memcpy(dir, path, len);
	dir[len] = '\0';
	*base = slash ? slash + 1 : path;
}

static int set_opaque(int dirfd, gb_error *err)
{
	if (fsetxattr(dirfd, GB_OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0 ||
	    fsetxattr(dirfd, GB_OVERLAY_OPAQUE_USER_XATTR, "y", 1, 0) < 0)
		return gb_fail_errno(err, "set %s", GB_OVERLAY_OPAQUE_XATTR);
	return 0;
}

static int list_add(char ***list, size_t *n, size_t *cap, const char *s, size_t len,
		    gb_error *err)
{
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		char **p = realloc(*list, ncap * sizeof(*p));
		if (!p)
			return gb_fail(err, ENOMEM, "extract");
		*list = p;
		*cap = ncap;
	}
	(*list)[*n] = strndup(s, len);
	if (!(*list)[*n])
		return gb_fail(err, ENOMEM, "extract");
	(*n)++;
	return 0;
}

static void list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int add_whiteout(struct layer_ctx *c, const char *path, gb_error *err)
{
	return list_add(&c->whiteouts, &c->nwhiteouts, &c->capwhiteouts, path, strlen(path), err);
}

/* Open directory `path` (clean, relative) inside rootfd without following
 * any symlink; create missing components when asked, and note them in c
 * (when given) as directories the tar only implied. */
static int open_dir_in(struct layer_ctx *c, int rootfd, const char *path, bool create,
		       gb_error *err)
{
	char buf[PATH_MAX], *save = NULL, *comp;
	_cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return gb_fail_errno(err, "dup");
	snprintf(buf, sizeof(buf), "%s", path);
	for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, GB_LAYER_DIR_MODE) < 0 && errno != EEXIST)
				return gb_fail_errno(err, "mkdir %s", comp);
			if (c && list_add(&c->implicit, &c->nimplicit, &c->capimplicit, path,
					  (comp - buf) + strlen(comp), err) < 0)
				return -1;
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				return gb_fail(err, ENOTDIR, "goes through a symlink or a non-directory");
			return gb_fail_errno(err, "open %s", comp);
		}
		close(fd);
		fd = next;
	}
	return gb_steal_fd(&fd);
}

static void forget_dirs(struct layer_ctx *c);

/* An entry at or below a name whited out earlier in this same layer: the
 * whiteout hides the lower layers' version, so it becomes an opaque
 * directory (entry below it, or a directory entry) or just goes away. */
static int replace_whiteouts(struct layer_ctx *c, const char *path, bool is_dir, gb_error *err)
{
	for (size_t i = 0; i < c->nwhiteouts; i++) {
		const char *w = c->whiteouts[i], *base;
		size_t wl = strlen(w);
		bool same = !strcmp(path, w);
		char dir[PATH_MAX];
		_cleanup_close_ int dfd = -1, nfd = -1;

		if (!same && !(!strncmp(path, w, wl) && path[wl] == '/'))
			continue;
		split(w, dir, sizeof(dir), &base);
		dfd = open_dir_in(NULL, c->rootfd, dir, false, err);
		if (dfd < 0)
			return -1;
		if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
			return gb_fail_errno(err, "replace whiteout %s", base);
		if (!same || is_dir) {
			if (mkdirat(dfd, base, GB_LAYER_DIR_MODE) < 0)
				return gb_fail_errno(err, "mkdir %s", base);
			nfd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0 || set_opaque(nfd, err) < 0)
				return nfd < 0 ? gb_fail_errno(err, "open %s", base) : -1;
		}
		free(c->whiteouts[i]);
		c->whiteouts[i--] = c->whiteouts[--c->nwhiteouts];
		forget_dirs(c);
	}
	return 0;
}

static int whiteout_file(struct layer_ctx *c, const char *target, gb_error *err)
{
	char dir[PATH_MAX];
	const char *base;
	_cleanup_close_ int dfd = -1;
	struct stat st;

	split(target, dir, sizeof(dir), &base);
	if (c->nwhiteouts && replace_whiteouts(c, dir, true, err) < 0)
		return -1;
	/* Below a non-directory of this layer there is nothing left to hide
	 * (umoci writes such whiteouts when a directory became a file). */
	dfd = open_dir_in(c, c->rootfd, dir, true, err);
	if (dfd < 0)
		return err->errnum == ENOTDIR ? 0 : -1;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* Made earlier in this layer: whiteouts only hide lower layers. */
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int fd =
				openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				return gb_fail_errno(err, "open %s", base);
			return set_opaque(fd, err);
		}
		return 0;
	}
	if (mknodat(dfd, base, S_IFCHR, makedev(0, 0)) < 0)
		return gb_fail_errno(err, "mknod whiteout %s", base);
	return add_whiteout(c, target, err);
}

static int whiteout_opaque(struct layer_ctx *c, const char *dir, gb_error *err)
{
	_cleanup_close_ int fd = -1;

	if (c->nwhiteouts && replace_whiteouts(c, dir, true, err) < 0)
		return -1;
	fd = open_dir_in(c, c->rootfd, dir, true, err);
	if (fd < 0)
		return err->errnum == ENOTDIR ? 0 : -1;
	return set_opaque(fd, err);
}

/* A hard link may only name a file already extracted into this layer,
 * reached without symlinks; it is made here, never by libarchive. */
static int hard_link(struct layer_ctx *c, const char *target, const char *path, gb_error *err)
{
	char tdir[PATH_MAX], ldir[PATH_MAX];
	const char *tbase, *lbase;
	_cleanup_close_ int tfd = -1, lfd = -1;
	struct stat st;

	if (!*target || !strcmp(target, path))
		return gb_fail(err, 0, "hard link to itself or to the layer root");
	split(target, tdir, sizeof(tdir), &tbase);
	split(path, ldir, sizeof(ldir), &lbase);
	tfd = open_dir_in(NULL, c->rootfd, tdir, false, err);
	if (tfd < 0)
		return gb_fail(err, 0, "hard link target goes through a symlink or is not in "
				       "this layer");
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return gb_fail(err, 0, "hard link target is not in this layer");
	if (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return gb_fail(err, 0, "hard link to a directory or a whiteout");
	if (c->nwhiteouts && replace_whiteouts(c, path, false, err) < 0)
		return -1;
	lfd = open_dir_in(c, c->rootfd, ldir, true, err);
	if (lfd < 0)
		return -1;
	if (unlinkat(lfd, lbase, 0) < 0 && errno != ENOENT)
		return gb_fail_errno(err, "replace %s", lbase);
	if (linkat(tfd, tbase, lfd, lbase, 0) < 0)
		return gb_fail_errno(err, "link");
	return 0;
}

/* The parent must resolve inside the layer with no symlink on the way;
 * missing components are made here (not by libarchive) so they are known
 * as implied directories. */
static int resolve_parent(struct layer_ctx *c, const char *parent, gb_error *err)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	int fd = GB_RETRY((int)syscall(SYS_openat2, c->rootfd, parent, &how, sizeof(how)));

	if (fd >= 0)
		return fd;
	if (errno == ENOENT) {
		fd = open_dir_in(c, c->rootfd, parent, true, err);
		if (fd < 0 && err->errnum == ENOTDIR)
			return gb_fail(err, 0, "path goes through a symlink");
		return fd;
	}
	if (errno == ELOOP || errno == EXDEV)
		return gb_fail(err, 0, "path goes through a symlink");
	if (errno == ENOTDIR)
		return gb_fail(err, 0, "a parent is not a directory");
	return gb_fail_errno(err, "resolve %s", parent);
}

/* Check the parent, then move where libarchive will write the entry from.
 * A non-directory is written from inside its parent by its base name, so
 * libarchive's own symlink check walks one component, not the whole path
 * (that walk costs more than the extraction). A directory is written by
 * its full path from the layer root: libarchive sets directory times and
 * modes by path when it closes, from the root. */
static int enter_parent(struct layer_ctx *c, const char *path, bool is_dir, const char **name,
			gb_error *err)
{
	char parent[PATH_MAX];
	const char *base, *want;

	split(path, parent, sizeof(parent), &base);
	*name = is_dir ? path : base;
	if (*parent && (c->parent_fd < 0 || strcmp(parent, c->parent))) {
		int fd = resolve_parent(c, parent, err);
		if (fd < 0)
			return -1;
		gb_closep(&c->parent_fd);
		c->parent_fd = fd;
		snprintf(c->parent, sizeof(c->parent), "%s", parent);
	}
	want = is_dir ? "" : parent;
	if (!c->cwd_ok || strcmp(c->cwd, want)) {
		if (fchdir(*want ? c->parent_fd : c->rootfd) < 0)
			return gb_fail_errno(err, "chdir into the layer");
		snprintf(c->cwd, sizeof(c->cwd), "%s", want);
		c->cwd_ok = true;
	}
	return 0;
}

/* An entry replaced a directory we may be using: resolve again. */
static void forget_dirs(struct layer_ctx *c)
{
	gb_closep(&c->parent_fd);
	c->parent_fd = -1;
	c->cwd_ok = false;
}

static bool is_ancestor_or_self(const char *path, const char *of)
{
	size_t n = strlen(path);

	return !strncmp(path, of, n) && (of[n] == '/' || of[n] == '\0');
}

/* Keep only the xattrs an image may carry (gb_layer_xattr_allowed). */
static int filter_xattrs(struct archive_entry *e, gb_error *err)
{
	const char *name;
	const void *val;
	size_t size, n = archive_entry_xattr_reset(e), keep = 0;
	struct {
		char *name;
		void *val;
		size_t size;
	} *kept;

	if (!n)
		return 0;
	kept = calloc(n, sizeof(*kept));
	if (!kept)
		return gb_fail(err, ENOMEM, "xattrs");
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
		if (!gb_layer_xattr_allowed(name) || keep == n)
			continue;
		kept[keep].name = strdup(name);
		kept[keep].val = malloc(size ? size : 1);
		if (kept[keep].val)
			memcpy(kept[keep].val, val, size);
		kept[keep].size = size;
		keep++;
	}
	archive_entry_xattr_clear(e);
	for (size_t i = 0; i < keep; i++) {
		if (kept[i].name && kept[i].val)
			archive_entry_xattr_add_entry(e, kept[i].name, kept[i].val, kept[i].size);
		free(kept[i].name);
		free(kept[i].val);
	}
	free(kept);
	return 0;
}

static int copy_data(struct layer_ctx *c, gb_error *err)
{
	struct archive *tar = c->s->tar;

	for (;;) {
		const void *p;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(tar, &p, &n, &off);

		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return gb_layer_stream_error(c->s, tar, err);
		if (archive_write_data_block(c->disk, p, n, off) < ARCHIVE_OK)
			return gb_fail(err, archive_errno(c->disk), "write: %s",
				       archive_error_string(c->disk));
	}
}

/* The tar's "./" sets nothing: the layer root keeps the store's owner and
 * mode (root, GB_LAYER_DIR_MODE, from make_tmp). A 0777 or user-owned root
 * would let a host user plant files every sandbox of the image sees; the
 * sandbox's own root directory is the overlay's upper, not this. */
static int root_entry(struct layer_ctx *c, struct archive_entry *e, gb_error *err)
{
	(void)c;
	if (archive_entry_filetype(e) != AE_IFDIR)
		return gb_fail(err, 0, "the layer root is not a directory");
	return 0;
}

/* One entry: checks, then whiteout / hard link by hand, or libarchive. */
static int one_entry(struct layer_ctx *c, struct archive_entry *e, const char *path,
		     gb_error *err)
{
	char target[PATH_MAX];
	const char *hl = archive_entry_hardlink(e), *name;
	mode_t type = archive_entry_filetype(e);
	uint64_t cost = GB_LAYER_ENTRY_COST;
	int r;

	if (!*path)
		return root_entry(c, e, err);
	switch (gb_layer_whiteout(path, target, sizeof(target))) {
	case GB_WH_META:
		return 0;
	case GB_WH_BAD:
		return gb_fail(err, 0, "invalid whiteout name");
	case GB_WH_FILE:
		return whiteout_file(c, target, err);
	case GB_WH_OPAQUE:
		return whiteout_opaque(c, target, err);
	case GB_WH_NONE:
		break;
	}
	if (hl) {
		if (gb_layer_clean_path(hl, target, sizeof(target), err) < 0)
			return gb_context(err, "hard link target");
		return hard_link(c, target, path, err);
	}
	switch (type) {
	case AE_IFREG:
		cost += archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
		break;
	case AE_IFDIR:
	case AE_IFLNK:
	case AE_IFIFO:
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		return gb_fail(err, 0, "device node (not allowed in an image: sandboxes make "
				       "their own /dev)");
	default:
		return gb_fail(err, 0, "unsupported file type");
	}
	*c->opts->unpacked += cost;
	if (*c->opts->unpacked > c->opts->max_unpacked)
		return gb_layer_limit_error(c->opts, err);
	if (c->nwhiteouts && replace_whiteouts(c, path, type == AE_IFDIR, err) < 0)
		return -1;
	for (size_t i = 0; type == AE_IFDIR && i < c->nimplicit; i++)
		if (!strcmp(c->implicit[i], path)) {
			free(c->implicit[i]);
			c->implicit[i] = c->implicit[--c->nimplicit];
			break;
		}
	if (enter_parent(c, path, type == AE_IFDIR, &name, err) < 0 || filter_xattrs(e, err) < 0)
		return -1;
	if (type != AE_IFDIR && (is_ancestor_or_self(path, c->parent) ||
				 is_ancestor_or_self(path, c->cwd)))
		forget_dirs(c);
	archive_entry_set_pathname(e, name);
	r = archive_write_header(c->disk, e);
	if (r != ARCHIVE_OK)
		return gb_fail(err, archive_errno(c->disk), "%s", archive_error_string(c->disk));
	if (type == AE_IFREG && archive_entry_size(e) > 0 && copy_data(c, err) < 0)
		return -1;
	if (archive_write_finish_entry(c->disk) != ARCHIVE_OK)
		return gb_fail(err, archive_errno(c->disk), "%s", archive_error_string(c->disk));
	if (type == AE_IFREG)
		c->size += cost - GB_LAYER_ENTRY_COST;
	return 0;
}

static int extract_entries(struct layer_ctx *c, gb_error *err)
{
	struct archive *tar = c->s->tar;
	struct archive_entry *e;
	char path[PATH_MAX], shown[GB_LAYER_MSG_NAME_MAX + 1];

	for (;;) {
		int r = archive_read_next_header(tar, &e);
		const char *name;

		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return gb_layer_stream_error(c->s, tar, err);
		name = archive_entry_pathname(e);
		if (!name)
			return gb_fail(err, 0, "entry with an unreadable name");
		if (gb_layer_clean_path(name, path, sizeof(path), err) < 0 ||
		    one_entry(c, e, path, err) < 0)
			return gb_context(err, "entry '%s'", printable(name, shown, sizeof(shown)));
		c->entries++;
	}
}

static int run_extract(struct layer_ctx *c, gb_layer_read_fn rd, void *rdarg, gb_error *err)
{
	int r = -1;

	c->disk = archive_write_disk_new();
	if (!c->disk)
		return gb_fail(err, ENOMEM, "libarchive");
	archive_write_disk_set_options(c->disk, GB_LAYER_WRITE_FLAGS);
	if (gb_layer_stream_open(c->s, rd, rdarg, c->opts, err) < 0 ||
	    extract_entries(c, err) < 0 || gb_layer_stream_drain(c->s, err) < 0)
		goto out;
	/* directory fixups are by path from the root */
	if (fchdir(c->rootfd) < 0) {
		gb_fail_errno(err, "chdir into the layer");
		goto out;
	}
	if (archive_write_close(c->disk) != ARCHIVE_OK) {
		gb_fail(err, archive_errno(c->disk), "%s", archive_error_string(c->disk));
		goto out;
	}
	r = 0;
out:
	archive_write_free(c->disk);
	c->disk = NULL;
	return r;
}

/* A temporary directory named for its owner's pid, locked while in use. */
static int make_tmp(int layers_dirfd, char *name, size_t len, gb_error *err)
{
	_cleanup_close_ int fd = -1;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (unsigned i = 0;; i++) {
		snprintf(name, len, GB_LAYER_TMP_PREFIX "%d-%lx%x", (int)getpid(),
			 (unsigned long)ts.tv_nsec, i);
		if (mkdirat(layers_dirfd, name, 0700) == 0)
			break;
		if (errno != EEXIST || i > 1000)
			return gb_fail_errno(err, "create a temporary layer directory");
	}
	fd = openat(layers_dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || GB_RETRY(flock(fd, LOCK_EX)) < 0 || fchmod(fd, GB_LAYER_DIR_MODE) < 0)
		return gb_fail_errno(err, "open the temporary layer directory %s", name);
	return gb_steal_fd(&fd);
}

static int write_meta(int layers_dirfd, const char *tmp, const char *hex,
		      const struct gb_layer_result *res, gb_error *err)
{
	char name[PATH_MAX], final[PATH_MAX], data[256];
	_cleanup_close_ int fd = -1;

	snprintf(name, sizeof(name), "%s%s", tmp, GB_LAYER_META_SUFFIX);
	snprintf(final, sizeof(final), "%s%s", hex, GB_LAYER_META_SUFFIX);
	snprintf(data, sizeof(data), "{\"size\": %llu, \"entries\": %llu}\n",
		 (unsigned long long)res->size, (unsigned long long)res->entries);
	fd = openat(layers_dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || gb_write_all(fd, data, strlen(data)) < 0)
		return gb_fail_errno(err, "write %s", name);
	if (renameat(layers_dirfd, name, layers_dirfd, final) < 0)
		return gb_fail_errno(err, "rename %s", name);
	return 0;
}

static int verify(const char *what, const char *expect, const char *got, gb_error *err)
{
	if (expect && strcmp(expect, got))
		return gb_fail(err, 0, "%s mismatch: the image says sha256:%.12s…, the content is "
				       "sha256:%.12s…", what, expect, got);
	return 0;
}

int gb_layer_extract(int layers_dirfd, gb_layer_read_fn rd, void *rdarg,
		     const struct gb_layer_opts *opts, struct gb_layer_result *res,
		     gb_error *err)
{
	char tmp[64];
	_cleanup_close_ int rootfd = -1, cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct gb_layer_stream stream;
	struct layer_ctx c = { .opts = opts, .s = &stream, .parent_fd = -1 };
	int r;

	memset(res, 0, sizeof(*res));
	memset(&stream, 0, sizeof(stream));
	if (cwd < 0)
		return gb_fail_errno(err, "start extracting");
	rootfd = make_tmp(layers_dirfd, tmp, sizeof(tmp), err);
	if (rootfd < 0)
		return -1;
	c.rootfd = rootfd;
	if (fchdir(rootfd) < 0) {
		r = gb_fail_errno(err, "chdir to %s", tmp);
	} else {
		r = run_extract(&c, rd, rdarg, err);
		if (fchdir(cwd) < 0 && r == 0)
			r = gb_fail_errno(err, "chdir back");
	}
	if (r == 0)
		gb_layer_stream_digests(&stream, res->blob_digest, res->diff_id);
	gb_layer_stream_close(&stream);
	list_free(c.whiteouts, c.nwhiteouts);
	gb_closep(&c.parent_fd);
	if (r == 0) {
		res->size = c.size;
		res->entries = c.entries;
		res->implicit = gb_steal_ptr(&c.implicit);
		res->nimplicit = c.nimplicit;
		c.nimplicit = 0;
		r = verify("blob digest", opts->expect_blob, res->blob_digest, err);
		if (r == 0)
			r = verify("diff_id", opts->expect_diff, res->diff_id, err);
	}
	if (r == 0)
		r = write_meta(layers_dirfd, tmp, res->diff_id, res, err);
	if (r == 0) {
		if (renameat(layers_dirfd, tmp, layers_dirfd, res->diff_id) == 0)
			return 0;
		if (errno == EEXIST || errno == ENOTEMPTY)
			res->existed = true; /* another import finished it first */
		else
			r = gb_fail_errno(err, "rename the layer into place");
	}
	gb_rm_rf_at(layers_dirfd, tmp, NULL);
	list_free(c.implicit, c.nimplicit);
	gb_layer_result_free(res);
	return r;
}

void gb_layer_result_free(struct gb_layer_result *res)
{
	list_free(res->implicit, res->nimplicit);
	res->implicit = NULL;
	res->nimplicit = 0;
}
