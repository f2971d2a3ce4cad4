/* output: the sandbox's stdio. The command never gets an fd of a host file
 * or of the host's tty (it could clear O_APPEND, write at offset 0,
 * fallocate past --disk, or change the terminal's modes): its stdin, stdout
 * and stderr are pipes, and the supervisor copies between them and the
 * host's fds. A copy ("pump") never blocks the supervisor's loop: it reads
 * and writes through descriptions of its own opened O_NONBLOCK (the caller's
 * stay as they are), keeps at most one chunk that the destination could not
 * take, stops reading while that chunk waits, and moves a bounded amount per
 * round so the loop's timers keep running under a flood. Output beyond the
 * cap is read and dropped, so a flooding writer is never blocked by it. */
#ifndef GB_OUTPUT_H
#define GB_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct gb_output {
	int src, dst;            /* non-blocking; -1 once done with */
	bool src_owned, dst_owned;
	bool src_sock, dst_sock; /* use recv/send with MSG_DONTWAIT */
	int sandbox_end;         /* the pipe end the sandbox gets; closed once it has it */
	uint64_t cap;            /* 0 = unlimited */
	uint64_t kept;
	bool truncated;
	bool eof;                /* all moved (or abandoned): nothing more to do */
	char *pending;           /* what dst could not take yet */
	size_t off, len;
};

/* Nothing open, nothing to do (eof). */
void gb_output_init(struct gb_output *o);
/* Sandbox's stdout/stderr: a pipe whose bytes go to dest (up to cap). */
int gb_output_open(struct gb_output *o, int dest, uint64_t cap, gb_error *err);
/* Sandbox's stdin: a pipe fed from src; src's end of file closes it. */
int gb_output_open_input(struct gb_output *o, int src, gb_error *err);
/* The fd and poll events the pump waits for, or -1 when it is done. */
int gb_output_poll_fd(const struct gb_output *o, short *events);
/* Move what can move now, at most a few chunks. A destination that fails
 * (a reader gone) ends the pump: the sandbox's writes then fail with EPIPE,
 * as they would on a direct pipe. */
void gb_output_pump(struct gb_output *o);
/* Give up on what is left (the job was interrupted). */
void gb_output_abandon(struct gb_output *o);
void gb_output_close(struct gb_output *o);

#endif
