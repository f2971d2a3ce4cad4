/* student_proto: the run_student wire protocol, shared by the client
 * (helpers/api/run_student.c, inside the grading sandbox) and the job's
 * supervisor (student.c). Plain libc: the client is a static helper.
 *
 * Theory of operation
 * -------------------
 * The supervisor listens on a SOCK_SEQPACKET unix socket that the grading
 * sandbox sees as /.gradebox/sock. One connection is one call:
 *
 *   client                                   supervisor
 *   connect ------------------------------->  accept (at most
 *                                             GB_STUDENT_MAX_CONNS held; past
 *                                             that the kernel's backlog, then
 *                                             connect itself, waits)
 *   REQUEST + SCM_RIGHTS {stdin, stdout, stderr}
 *           ------------------------------->  validate: one packet of at most
 *                                             GB_STUDENT_REQ_MAX bytes (a longer
 *                                             one is truncated, refused), exactly
 *                                             3 fds of an allowed kind, well
 *                                             formed strings; else RESULT 254
 *                                             and close.
 *                                             wait for a free student slot
 *                                             (config student_parallel), then
 *                                             start the student sandbox with
 *                                             those very fds as its stdio
 *   SIGNAL signo  ------------------------->  delivered to the student (its
 *   (each forwardable signal it receives)     init passes it to the command)
 *   close (run_student died) -------------->  the student sandbox is killed
 *           <-------------------------------  RESULT code, one-line text
 *   exit(code)                                close
 *
 * Codes: the student's own exit status, 256-N for signal N, 252 OOM, 253
 * CPU or wall limit, 254 refused or failed (the text says why; the client
 * prints it on its stderr). 251 never crosses the wire: it is the client's
 * answer when the socket is absent (or for --ssh).
 *
 * The command: INGInious joins run_student's words with single spaces and
 * re-splits the string with Python's shlex.split (POSIX mode, no comments),
 * without a shell. Tasks rely on it: run files pass whole command lines as
 * one word (`run_student "python3 main.py"`, Python's run_student(cmd) with
 * a string). gradebox keeps that behaviour, in the client
 * (gb_student_shlex); the wire carries the final argv, which the
 * supervisor execs as is. An empty command runs INGInious's echo.
 *
 * Integers are host-endian: both ends are on the same machine. */
#ifndef GB_STUDENT_PROTO_H
#define GB_STUDENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Relative to GRADEBOX_API_ROOT (default "/"). */
#define GB_STUDENT_SOCK_PATH ".gradebox/sock"
#define GB_STUDENT_MAGIC 0x31534247u /* "GBS1" */
/* A whole request: header, container, cwd and argv with their NULs. */
#define GB_STUDENT_REQ_MAX (64 * 1024)
#define GB_STUDENT_MAX_ARGS 4096
#define GB_STUDENT_NFDS 3
#define GB_STUDENT_TEXT_MAX 256
/* Values of --time/--hard-time (s) and --memory (MB) past which a request
 * is malformed; the effective limit is the grading sandbox's anyway. */
#define GB_STUDENT_LIMIT_MAX 1000000u

/* Exit codes (INGInious's, plus 251 for "no supervisor"). */
#define GB_STUDENT_EXIT_UNAVAILABLE 251
#define GB_STUDENT_EXIT_MEMORY 252
#define GB_STUDENT_EXIT_TIMEOUT 253
#define GB_STUDENT_EXIT_FAILED 254

/* What INGInious runs for an empty command. */
#define GB_STUDENT_EMPTY_CMD_0 "echo"
#define GB_STUDENT_EMPTY_CMD_1 "info: student container started with no command set"

enum gb_student_msg_type {
	GB_STUDENT_REQUEST = 1, /* client -> supervisor, once, with the 3 fds */
	GB_STUDENT_SIGNAL,      /* client -> supervisor: value = signal number */
	GB_STUDENT_RESULT,      /* supervisor -> client: value = exit code, text */
};

enum {
	GB_STUDENT_SHARE_NETWORK = 1,
	GB_STUDENT_RUN_AS_ROOT = 2,
	GB_STUDENT_FLAGS_ALL = 3,
};

/* SIGNAL and RESULT: fixed size. */
struct gb_student_msg {
	uint32_t magic;
	uint32_t type;
	int32_t value;
	char text[GB_STUDENT_TEXT_MAX]; /* NUL-terminated */
};

/* REQUEST: this header, then `strings_len` bytes holding 2 + argc
 * NUL-terminated strings: container ("" = the grading sandbox's image),
 * cwd (absolute), argv[0..argc-1]. */
struct gb_student_req_hdr {
	uint32_t magic;
	uint32_t type;
	uint32_t flags;        /* GB_STUDENT_SHARE_NETWORK | GB_STUDENT_RUN_AS_ROOT */
	uint32_t time_s;       /* 0 = the grading sandbox's */
	uint32_t hard_time_s;
	uint32_t memory_mb;
	uint32_t argc;
	uint32_t strings_len;
};

/* A decoded request; the strings point into the buffer it came from. */
struct gb_student_req {
	uint32_t flags;
	uint32_t time_s, hard_time_s, memory_mb;
	const char *container;
	const char *cwd;
	size_t argc;
	const char *argv[GB_STUDENT_MAX_ARGS + 1]; /* NULL-terminated */
};

/* Encode req into buf (at most cap bytes). Returns the length, or -1 with
 * *why set when it does not fit or is malformed. */
long gb_student_req_encode(const struct gb_student_req *req, char *buf, size_t cap,
			   const char **why);
/* Decode and check len bytes. 0, or -1 with *why (a short text naming the
 * field). Never reads past len. */
int gb_student_req_decode(const char *buf, size_t len, struct gb_student_req *req,
			  const char **why);

/* INGInious's command line: words joined by single spaces, then split as
 * shlex.split does (POSIX mode). out receives the words (NULL-terminated),
 * pointing into store (cap bytes). Returns the word count, or -1 with *why
 * ("No closing quotation", "No escaped character", "too long"). */
long gb_student_shlex(char *const *words, size_t nwords, char *store, size_t cap,
		      const char **out, size_t max_out, const char **why);

/* A fixed-size message; text may be NULL. */
void gb_student_msg_make(struct gb_student_msg *m, uint32_t type, int32_t value,
			 const char *text);
/* Is this a well-formed fixed-size message of length len? */
bool gb_student_msg_valid(const struct gb_student_msg *m, size_t len);

/* The exit code run_student reports for a student that ended this way. */
int gb_student_code_for_signal(int signo);

#endif
