/* Shared support for the libFuzzer harnesses (tests/fuzz/fuzz_*.c).
 *
 * Every harness works in its own scratch directory,
 * $GB_FUZZ_TMPDIR/NAME.PID (run.sh points GB_FUZZ_TMPDIR at
 * tests/.work/fuzz/tmp), made at start and removed at exit, so nothing is
 * ever written anywhere else. Harnesses that extract untrusted archives
 * also keep a canary layout around the extraction directory (see
 * gb_fuzz_canary_*) and abort when anything lands beside it. */
#ifndef GB_FUZZ_COMMON_H
#define GB_FUZZ_COMMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Directory levels between the scratch dir and the directory handed to the
 * code under test: relative escapes of up to this many "../" from a layer
 * directory land in the scratch dir, where the canary check sees them. */
#define GB_FUZZ_CANARY_DEPTH 4

struct gb_fuzz_scratch {
	char root[PATH_MAX]; /* $GB_FUZZ_TMPDIR/NAME.PID */
	char work[PATH_MAX]; /* root/d0/d1/.../work: what the code under test gets */
	char cwd[PATH_MAX];  /* the process's cwd, which must come back unchanged */
};

/* Make the scratch dir and its canary layout; aborts with a message when it
 * cannot (the harness is useless without it). Removed at exit. */
void gb_fuzz_scratch_init(struct gb_fuzz_scratch *s, const char *name);
/* Empty work/ (never following symlinks) after one input. */
void gb_fuzz_scratch_clear(struct gb_fuzz_scratch *s);
/* Abort (a fuzzer crash with a message) when anything exists in the
 * scratch dir outside work/, or when the cwd changed. */
void gb_fuzz_canary_check(const struct gb_fuzz_scratch *s);

/* Write len bytes to path (created or truncated); aborts on failure. */
void gb_fuzz_write_file(const char *path, const uint8_t *data, size_t len);

#define GB_FUZZ_FIFO "|" /* the link target that makes a FIFO instead */

/* Create name (a relative path) under dirfd as a file holding data[0..len)
 * or, when link is not NULL, as a symlink to link (a FIFO when link is
 * GB_FUZZ_FIFO); missing parents are
 * made. Never follows a symlink and never leaves dirfd: a name that is
 * absolute, has a ".." or goes through a non-directory is skipped
 * (returns -1). */
int gb_fuzz_put(int dirfd, const char *name, const void *data, size_t len, const char *link);

/* Give every ustar header of a tar in buf[0..len) its right checksum, so
 * mutations of a header's fields reach the extraction code instead of
 * stopping at libarchive's checksum test. */
void gb_fuzz_tar_fix_checksums(uint8_t *buf, size_t len);

#endif
