/* Buffers, WTF-8 text, files and Python-shaped errors for gradebox-api. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"

/* A helper that cannot allocate cannot do anything useful: stop, as
 * Python's MemoryError would. */
void *api_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("MemoryError\n", stderr);
		exit(1);
	}
	return q;
}

void *api_xmalloc(size_t n)
{
	return api_xrealloc(NULL, n);
}

char *api_xstrndup(const char *s, size_t n)
{
	char *p = api_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

static void buf_grow(struct api_buf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->n + more + 1)
		cap *= 2;
	b->p = api_xrealloc(b->p, cap);
	b->cap = cap;
}

void api_buf_add(struct api_buf *b, const void *s, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

void api_buf_adds(struct api_buf *b, const char *s)
{
	api_buf_add(b, s, strlen(s));
}

void api_buf_addc(struct api_buf *b, char c)
{
	api_buf_add(b, &c, 1);
}

void api_buf_addcp(struct api_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	api_buf_add(b, u, n);
}

void api_buf_printf(struct api_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

char *api_buf_cstr(struct api_buf *b)
{
	buf_grow(b, 0);
	b->p[b->n] = 0;
	return b->p;
}

void api_buf_free(struct api_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* Length of the valid sequence at s (surrogates allowed when wtf), or 0. */
static size_t seq_len(const unsigned char *s, size_t n, bool wtf, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff)
		return 0;
	if (!wtf && v >= 0xd800 && v <= 0xdfff)
		return 0;
	*cp = v;
	return len;
}

uint32_t api_wtf8_next(const char *s, size_t n, size_t *i)
{
	uint32_t cp;
	size_t l = seq_len((const unsigned char *)s + *i, n - *i, true, &cp);
	if (!l) {
		cp = 0xdc00 + (unsigned char)s[*i];
		l = 1;
	}
	*i += l;
	return cp;
}

char *api_from_argv(const char *arg, size_t *len)
{
	return api_from_bytes(arg, strlen(arg), len);
}

char *api_from_bytes(const char *arg, size_t n, size_t *len)
{
	struct api_buf b = {0};
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = seq_len((const unsigned char *)arg + i, n - i, false, &cp);
		if (l) {
			api_buf_add(&b, arg + i, l);
			i += l;
		} else {
			api_buf_addcp(&b, 0xdc00 + (unsigned char)arg[i]);
			i++;
		}
	}
	api_buf_cstr(&b);
	if (len)
		*len = b.n;
	return b.p;
}

bool api_utf8_valid(const char *s, size_t n, size_t *bad_at)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = seq_len((const unsigned char *)s + i, n - i, false, &cp);
		if (!l) {
			if (bad_at)
				*bad_at = i;
			return false;
		}
		i += l;
	}
	return true;
}

bool api_has_surrogate(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp = api_wtf8_next(s, n, &i);
		if (cp >= 0xd800 && cp <= 0xdfff)
			return true;
	}
	return false;
}

char *api_path(const char *abs)
{
	const char *root = getenv("GRADEBOX_API_ROOT");
	struct api_buf b = {0};
	if (!root || !*root)
		root = "/";
	api_buf_adds(&b, root);
	while (b.n > 1 && b.p[b.n - 1] == '/')
		b.n--;
	if (b.n == 1 && b.p[0] == '/')
		b.n = 0;
	api_buf_adds(&b, abs[0] == '/' ? abs : "/");
	if (abs[0] != '/')
		api_buf_adds(&b, abs);
	return api_buf_cstr(&b);
}

int api_read_fd(int fd, struct api_buf *out)
{
	char tmp[65536];
	for (;;) {
		ssize_t r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		api_buf_add(out, tmp, (size_t)r);
	}
	api_buf_cstr(out);
	return 0;
}

int api_read_file(const char *path, struct api_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = api_read_fd(fd, out);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int api_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int api_print_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t at = i;
		uint32_t cp = api_wtf8_next(s, n, &i);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			/* Python prints nothing of a line it cannot encode */
			return api_py_raise("UnicodeEncodeError",
					    "'utf-8' codec can't encode character '\\u%04x' in position %zu: surrogates not allowed",
					    cp, at);
		}
	}
	if (api_write_all(STDOUT_FILENO, s, n) < 0)
		return api_py_raise("BrokenPipeError", "[Errno %d] %s", errno, strerror(errno));
	return 0;
}

int api_read_stdin_text(struct api_buf *out)
{
	size_t bad;
	if (api_read_fd(STDIN_FILENO, out) < 0)
		return api_py_raise("OSError", "[Errno %d] %s", errno, strerror(errno));
	if (!api_utf8_valid(out->p, out->n, &bad))
		return api_py_raise("UnicodeDecodeError",
				    "'utf-8' codec can't decode byte 0x%02x in position %zu: invalid start byte",
				    (unsigned char)out->p[bad], bad);
	return 0;
}

int api_py_raise(const char *type, const char *fmt, ...)
{
	va_list ap;
	fputs("Traceback (most recent call last):\n", stderr);
	fprintf(stderr, "%s: ", type);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

void api_py_repr(struct api_buf *b, const char *s, size_t n)
{
	bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
	char q = sq && !dq ? '"' : '\'';
	api_buf_addc(b, q);
	for (size_t i = 0; i < n;) {
		size_t at = i;
		uint32_t cp = api_wtf8_next(s, n, &i);
		if (cp == (uint32_t)q || cp == '\\')
			api_buf_printf(b, "\\%c", (char)cp);
		else if (cp == '\n')
			api_buf_adds(b, "\\n");
		else if (cp == '\r')
			api_buf_adds(b, "\\r");
		else if (cp == '\t')
			api_buf_adds(b, "\\t");
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad)
			api_buf_printf(b, "\\x%02x", cp);
		else if (cp >= 0xd800 && cp <= 0xdfff)
			api_buf_printf(b, "\\u%04x", cp);
		else
			api_buf_add(b, s + at, i - at);
	}
	api_buf_addc(b, q);
}

/* Python's str.splitlines() boundaries; CR LF counts as one. */
static size_t line_break(const char *s, size_t n, size_t i, size_t *len)
{
	size_t j = i;
	uint32_t cp = api_wtf8_next(s, n, &j);
	switch (cp) {
	case '\r':
		if (j < n && s[j] == '\n')
			j++;
		/* fall through */
	case '\n': case 0x0b: case 0x0c: case 0x1c: case 0x1d: case 0x1e:
	case 0x85: case 0x2028: case 0x2029:
		*len = j - i;
		return 1;
	default:
		*len = j - i;
		return 0;
	}
}

size_t api_splitlines(const char *s, size_t n, size_t **starts, size_t **lens)
{
	size_t cap = 8, cnt = 0, start = 0;
	*starts = api_xmalloc(cap * sizeof(size_t));
	*lens = api_xmalloc(cap * sizeof(size_t));
	for (size_t i = 0; i <= n;) {
		size_t l = 0;
		bool brk = i < n && line_break(s, n, i, &l);
		if (i == n && start == n)
			break;
		if (i == n || brk) {
			if (cnt == cap) {
				cap *= 2;
				*starts = api_xrealloc(*starts, cap * sizeof(size_t));
				*lens = api_xrealloc(*lens, cap * sizeof(size_t));
			}
			(*starts)[cnt] = start;
			(*lens)[cnt] = i - start;
			cnt++;
			if (i == n)
				break;
			start = i + l;
		}
		i += l;
	}
	return cnt;
}
