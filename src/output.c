/* output: see output.h. */
#include "output.h"

#include <fcntl.h>

#include "util.h"

#define GB_OUTPUT_CHUNK 65536

int gb_output_open(struct gb_output *o, int dest, uint64_t cap, gb_error *err)
{
	int p[2];

	o->rfd = o->wfd = -1;
	o->dest = dest;
	o->cap = cap;
	o->kept = 0;
	o->truncated = o->eof = false;
	if (pipe2(p, O_CLOEXEC) < 0)
		return gb_fail_errno(err, "pipe for output");
	o->rfd = p[0];
	o->wfd = p[1];
	if (fcntl(o->rfd, F_SETFL, O_NONBLOCK) < 0)
		return gb_fail_errno(err, "non-blocking output pipe");
	return 0;
}

int gb_output_pump(struct gb_output *o, gb_error *err)
{
	char buf[GB_OUTPUT_CHUNK];

	while (!o->eof) {
		ssize_t n = read(o->rfd, buf, sizeof(buf));
		size_t keep;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return gb_fail_errno(err, "read sandbox output");
		}
		if (n == 0) {
			o->eof = true;
			break;
		}
		keep = (size_t)n;
		if (o->cap && o->kept + keep > o->cap) {
			keep = (size_t)(o->cap - o->kept);
			o->truncated = true;
		}
		if (keep && gb_write_all(o->dest, buf, keep) < 0)
			return gb_fail_errno(err, "write sandbox output");
		o->kept += keep;
	}
	return 0;
}

void gb_output_close(struct gb_output *o)
{
	gb_closep(&o->rfd);
	gb_closep(&o->wfd);
}
