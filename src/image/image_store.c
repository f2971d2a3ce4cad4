/* image_store: store layout and locking, list / inspect / rm / gc, and
 * gb_image_open for runs. See image.h for the layout and the lock rules. */
#include "image_store.h"

#include <ctype.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "image.h"
#include "image_layer.h"
#include "util.h"

#define GB_IMAGE_FILE_SUFFIX ".json"
#define GB_IMAGE_DEFAULT_TAG ":latest"
#define GB_IMAGE_TMP_PREFIX ".tmp-"
/* only gradebox's user (root) enters the store: see private_dir */
#define GB_STORE_DIR_MODE 0700

int gb_image_fmt(char *buf, size_t size, gb_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return gb_fail(err, ENAMETOOLONG, "path %.64s…", buf);
	return 0;
}

/* The store keeps layers as the image has them: owners, setuid bits.
 * Reachable by another host user, an image's setuid-root binary would be a
 * root shell for them (the class of CVE-2021-41091), and a world-writable
 * directory a place to plant files. So every directory of the store is
 * gradebox's own and 0700, checked and fixed at every open: stores made
 * by older versions were 0755. */
static int private_dir(int dirfd, const char *name, bool create, int nofollow, gb_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (create && mkdirat(dirfd, name, GB_STORE_DIR_MODE) < 0 && errno != EEXIST)
		return gb_fail_errno(err, "create %s", name);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | nofollow);
	if (fd < 0)
		return gb_fail_errno(err, "open %s", name);
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "stat %s", name);
	if (st.st_uid != geteuid())
		return gb_fail(err, EPERM, "%s belongs to uid %u, not to gradebox's user %u: "
					   "chown it, or choose another state_dir",
			       name, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 07777) != GB_STORE_DIR_MODE && fchmod(fd, GB_STORE_DIR_MODE) < 0)
		return gb_fail_errno(err, "make %s private (mode %o)", name, GB_STORE_DIR_MODE);
	return gb_steal_fd(&fd);
}

int gb_image_store_open(const struct gb_config *cfg, struct gb_image_store *st, int lock_op,
			bool create, gb_error *err)
{
	_cleanup_close_ int state = -1;

	st->lock_fd = st->layers_fd = st->images_fd = -1;
	if (gb_image_fmt(st->layers_path, sizeof(st->layers_path), err,
			 "%s/" GB_IMAGE_LAYERS_DIR, cfg->state_dir) < 0)
		return -1;
	if (create && gb_mkdir_p(cfg->state_dir, GB_STORE_DIR_MODE, err) < 0)
		return gb_context(err, "create the image store");
	/* state_dir itself is the admin's path: it may be a symlink. */
	state = private_dir(AT_FDCWD, cfg->state_dir, false, 0, err);
	if (state < 0 && err->errnum == ENOENT && !create) {
		gb_fail(err, 0, "no image store in %s (import an image first)", cfg->state_dir);
		return GB_IMAGE_STORE_MISSING;
	}
	if (state < 0)
		return gb_context(err, "image store (state_dir)");
	st->lock_fd = openat(state, GB_IMAGE_LOCK_FILE,
			     O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
	if (st->lock_fd < 0) {
		if (errno == ENOENT) {
			gb_fail(err, 0, "no image store in %s (import an image first)",
				cfg->state_dir);
			return GB_IMAGE_STORE_MISSING;
		}
		return gb_fail_errno(err, "open %s/" GB_IMAGE_LOCK_FILE, cfg->state_dir);
	}
	st->layers_fd = private_dir(state, GB_IMAGE_LAYERS_DIR, create, O_NOFOLLOW, err);
	if (st->layers_fd >= 0)
		st->images_fd = private_dir(state, GB_IMAGE_IMAGES_DIR, create, O_NOFOLLOW, err);
	if (st->layers_fd < 0 || st->images_fd < 0) {
		gb_context(err, "image store in %s", cfg->state_dir);
		gb_image_store_close(st);
		return -1;
	}
	if (lock_op && GB_RETRY(flock(st->lock_fd, lock_op)) < 0) {
		int busy = errno == EWOULDBLOCK && (lock_op & LOCK_NB);
		if (!busy)
			gb_fail_errno(err, "lock the image store");
		gb_image_store_close(st);
		return busy ? GB_IMAGE_STORE_BUSY : -1;
	}
	return 0;
}

void gb_image_store_close(struct gb_image_store *st)
{
	gb_closep(&st->lock_fd);
	gb_closep(&st->layers_fd);
	gb_closep(&st->images_fd);
}

static void store_closep(struct gb_image_store *st)
{
	gb_image_store_close(st);
}
#define _cleanup_store_ __attribute__((cleanup(store_closep)))

int gb_image_name_check(const char *name, gb_error *err)
{
	size_t len = strlen(name);

	if (!len || len > GB_IMAGE_NAME_MAX)
		return gb_fail(err, 0, "image name '%.*s' must have 1 to %d characters",
			       GB_IMAGE_NAME_MAX, name, GB_IMAGE_NAME_MAX);
	if (!isalnum((unsigned char)name[0]) || strstr(name, "..") || strstr(name, "//") ||
	    name[len - 1] == '/')
		goto bad;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-:/", name[i]))
			goto bad;
	return 0;
bad:
	return gb_fail(err, 0, "invalid image name '%s' (letters, digits and . _ - : / only, "
			       "starting with a letter or digit)", name);
}

void gb_image_name_file(const char *name, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; name[i] && i + sizeof(GB_IMAGE_FILE_SUFFIX) < outsz; i++)
		out[i] = name[i] == '/' ? '+' : name[i];
	snprintf(out + i, outsz - i, GB_IMAGE_FILE_SUFFIX);
}

