/* The feedback file, ROOT/.__output/__feedback.json.
 *
 * Protocol (shared with the Python API, see the brief): open the directory
 * ROOT/.__output (made 0777 if missing), flock it exclusively, read the
 * file, change the dict, write the whole JSON to .__feedback.json.<pid> in
 * the same directory and rename it over __feedback.json, unlock. INGInious
 * rewrites the file in place without a lock, so two helpers at once can
 * lose an update there; here they cannot, and the bytes are the same.
 *
 * Loading is INGInious's: no file or an empty one is {}; text that does not
 * parse (even "\n") is the "modified by user" crash dict; bytes that are
 * not UTF-8 fail the call (UnicodeDecodeError) and JSON that is not an
 * object makes every setter fail (TypeError), the file left as it is. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

#define FB_DIR_MODE 0777
#define FB_FILE_MODE 0666
#define FB_CRASH_TEXT "Feedback file has been modified by user !"

static struct api_json *crash_dict(void)
{
	struct api_json *d = api_json_new(AJ_OBJ);
	api_json_obj_set(d, "result", 6, api_json_str("crash", 5));
	api_json_obj_set(d, "text", 4, api_json_str(FB_CRASH_TEXT, strlen(FB_CRASH_TEXT)));
	return d;
}

static struct api_json *load_at(int dirfd)
{
	struct api_buf b = {0};
	int fd = openat(dirfd, API_FEEDBACK_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return api_json_new(AJ_OBJ);
	int r = api_read_fd(fd, &b);
	close(fd);
	if (r < 0 || b.n == 0) {
		api_buf_free(&b);
		return api_json_new(AJ_OBJ);
	}
	/* INGInious reads the text before its try: bytes that are not UTF-8
	 * fail the call instead of making the crash record */
	size_t bad;
	if (!api_utf8_valid(b.p, b.n, &bad)) {
		api_py_raise("UnicodeDecodeError", "'utf-8' codec can't decode byte 0x%02x in position %zu",
			     (unsigned char)b.p[bad], bad);
		api_buf_free(&b);
		return NULL;
	}
	const char *err;
	struct api_json *v = api_json_parse(b.p, b.n, &err);
	api_buf_free(&b);
	return v ? v : crash_dict();
}

static int open_dir(bool create)
{
	char *dir = api_path(API_OUTPUT_DIR);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(dir, FB_DIR_MODE) < 0 && errno != EEXIST) {
			free(dir);
			return -1;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	free(dir);
	return fd;
}

int api_fb_open(struct api_fb *fb, const char *prog)
{
	fb->doc = NULL;
	fb->dirfd = open_dir(true);
	if (fb->dirfd < 0) {
		char *dir = api_path(API_OUTPUT_DIR);
		int e = errno;
		api_py_raise(e == EACCES ? "PermissionError" : "OSError", "[Errno %d] %s: '%s'", e, strerror(e), dir);
		free(dir);
		return 1;
	}
	while (flock(fb->dirfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			api_py_raise("OSError", "[Errno %d] %s: flock of %s", errno, strerror(errno), API_OUTPUT_DIR);
			close(fb->dirfd);
			fb->dirfd = -1;
			return 1;
		}
	}
	fb->doc = load_at(fb->dirfd);
	if (!fb->doc) {
		close(fb->dirfd);
		fb->dirfd = -1;
		return 1;
	}
	return 0;
}

struct api_json *api_fb_dict(struct api_fb *fb)
{
	if (fb->doc->type == AJ_OBJ)
		return fb->doc;
	static const char *const names[] = {
		[AJ_NULL] = "NoneType", [AJ_FALSE] = "bool", [AJ_TRUE] = "bool", [AJ_INT] = "int",
		[AJ_FLOAT] = "float", [AJ_STR] = "str", [AJ_ARR] = "list", [AJ_OBJ] = "dict",
	};
	api_py_raise("TypeError", "'%s' object does not support item assignment", names[fb->doc->type]);
	return NULL;
}

int api_fb_save(struct api_fb *fb, const char *prog)
{
	struct api_buf b = {0};
	char tmp[64];
	api_json_dump(&b, fb->doc);
	snprintf(tmp, sizeof(tmp), "." API_FEEDBACK_NAME ".%ld", (long)getpid());
	int fd = openat(fb->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, FB_FILE_MODE);
	int rc = 0;
	if (fd < 0 || api_write_all(fd, b.p, b.n) < 0 || close(fd) < 0 ||
	    renameat(fb->dirfd, tmp, fb->dirfd, API_FEEDBACK_NAME) < 0) {
		int e = errno;
		if (fd >= 0)
			unlinkat(fb->dirfd, tmp, 0);
		rc = api_py_raise("OSError", "[Errno %d] %s: '%s/%s'", e, strerror(e), API_OUTPUT_DIR,
				  API_FEEDBACK_NAME);
	}
	api_buf_free(&b);
	return rc;
}

