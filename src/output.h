/* output: captured stdout/stderr of a sandbox. The sandbox writes into a
 * pipe; the supervisor copies up to a cap into the destination and drops
 * (but keeps reading) the rest, so a flooding writer is never blocked. */
#ifndef GB_OUTPUT_H
#define GB_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct gb_output {
	int rfd;          /* supervisor's end, non-blocking */
	int wfd;          /* the sandbox's end; closed once the sandbox has it */
	int dest;         /* where kept bytes go (not owned) */
	uint64_t cap;     /* 0 = unlimited */
	uint64_t kept;
	bool truncated;
	bool eof;
};

int gb_output_open(struct gb_output *o, int dest, uint64_t cap, gb_error *err);
/* Move what is readable now. Returns 0, or -1 on a write error to dest. */
int gb_output_pump(struct gb_output *o, gb_error *err);
void gb_output_close(struct gb_output *o);

#endif
