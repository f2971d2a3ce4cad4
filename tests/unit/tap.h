/* tap: the smallest TAP producer for the C unit tests. tests/run-tests
 * counts "ok", "not ok" and "# SKIP" lines from every suite. */
#ifndef GB_TAP_H
#define GB_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

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
	} while (0)
#define TAP_SKIP(name, why) printf("ok %d - %s # SKIP %s\n", ++tap_n, name, why)
#define TAP_DONE() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)

#endif
