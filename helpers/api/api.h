/* gradebox-api: the INGInious container API as one static multi-call binary.
 * Shared declarations of its modules (prefix api_): byte buffers and text
 * (util.c), Python's json (json.c), Python's float()/int()/repr
 * (pynum.c), argparse (argp.c), the feedback file (feedback.c), -e
 * (escape.c), templates (tpl.c) and the Unicode tables (ucd.c).
 *
 * Text inside the binary is "WTF-8": UTF-8 that may also hold the 3-byte
 * forms of lone surrogates. That is how Python's str reaches the feedback
 * file: a non-UTF-8 byte B of argv becomes U+DC00+B (surrogateescape), a
 * JSON "\ud800" stays a lone surrogate, and json.dumps writes both as
 * \uXXXX escapes; printing such text fails as Python's strict encoder does. */
#ifndef GB_API_H
#define GB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- util.c ---- */
struct api_buf {
	char *p;
	size_t n, cap;
};
void api_buf_add(struct api_buf *b, const void *s, size_t n);
void api_buf_adds(struct api_buf *b, const char *s);
void api_buf_addc(struct api_buf *b, char c);
void api_buf_addcp(struct api_buf *b, uint32_t cp); /* WTF-8 */
void api_buf_printf(struct api_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *api_buf_cstr(struct api_buf *b); /* NUL-terminates, returns p */
void api_buf_free(struct api_buf *b);

void *api_xmalloc(size_t n);
void *api_xrealloc(void *p, size_t n);
char *api_xstrndup(const char *s, size_t n);

/* One code point at s[*i] (WTF-8; a byte that starts no valid sequence
 * decodes as U+DC00+byte, as surrogateescape would); advances *i. */
uint32_t api_wtf8_next(const char *s, size_t n, size_t *i);
/* argv bytes -> WTF-8, as Python's os.fsdecode (surrogateescape). */
char *api_from_argv(const char *arg, size_t *len);
char *api_from_bytes(const char *s, size_t n, size_t *len);
bool api_utf8_valid(const char *s, size_t n, size_t *bad_at);
bool api_has_surrogate(const char *s, size_t n);

/* The fixed container path ABS ("/task/...") under $GRADEBOX_API_ROOT. */
char *api_path(const char *abs);
int api_read_fd(int fd, struct api_buf *out);
int api_read_file(const char *path, struct api_buf *out); /* -1 + errno */
int api_write_all(int fd, const void *p, size_t n);
/* Python's print() of text to stdout, strict UTF-8: 0, or 1 after the
 * UnicodeEncodeError line (lone surrogates from a non-UTF-8 argv). */
int api_print_text(const char *s, size_t n);
/* stdin as Python's sys.stdin.read(): 0, or 1 after the decode error. */
int api_read_stdin_text(struct api_buf *out);
/* Python's uncaught exception: its last line on stderr; returns 1. */
int api_py_raise(const char *type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Python's repr() of a str, into b. */
void api_py_repr(struct api_buf *b, const char *s, size_t n);
/* Python's str.splitlines(): line i is [starts[i], starts[i]+lens[i]). */
size_t api_splitlines(const char *s, size_t n, size_t **starts, size_t **lens);

/* ---- json.c: Python's json.loads / json.dumps defaults ---- */
enum api_jtype { AJ_NULL, AJ_FALSE, AJ_TRUE, AJ_INT, AJ_FLOAT, AJ_STR, AJ_ARR, AJ_OBJ };
struct api_json {
	enum api_jtype type;
	double f;              /* AJ_FLOAT */
	char *s;               /* AJ_STR text (WTF-8), AJ_INT decimal digits */
	size_t n;
	struct api_json **items; /* AJ_ARR, AJ_OBJ values */
	char **keys;             /* AJ_OBJ keys, insertion order */
	size_t *klens;
	size_t len, cap;
};
/* Depth Python reaches before its RecursionError. */
#define API_JSON_MAX_DEPTH 900
struct api_json *api_json_parse(const char *s, size_t n, const char **err);
void api_json_dump(struct api_buf *b, const struct api_json *v);
struct api_json *api_json_new(enum api_jtype t);
struct api_json *api_json_str(const char *s, size_t n);
struct api_json *api_json_float(double f);
struct api_json *api_json_obj_get(const struct api_json *o, const char *k, size_t kn);
/* Python's d[k] = v: a present key keeps its place. Takes v. */
void api_json_obj_set(struct api_json *o, const char *k, size_t kn, struct api_json *v);
void api_json_arr_add(struct api_json *a, struct api_json *v);
void api_json_free(struct api_json *v);
void api_json_dump_str(struct api_buf *b, const char *s, size_t n);

/* ---- pynum.c ---- */
/* Python's float(text): 0, or -1 (ValueError). */
int api_py_float(const char *s, size_t n, double *out);
/* Python's int(text) in base 10 as normalised decimal digits: 0, or -1. */
int api_py_int(const char *s, size_t n, struct api_buf *digits);
/* Python's repr(float): "87.8", "1e+20", "nan", "inf". */
void api_float_repr(struct api_buf *b, double d);
#define API_PY_INT_MAX_DIGITS 4300

/* ---- ucd.c ---- */
struct api_ucd_name {
	unsigned cp;
	const char *name;
};
extern const unsigned api_ucd_digit_zero[];
extern const size_t api_ucd_digit_zero_n;
extern const unsigned api_ucd_space[];
extern const size_t api_ucd_space_n;
extern const struct api_ucd_name api_ucd_names[];
extern const size_t api_ucd_names_n;
struct api_ucd_case {
	unsigned from, to;
};
extern const struct api_ucd_case api_ucd_upper[], api_ucd_lower[];
extern const size_t api_ucd_upper_n, api_ucd_lower_n;
int api_ucd_digit(uint32_t cp); /* 0-9, or -1 */
bool api_ucd_isspace(uint32_t cp);

/* ---- escape.c: -e, Python's unicode-escape + Latin-1 round trip ---- */
/* 0 and the decoded text in out, or 1 after Python's error line. */
int api_unescape(const char *s, size_t n, struct api_buf *out);

/* ---- argp.c: the argparse subset the commands use ---- */
enum api_nargs { API_FLAG, API_ONE, API_STAR };
struct api_opt {
	char shortc;          /* 'i' for -i, 0 for none */
	const char *lng;      /* "id" for --id, NULL for none */
	enum api_nargs nargs; /* API_FLAG or API_ONE */
	const char *metavar;
	bool is_int;          /* type=int */
	const char *help;
};
struct api_pos {
	const char *name;
	enum api_nargs nargs; /* API_ONE or API_STAR */
	const char *help;
	/* A check of one value, as a custom argparse Action: NULL or the
	 * message after "argument NAME: ". */
	const char *(*check)(const char *v, struct api_buf *msg);
};
struct api_spec {
	const char *prog;
	const char *usage; /* after "usage: " */
	const char *description;
	const struct api_opt *opts;
	size_t nopts;
	const struct api_pos *pos;
	size_t npos;
};
#define API_MAX_ARGS 16
struct api_args {
	const char *val[API_MAX_ARGS]; /* last value of option i; NULL if absent */
	bool seen[API_MAX_ARGS];
	long ival[API_MAX_ARGS];
	char **posv[API_MAX_ARGS]; /* values of positional i */
	size_t posn[API_MAX_ARGS];
};
/* 0 when parsed; else the exit code after printing help or the error. */
int api_argparse(const struct api_spec *spec, int argc, char **argv, struct api_args *out, int *rc);
/* Value of option i as WTF-8 text, or "" when absent. */
char *api_arg(const struct api_args *a, int i, size_t *len);
#define API_USAGE_EXIT 2

/* ---- feedback.c: the feedback file, locked, replaced by rename ---- */
struct api_fb {
	int dirfd;
	struct api_json *doc; /* what Python's load_feedback returns */
};
/* Lock, then load. 0, or 1 after an error line. */
int api_fb_open(struct api_fb *fb, const char *prog);
/* The dict, or NULL after printing Python's TypeError (not an object). */
struct api_json *api_fb_dict(struct api_fb *fb);
int api_fb_save(struct api_fb *fb, const char *prog);
void api_fb_close(struct api_fb *fb);
/* Python's json.load of the file, no lock, no write (for -p); NULL after
 * the error line when the file is not UTF-8. */
struct api_json *api_fb_peek(void);
/* INGInious's feedback setters on a loaded dict; 0, or 1 after the
 * Python error line. */
int api_fb_set_problem_result(struct api_json *d, const char *id, size_t idn, const char *r, size_t rn);
int api_fb_set_text(struct api_json *d, const char *id, size_t idn, bool problem,
		    const char *t, size_t tn, bool append);
int api_fb_sub(struct api_json *d, const char *key, struct api_json **out);

/* ---- custom values (cmd_feedback.c) ---- */
/* feedback-custom's conversion: int, else float, else the string. */
struct api_json *api_custom_value(const char *s, size_t n);

/* ---- tpl.c: feedback-msg-tpl's rendering ---- */
/* The template file for NAME in LANG, as INGInious looks it up, or NULL. */
char *api_tpl_find(const char *name, const char *lang);
/* Render PATH with the NAME=VALUE options; *ok false on a template
 * error, with out then holding INGInious's rst error block. */
int api_tpl_render(const char *path, const char *lang, char **opts, size_t nopts,
		   struct api_buf *out, bool *ok);

/* A gettext catalogue (.mo) as read whole; data NULL when none. */
struct api_mo {
	char *data;
	size_t n;
	uint32_t count, otab, ttab;
	bool swap;
};
bool api_mo_lookup(const struct api_mo *mo, const char *s, size_t n, const char **t, size_t *tn);
/* tpl_engine.c, the C subset of Jinja2: 0, or -1 with err holding the
 * exception line ("jinja2.exceptions.X: message"). */
int api_tpl_engine(const char *src, size_t n, char **opts, size_t nopts, const struct api_mo *mo,
		   struct api_buf *out, struct api_buf *err);

#define API_INPUT_PATH "/.__input/__inputdata.json"
#define API_OUTPUT_DIR "/.__output"
#define API_FEEDBACK_NAME "__feedback.json"
#define API_LANG_DIR "/task/lang"
#define API_ARCHIVE_DIR "/archive"

/* ---- the input file (cmd_input.c) ---- */
/* Who reads the input file, for INGInious's error of each: getinput and
 * parsetemplate print a message and exit 2, feedback-msg-tpl (through
 * Python's get_lang) fails with an exception, exit 1. */
enum api_input_reader { API_INPUT_GETINPUT, API_INPUT_PARSETEMPLATE, API_INPUT_LANG };
/* The "input" object of the input file: 0, or the exit code after the
 * message. */
int api_input_load(struct api_json **doc, struct api_json **input, enum api_input_reader who);

/* Commands. */
int api_cmd_feedback_result(int argc, char **argv);
int api_cmd_feedback_grade(int argc, char **argv);
int api_cmd_feedback_msg(int argc, char **argv);
int api_cmd_feedback_msg_tpl(int argc, char **argv);
int api_cmd_feedback_custom(int argc, char **argv);
int api_cmd_feedback_state(int argc, char **argv);
int api_cmd_feedback(int argc, char **argv);
int api_cmd_tag_set(int argc, char **argv);
int api_cmd_tag(int argc, char **argv);
int api_cmd_getinput(int argc, char **argv);
int api_cmd_parsetemplate(int argc, char **argv);
int api_cmd_rst_code(int argc, char **argv);
int api_cmd_rst_image(int argc, char **argv);
int api_cmd_rst_msgblock(int argc, char **argv);
int api_cmd_rst_indent(int argc, char **argv);
int api_cmd_archive(int argc, char **argv);
int gb_api_run_student(int argc, char **argv);
int gb_api_ssh_student(int argc, char **argv);

#endif