void api_fb_close(struct api_fb *fb)
{
	if (fb->dirfd >= 0)
		close(fb->dirfd); /* drops the lock */
	fb->dirfd = -1;
	api_json_free(fb->doc);
	fb->doc = NULL;
}

struct api_json *api_fb_peek(void)
{
	int fd = open_dir(false);
	if (fd < 0)
		return api_json_new(AJ_OBJ);
	struct api_json *v = load_at(fd);
	close(fd);
	return v;
}

static const char *type_name(const struct api_json *v)
{
	switch (v->type) {
	case AJ_NULL: return "NoneType";
	case AJ_TRUE: case AJ_FALSE: return "bool";
	case AJ_INT: return "int";
	case AJ_FLOAT: return "float";
	case AJ_STR: return "str";
	case AJ_ARR: return "list";
	default: return "dict";
	}
}

int api_fb_sub(struct api_json *d, const char *key, struct api_json **out)
{
	struct api_json *s = api_json_obj_get(d, key, strlen(key));
	if (!s) {
		s = api_json_new(AJ_OBJ);
		api_json_obj_set(d, key, strlen(key), s);
	}
	if (s->type != AJ_OBJ)
		return api_py_raise("TypeError", "'%s' object does not support item assignment", type_name(s));
	*out = s;
	return 0;
}

int api_fb_set_problem_result(struct api_json *d, const char *id, size_t idn, const char *r, size_t rn)
{
	struct api_json *probs, *old, *v;
	if (api_fb_sub(d, "problems", &probs))
		return 1;
	old = api_json_obj_get(probs, id, idn);
	v = api_json_new(AJ_ARR);
	api_json_arr_add(v, api_json_str(r, rn));
	if (!old) {
		api_json_arr_add(v, api_json_str("", 0));
	} else if (old->type == AJ_STR) {
		api_json_arr_add(v, api_json_str(old->s, old->n));
	} else if (old->type == AJ_ARR && old->len >= 2) {
		/* the old text moves into the new pair */
		api_json_arr_add(v, old->items[1]);
		old->items[1] = api_json_new(AJ_NULL);
	} else {
		api_json_free(v);
		if (old->type == AJ_ARR)
			return api_py_raise("IndexError", "list index out of range");
		return api_py_raise("TypeError", "'%s' object is not subscriptable", type_name(old));
	}
	api_json_obj_set(probs, id, idn, v);
	return 0;
}

/* old + t, Python's str concatenation (TypeError unless old is a str). */
static int concat(const struct api_json *old, const char *t, size_t tn, struct api_json **out)
{
	if (old->type != AJ_STR)
		return api_py_raise("TypeError", "unsupported operand type(s) for +: '%s' and 'str'", type_name(old));
	struct api_buf b = {0};
	api_buf_add(&b, old->s, old->n);
	api_buf_add(&b, t, tn);
	*out = api_json_str(b.p ? b.p : "", b.n);
	api_buf_free(&b);
	return 0;
}

int api_fb_set_text(struct api_json *d, const char *id, size_t idn, bool problem, const char *t, size_t tn,
		    bool append)
{
	struct api_json *nv, *old;
	if (!problem) {
		old = api_json_obj_get(d, "text", 4);
		if (append && old) {
			if (concat(old, t, tn, &nv))
				return 1;
		} else {
			nv = api_json_str(t, tn);
		}
		api_json_obj_set(d, "text", 4, nv);
		return 0;
	}
	struct api_json *probs;
	if (api_fb_sub(d, "problems", &probs))
		return 1;
	old = api_json_obj_get(probs, id, idn);
	if (old && old->type == AJ_ARR) {
		if (old->len < 2)
			return api_py_raise("IndexError", "list index out of range");
		if (append) {
			if (concat(old->items[1], t, tn, &nv))
				return 1;
		} else {
			nv = api_json_str(t, tn);
		}
		api_json_free(old->items[1]);
		old->items[1] = nv;
		return 0;
	}
	if (append && old) {
		if (concat(old, t, tn, &nv))
			return 1;
	} else {
		nv = api_json_str(t, tn);
	}
	api_json_obj_set(probs, id, idn, nv);
	return 0;
}
