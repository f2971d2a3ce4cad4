/* util: small helpers shared by every module: cleanup attributes so early
 * returns leak nothing, EINTR-safe I/O, files and directories. */
#ifndef GB_UTIL_H
#define GB_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

#define GB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Retry a syscall that failed with EINTR (expr must yield -1 on error). */
#define GB_RETRY(expr)                                                  \
	({                                                              \
		__typeof__(expr) _r;                                    \
		do                                                      \
			_r = (expr);                                    \
		while (_r == -1 && errno == EINTR);                     \
		_r;                                                     \
	})

void gb_freep(void *p);
/* close *fd if open and set it to -1 */
void gb_closep(int *fd);
void gb_fclosep(FILE **f);
void gb_closedirp(DIR **d);
#define _cleanup_free_ __attribute__((cleanup(gb_freep)))
#define _cleanup_close_ __attribute__((cleanup(gb_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(gb_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(gb_closedirp)))

/* Hand ownership out of a cleanup variable. */
static inline int gb_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
static inline void *gb_steal_ptr(void *pp)
{
	void **p = pp, *r = *p;
	*p = NULL;
	return r;
}

ssize_t gb_read_all(int fd, void *buf, size_t len);
int gb_write_all(int fd, const void *buf, size_t len);
/* Write a whole string to path (O_WRONLY|O_CLOEXEC, no create/trunc unless
 * flags say so), the way one writes to /proc and cgroup files. */
int gb_write_file(const char *path, const char *data, gb_error *err);
int gb_write_file_at(int dirfd, const char *name, const char *data, gb_error *err);
/* Read a small file (< max bytes) into a fresh NUL-terminated buffer. */
int gb_read_file(const char *path, size_t max, char **out, size_t *len, gb_error *err);
int gb_read_file_at(int dirfd, const char *name, size_t max, char **out, gb_error *err);

int gb_mkdir_p(const char *path, mode_t mode, gb_error *err);
/* Remove a tree without following symlinks and without crossing into
 * other mounts (a mount still in place is an error, never a deletion). */
int gb_rm_rf(const char *path, gb_error *err);
int gb_rm_rf_at(int dirfd, const char *name, gb_error *err);

/* Parse a decimal number with an optional fraction ("1.5"); -1 on junk. */
int gb_parse_double(const char *s, double *out);
int gb_parse_u64(const char *s, uint64_t *out);

/* Monotonic clock in nanoseconds. */
uint64_t gb_now_ns(void);

/* Remember argv's memory so a child can overwrite its command line: the
 * sandbox's init must not show the host's paths in /proc/1/cmdline. */
void gb_proc_title_init(int argc, char **argv);
void gb_proc_title_set(const char *title);

/* Mark every fd >= from close-on-exec (close_range, with a /proc fallback). */
int gb_cloexec_from(int from);
/* Close every fd >= from but keep (close_range, with a /proc fallback). */
int gb_close_from_except(int from, int keep);

#endif
