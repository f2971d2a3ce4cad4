/* input: the student's submission as INGInious input data. Parses the
 * input file ({"input": {...}} or the bare map of answers), takes the file
 * uploads out ({"filename": F, "value": BASE64}, decoded), adds the
 * @-fields INGInious's front-end adds when they are missing, and writes
 * the /.__input/__inputdata.json the container API reads, byte for byte as
 * INGInious does (Python json.dumps). */
#ifndef GB_INPUT_H
#define GB_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

/* Where the grading sandbox finds its input (inginious-api.md §1). */
#define GB_INPUT_DATA_PATH "/.__input/__inputdata.json"
#define GB_INPUT_FILE_PREFIX "/.__input/__inputfile_"
/* The defaults of the @-fields the front-end would add. */
#define GB_INPUT_DEFAULT_USERNAME "student"
#define GB_INPUT_DEFAULT_EMAIL ""
#define GB_INPUT_DEFAULT_LANG "en"
#define GB_INPUT_DEFAULT_ATTEMPTS "0"
#define GB_INPUT_DEFAULT_STATE ""
/* "YYYY-MM-DD HH:MM:SS.ffffff+00:00" and its NUL. */
#define GB_INPUT_TIME_MAX 40

struct gb_upload {
	unsigned index;        /* N of /.__input/__inputfile_N */
	unsigned char *data;   /* decoded bytes */
	size_t len;
};

struct gb_input {
	json_t *doc;      /* {"input": {...}} ready to write as /.__input/__inputdata.json:
			   * upload values replaced by "/.__input/__inputfile_N" (N counts uploads,
			   * in input order; an upload = an object whose key set is exactly
			   * {filename, value}, value base64), missing @-fields defaulted
			   * (@username "student", @email "", @lang "en", @time now in the front-end's
			   * form "YYYY-MM-DD HH:MM:SS.ffffff+00:00", @attempts "0", @random list of
			   * input_random floats, @state ""), no key without @ added */
	struct gb_upload *uploads;
	size_t nuploads;
};

/* text[0..len) = the whole input file: {"input": {...}} (an object whose
 * "input" is an object that is not itself an upload; its other keys, as in
 * INGInious's start message, are ignored) or the bare map. `shown` names it
 * in errors ("input.json: problem 'q1': upload value is not base64"). On
 * error *in is left empty (safe to gb_input_free). */
int gb_input_parse(const char *text, size_t len, const char *shown, unsigned input_random,
		   struct gb_input *in, gb_error *err);
/* Serialise doc as INGInious writes __inputdata.json (json.dumps style:
 * ASCII escapes, ", " ": ", floats as Python's repr). malloc'd, NULL on OOM. */
char *gb_input_dump(const struct gb_input *in);
/* The @time of a submission made at ts (UTC), as Python's str() of an aware
 * datetime: no ".ffffff" when the microseconds are 0. */
void gb_input_format_time(const struct timespec *ts, char buf[GB_INPUT_TIME_MAX]);
/* The submission's @state (a string), "" when absent or not a string. */
const char *gb_input_state(const struct gb_input *in);
void gb_input_free(struct gb_input *in);

#endif