int gb_image_store_write(struct gb_image_store *st, const char *name, json_t *image,
			 gb_error *err)
{
	char file[PATH_MAX], tmp[PATH_MAX];
	_cleanup_free_ char *text = json_dumps(image, JSON_INDENT(2));
	_cleanup_close_ int fd = -1;

	if (!text)
		return gb_fail(err, ENOMEM, "encode the image description");
	gb_image_name_file(name, file, sizeof(file));
	if (gb_image_fmt(tmp, sizeof(tmp), err, GB_IMAGE_TMP_PREFIX "%d-%s", (int)getpid(),
			 file) < 0)
		return -1;
	fd = openat(st->images_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || gb_write_all(fd, text, strlen(text)) < 0 || gb_write_all(fd, "\n", 1) < 0 ||
	    fsync(fd) < 0) {
		gb_fail_errno(err, "write images/%s", tmp);
		unlinkat(st->images_fd, tmp, 0);
		return -1;
	}
	if (renameat(st->images_fd, tmp, st->images_fd, file) < 0) {
		gb_fail_errno(err, "rename images/%s", tmp);
		unlinkat(st->images_fd, tmp, 0);
		return -1;
	}
	return 0;
}

static bool is_image_file(const char *name)
{
	size_t len = strlen(name), sl = strlen(GB_IMAGE_FILE_SUFFIX);

	return name[0] != '.' && len > sl && !strcmp(name + len - sl, GB_IMAGE_FILE_SUFFIX);
}

static int read_json_at(int dirfd, const char *file, json_t **out, gb_error *err)
{
	_cleanup_free_ char *text = NULL;
	json_error_t jerr;

	if (gb_read_file_at(dirfd, file, GB_IMAGE_JSON_MAX, &text, err) < 0)
		return -1;
	*out = json_loads(text, 0, &jerr);
	if (!*out)
		return gb_fail(err, 0, "images/%s: line %d: %s", file, jerr.line, jerr.text);
	return 0;
}

/* Call fn for every image description in the store. */
static int each_image(struct gb_image_store *st, int (*fn)(json_t *img, void *arg), void *arg,
		      gb_error *err)
{
	int fd = openat(st->images_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return gb_fail_errno(err, "read the image list");
	}
	while ((de = readdir(d))) {
		json_t *img;
		int r;

		if (!is_image_file(de->d_name))
			continue;
		if (read_json_at(st->images_fd, de->d_name, &img, err) < 0)
			return -1;
		r = fn(img, arg);
		json_decref(img);
		if (r < 0)
			return gb_fail(err, 0, "images/%s: malformed", de->d_name);
	}
	return 0;
}

