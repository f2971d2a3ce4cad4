/* testfile: INGInious recorded submissions, the `<task>/test/NAME.test` files a
 * course keeps as regression tests (one submission document as INGInious
 * stored it: `input`, the result it got, and bookkeeping such as `_id`,
 * `courseid`, `taskid`, `submitted_on`, `username`).
 *
 * gb_testfile_parse reads one with libyaml into JSON (keys in file order;
 * `!!binary` uploads kept as their base64 text, timestamps as strings,
 * unknown fields kept); gb_testfile_compare compares a new `grade` result
 * with the recorded one, key by key, as INGInious's task tester does;
 * gb_testfile_update re-emits the file with new result values and every
 * other event (keys, order, styles, anchors) as it was. Pure: no I/O. */
#ifndef GB_TESTFILE_H
#define GB_TESTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

struct gb_testfile {
	json_t *doc;      /* the whole document, a JSON object */
	json_t *input;    /* borrowed from doc: the submission's input map */
	json_t *personal; /* strings never printed unless asked: usernames,
			   * e-mail and IP addresses found in the document */
};

/* Parse a .test document. name is used in messages, which read
 * "NAME:LINE:COLUMN: problem" and fill *line and *column (1-based; 0 when
 * the problem has no place). */
int gb_testfile_parse(const char *buf, size_t len, const char *name,
		      struct gb_testfile *tf, unsigned *line, unsigned *column,
		      gb_error *err);
void gb_testfile_free(struct gb_testfile *tf);

/* The top-level keys of a result that --update rewrites: the first
 * GB_TESTFILE_ALWAYS always (appended when the file lacks them), the others
 * (text, stdout, stderr) only where recorded. A replay compares them all but
 * `text` (INGInious's tester does not), stdout and stderr only where
 * recorded, the others with INGInious's defaults standing in when absent. */
extern const char *const gb_testfile_keys[];
#define GB_TESTFILE_NKEYS 9
#define GB_TESTFILE_ALWAYS 6

/* Compare a new result with the recorded document: a fresh JSON array of
 * {"key": K, "old": V, "new": V} (K is "grade", "problems.ID", "tests.T",
 * ...), empty when they agree. Grades are compared to 2 decimals, problem
 * texts with surrounding blanks ignored, the archive never. */
json_t *gb_testfile_compare(const json_t *recorded, const json_t *result);

/* The recorded document with the compared keys replaced by the result's
 * (keys the file lacks and the result has are appended). Writes a fresh
 * buffer to *out. */
int gb_testfile_update(const char *buf, size_t len, const char *name,
		       const json_t *result, char **out, size_t *outlen,
		       gb_error *err);

#endif
