/* tap: the smallest TAP producer for the C unit tests. tests/run-tests
 * counts "ok", "not ok" and "# SKIP" lines from every suite.
 *
 * A binary states its plan first (TAP_PLAN), so that when it dies half way
 * (a crash, a sanitizer abort) the runner knows how many tests never ran
 * and counts each as failed. Every line is flushed as it is written: a
 * process that dies (LeakSanitizer exits without flushing stdio) loses
 * nothing it already reported. */
#ifndef GB_TAP_H
#define GB_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned = -1;

#define TAP_PLAN(n)                                                            \
	do {                                                                   \
		tap_planned = (n);                                             \
		printf("1..%d\n", tap_planned);                                \
		fflush(stdout);                                                \
	} while (0)
#define TAP_OK(cond, name)                                                     \
	do {                                                                   \
		tap_n++;                                                       \
		if (cond) {                                                    \
			printf("ok %d - %s\n", tap_n, name);                   \
		} else {                                                       \
			tap_failed++;                                          \
			printf("not ok %d - %s\n# %s:%d: %s\n", tap_n, name,   \
			       __FILE__, __LINE__, #cond);                     \
		}                                                              \
		fflush(stdout);                                                \
	} while (0)
#define TAP_SKIP(name, why)                                                    \
	do {                                                                   \
		printf("ok %d - %s # SKIP %s\n", ++tap_n, name, why);          \
		fflush(stdout);                                                \
	} while (0)
/* Skip every planned test not run yet, for a reason that stops them all. */
#define TAP_SKIP_REST(why)                                                     \
	do {                                                                   \
		while (tap_n < tap_planned)                                    \
			TAP_SKIP("not run", why);                              \
	} while (0)

/* The exit status: 1 when a test failed or the count differs from the
 * plan (each missing test is reported as failed). */
static inline int tap_done(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_n);
	} else {
		if (tap_n > tap_planned) {
			int ran = tap_n++;
			printf("not ok %d - ran %d tests, the plan says %d\n", tap_n, ran,
			       tap_planned);
			tap_failed++;
		}
		while (tap_n < tap_planned) {
			printf("not ok %d - missing: the binary ended before this test\n",
			       ++tap_n);
			tap_failed++;
		}
	}
	fflush(stdout);
	return tap_failed ? 1 : 0;
}
#define TAP_DONE() tap_done()

#endif