/* The hex ids of an image's layers, validated (they become paths). */
static int layer_hex(json_t *img, size_t i, char hex[GB_SHA256_HEX_LEN + 1])
{
	json_t *l = json_array_get(json_object_get(img, "layers"), i);

	return gb_layer_parse_digest(json_string_value(json_object_get(l, "diff_id")), hex) ? 0
											    : -1;
}

struct refs {
	char (*hex)[GB_SHA256_HEX_LEN + 1];
	size_t n, cap;
};

static int collect_refs(json_t *img, void *arg)
{
	struct refs *r = arg;
	size_t n = json_array_size(json_object_get(img, "layers"));

	for (size_t i = 0; i < n; i++) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 64;
			void *p = realloc(r->hex, cap * sizeof(*r->hex));
			if (!p)
				return -1;
			r->hex = p;
			r->cap = cap;
		}
		if (layer_hex(img, i, r->hex[r->n]) < 0)
			return -1;
		r->n++;
	}
	return 0;
}

int gb_image_store_prune(struct gb_image_store *st, size_t *removed, gb_error *err)
{
	struct refs refs = { 0 };
	int fd;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r = 0;

	if (removed)
		*removed = 0;
	if (each_image(st, collect_refs, &refs, err) < 0) {
		free(refs.hex);
		return gb_context(err, "find the layers in use");
	}
	fd = openat(st->layers_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		free(refs.hex);
		return gb_fail_errno(err, "read the layer store");
	}
	while ((de = readdir(d)) && r == 0) {
		bool used = false;
		char hex[GB_SHA256_HEX_LEN + 1];

		if (strlen(de->d_name) != GB_SHA256_HEX_LEN || !gb_layer_is_hex(de->d_name))
			continue;
		memcpy(hex, de->d_name, sizeof(hex));
		for (size_t i = 0; i < refs.n && !used; i++)
			used = !strcmp(refs.hex[i], hex);
		if (used)
			continue;
		r = gb_layer_remove(st->layers_fd, hex, err);
		if (r == 0 && removed)
			(*removed)++;
		if (r == 1) /* held by a run of a replaced image: next time */
			r = 0;
	}
	free(refs.hex);
	return r;
}

/* Open images/<name>.json, trying NAME:latest when NAME has no tag. */
static int open_image_file(struct gb_image_store *st, const char *name, char *found,
			   size_t foundsz, gb_error *err)
{
	char file[PATH_MAX];
	const char *slash = strrchr(name, '/');
	int fd;

	if (gb_image_name_check(name, err) < 0)
		return -1;
	snprintf(found, foundsz, "%s", name);
	gb_image_name_file(found, file, sizeof(file));
	fd = openat(st->images_fd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !strchr(slash ? slash : name, ':')) {
		snprintf(found, foundsz, "%s" GB_IMAGE_DEFAULT_TAG, name);
		gb_image_name_file(found, file, sizeof(file));
		fd = openat(st->images_fd, file, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0 && errno == ENOENT)
		return gb_fail(err, 0, "no image named '%s' (see gradebox image list)", name);
	if (fd < 0)
		return gb_fail_errno(err, "open image %s", name);
	return fd;
}

static int read_image_fd(int fd, const char *name, json_t **out, gb_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	char path[64];
	json_error_t jerr;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dup);
	if (dup < 0 || gb_read_file(path, GB_IMAGE_JSON_MAX, &text, NULL, err) < 0)
		return gb_fail_errno(err, "read image %s", name);
	*out = json_loads(text, 0, &jerr);
	if (!*out || !json_is_array(json_object_get(*out, "layers")))
		return gb_fail(err, 0, "image %s: malformed description", name);
	return 0;
}

static char *json_strdup(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && *s ? strdup(s) : NULL;
}

