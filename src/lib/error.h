/* error: errors as values. A failing function fills a gb_error passed in by
 * its caller and returns -1; callers add context on the way up with
 * gb_context(); only the CLI prints the final message (one line). */
#ifndef GB_ERROR_H
#define GB_ERROR_H

#include <stdarg.h>

#define GB_ERROR_MAX 1024

typedef struct gb_error {
	int errnum;              /* errno of the root cause, 0 if none */
	char msg[GB_ERROR_MAX];  /* "context: context: cause[: strerror]" */
} gb_error;

/* Set the error from a format; appends strerror(errnum) when errnum != 0.
 * Always returns -1 so callers can `return gb_fail(...)`. */
int gb_fail(gb_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with errno as the cause. */
#define gb_fail_errno(err, ...) gb_fail((err), errno, __VA_ARGS__)
/* Prefix the existing message with more context ("ctx: old"). Returns -1. */
int gb_context(gb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gb_error_clear(gb_error *err);

#endif