static int fill_ref(struct gb_image_store *st, json_t *img, struct gb_image_ref *ref,
		    gb_error *err)
{
	json_t *config = json_object_get(img, "config"), *env = json_object_get(config, "Env");
	size_t n = json_array_size(json_object_get(img, "layers"));

	ref->layers = calloc(n + 1, sizeof(char *));
	ref->layer_fds = malloc((n + 1) * sizeof(int));
	ref->env = calloc(json_array_size(env) + 1, sizeof(char *));
	if (!ref->layers || !ref->layer_fds || !ref->env)
		return gb_fail(err, ENOMEM, "open image");
	for (size_t i = 0; i < n; i++) {
		char hex[GB_SHA256_HEX_LEN + 1];
		int fd;

		if (layer_hex(img, i, hex) < 0)
			return gb_fail(err, 0, "image %s: malformed layer list", ref->name);
		fd = openat(st->layers_fd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return gb_fail_errno(err, "image %s: layer %.12s", ref->name, hex);
		ref->layer_fds[ref->nlayers] = fd;
		if (asprintf(&ref->layers[ref->nlayers], "%s/%s", st->layers_path, hex) < 0) {
			ref->layers[ref->nlayers] = NULL;
			close(fd);
			return gb_fail(err, ENOMEM, "open image");
		}
		ref->nlayers++;
		if (GB_RETRY(flock(fd, LOCK_SH)) < 0)
			return gb_fail_errno(err, "lock layer %.12s", hex);
	}
	for (size_t i = 0; i < json_array_size(env); i++) {
		const char *s = json_string_value(json_array_get(env, i));
		if (s && !(ref->env[ref->nenv++] = strdup(s)))
			return gb_fail(err, ENOMEM, "open image");
	}
	ref->workdir = json_strdup(config, "WorkingDir");
	ref->user = json_strdup(config, "User");
	ref->id = json_strdup(img, "id");
	return 0;
}

int gb_image_open(const struct gb_config *cfg, const char *name, struct gb_image_ref *ref,
		  gb_error *err)
{
	_cleanup_store_ struct gb_image_store st = { .lock_fd = -1, .layers_fd = -1, .images_fd = -1 };
	char found[GB_IMAGE_NAME_MAX + sizeof(GB_IMAGE_DEFAULT_TAG)];
	json_t *img = NULL;
	int r;

	memset(ref, 0, sizeof(*ref));
	ref->lock_fd = -1;
	/* Shared while we read and lock, so no rm or gc runs in between. */
	if (gb_image_store_open(cfg, &st, LOCK_SH, false, err) != 0)
		return gb_context(err, "image %s", name);
	ref->lock_fd = open_image_file(&st, name, found, sizeof(found), err);
	if (ref->lock_fd < 0)
		return -1;
	ref->name = strdup(found);
	if (!ref->name || GB_RETRY(flock(ref->lock_fd, LOCK_SH)) < 0) {
		gb_fail_errno(err, "lock image %s", name);
		gb_image_ref_free(ref);
		return -1;
	}
	r = read_image_fd(ref->lock_fd, found, &img, err);
	if (r == 0)
		r = fill_ref(&st, img, ref, err);
	json_decref(img);
	if (r < 0)
		gb_image_ref_free(ref);
	return r;
}

void gb_image_ref_free(struct gb_image_ref *ref)
{
	for (size_t i = 0; i < ref->nlayers; i++) {
		free(ref->layers[i]);
		close(ref->layer_fds[i]);
	}
	for (size_t i = 0; i < ref->nenv; i++)
		free(ref->env[i]);
	free(ref->layers);
	free(ref->layer_fds);
	free(ref->env);
	free(ref->workdir);
	free(ref->user);
	free(ref->name);
	free(ref->id);
	gb_closep(&ref->lock_fd);
	memset(ref, 0, sizeof(*ref));
	ref->lock_fd = -1;
}

static int list_one(json_t *img, void *arg)
{
	json_t *row = json_pack("{s:O?, s:O?, s:O?, s:O?, s:I}", "name",
				json_object_get(img, "name"), "id", json_object_get(img, "id"),
				"created", json_object_get(img, "created"), "size",
				json_object_get(img, "size"), "layers",
				(json_int_t)json_array_size(json_object_get(img, "layers")));

	return row ? json_array_append_new(arg, row) : -1;
}

int gb_image_list(const struct gb_config *cfg, json_t **out, gb_error *err)
{
	_cleanup_store_ struct gb_image_store st = { .lock_fd = -1, .layers_fd = -1, .images_fd = -1 };
	json_t *rows = json_array();
	int r;

	*out = NULL;
	r = gb_image_store_open(cfg, &st, 0, false, err);
	if (r == GB_IMAGE_STORE_MISSING) {
		*out = rows;
		return 0;
	}
	if (r != 0 || each_image(&st, list_one, rows, err) < 0) {
		json_decref(rows);
		return -1;
	}
	*out = rows;
	return 0;
}

int gb_image_inspect(const struct gb_config *cfg, const char *name, json_t **out, gb_error *err)
{
	_cleanup_store_ struct gb_image_store st = { .lock_fd = -1, .layers_fd = -1, .images_fd = -1 };
	char found[GB_IMAGE_NAME_MAX + sizeof(GB_IMAGE_DEFAULT_TAG)];
	_cleanup_close_ int fd = -1;

	if (gb_image_store_open(cfg, &st, 0, false, err) != 0)
		return -1;
	fd = open_image_file(&st, name, found, sizeof(found), err);
	if (fd < 0 || read_image_fd(fd, found, out, err) < 0)
		return -1;
	for (size_t i = 0; i < json_array_size(json_object_get(*out, "layers")); i++) {
		char hex[GB_SHA256_HEX_LEN + 1], path[PATH_MAX];

		if (layer_hex(*out, i, hex) == 0) {
			gb_image_fmt(path, sizeof(path), NULL, "%s/%s", st.layers_path, hex);
			json_object_set_new(json_array_get(json_object_get(*out, "layers"), i),
					    "path", json_string(path));
		}
	}
	return 0;
}

int gb_image_rm(const struct gb_config *cfg, const char *name, size_t *layers_removed,
		gb_error *err)
{
	_cleanup_store_ struct gb_image_store st = { .lock_fd = -1, .layers_fd = -1, .images_fd = -1 };
	char found[GB_IMAGE_NAME_MAX + sizeof(GB_IMAGE_DEFAULT_TAG)], file[PATH_MAX];
	_cleanup_close_ int fd = -1;

	/* Waits for running imports: they may be about to use our layers. */
	if (gb_image_store_open(cfg, &st, LOCK_EX, false, err) != 0)
		return -1;
	fd = open_image_file(&st, name, found, sizeof(found), err);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return gb_fail(err, 0, "image %s is in use by a running sandbox: remove it "
					       "when the run ends", found);
		return gb_fail_errno(err, "lock image %s", found);
	}
	gb_image_name_file(found, file, sizeof(file));
	if (unlinkat(st.images_fd, file, 0) < 0)
		return gb_fail_errno(err, "remove images/%s", file);
	if (gb_image_store_prune(&st, layers_removed, err) < 0)
		return gb_context(err, "image %s removed, but not all its layers", found);
	return 0;
}

int gb_image_gc(const struct gb_config *cfg, gb_error *err)
{
	_cleanup_store_ struct gb_image_store st = { .lock_fd = -1, .layers_fd = -1, .images_fd = -1 };
	int r = gb_image_store_open(cfg, &st, 0, false, err);

	if (r != 0)
		return r == GB_IMAGE_STORE_MISSING ? 0 : -1;
	/* Leftovers of dead imports are recognised by their own locks. */
	if (gb_layer_clean_stale(st.layers_fd, err) < 0 ||
	    gb_layer_clean_stale(st.images_fd, err) < 0)
		return -1;
	if (GB_RETRY(flock(st.lock_fd, LOCK_EX | LOCK_NB)) < 0)
		return errno == EWOULDBLOCK ? 0 : gb_fail_errno(err, "lock the image store");
	return gb_image_store_prune(&st, NULL, err);
}
