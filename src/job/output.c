/* output: see output.h. */
#include "output.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "util.h"

/* One read: the default pipe capacity. */
#define GB_OUTPUT_CHUNK 65536
/* Reads per pump per loop round: enough to keep up with a fast writer,
 * few enough that the loop's timers and signals come round again soon. */
#define GB_OUTPUT_CHUNKS_PER_ROUND 4

void gb_output_init(struct gb_output *o)
{
	*o = (struct gb_output){ .src = -1, .dst = -1, .sandbox_end = -1, .eof = true };
}

static void reset(struct gb_output *o)
{
	gb_output_init(o);
	o->eof = false;
}

/* A handle on fd's file that never blocks, without changing fd's own file
 * description (the caller's shell or tty shares it): fd itself for
 * regular files and block devices, which never block, and for sockets
 * (MSG_DONTWAIT); a fresh O_NONBLOCK open through /proc for pipes, FIFOs
 * and character devices such as ttys. -1 when fd is a pipe nobody reads
 * any more (ENXIO): the sandbox's writes will fail as they would on it. */
static int own_handle(int fd, int mode, int *out, bool *owned, bool *sock, gb_error *err)
{
	char path[sizeof("/proc/self/fd/") + 12];
	struct stat st;

	*out = -1;
	*owned = *sock = false;
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "stdio fd %d", fd);
	if (S_ISSOCK(st.st_mode) || (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))) {
		*sock = S_ISSOCK(st.st_mode);
		*out = fd;
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	*out = GB_RETRY(open(path, mode | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
	if (*out < 0 && errno == ENXIO)
		return 0;
	if (*out < 0)
		return gb_fail_errno(err, "reopen stdio fd %d non-blocking (through %s)", fd, path);
	*owned = true;
	return 0;
}

int gb_output_open(struct gb_output *o, int dest, uint64_t cap, gb_error *err)
{
	int p[2];

	reset(o);
	o->cap = cap;
	if (pipe2(p, O_CLOEXEC) < 0)
		return gb_fail_errno(err, "pipe for the sandbox's output");
	o->src = p[0];
	o->src_owned = true;
	o->sandbox_end = p[1];
	if (fcntl(o->src, F_SETFL, O_NONBLOCK) < 0)
		return gb_fail_errno(err, "non-blocking output pipe");
	return own_handle(dest, O_WRONLY, &o->dst, &o->dst_owned, &o->dst_sock, err);
}

int gb_output_open_input(struct gb_output *o, int src, gb_error *err)
{
	int p[2];

	reset(o);
	if (pipe2(p, O_CLOEXEC) < 0)
		return gb_fail_errno(err, "pipe for the sandbox's input");
	o->sandbox_end = p[0];
	o->dst = p[1];
	o->dst_owned = true;
	if (fcntl(o->dst, F_SETFL, O_NONBLOCK) < 0)
		return gb_fail_errno(err, "non-blocking input pipe");
	if (own_handle(src, O_RDONLY, &o->src, &o->src_owned, &o->src_sock, err) < 0)
		return -1;
	if (o->src < 0)
		gb_output_abandon(o);
	return 0;
}

int gb_output_poll_fd(const struct gb_output *o, short *events)
{
	if (o->eof)
		return -1;
	if (o->len > o->off) {
		*events = POLLOUT;
		return o->dst;
	}
	*events = POLLIN;
	return o->src;
}

static void close_ends(struct gb_output *o)
{
	if (o->src_owned)
		gb_closep(&o->src);
	if (o->dst_owned)
		gb_closep(&o->dst);
	o->src = o->dst = -1;
	free(o->pending);
	o->pending = NULL;
	o->off = o->len = 0;
	o->eof = true;
}

void gb_output_abandon(struct gb_output *o)
{
	close_ends(o);
}

static ssize_t src_read(const struct gb_output *o, void *buf, size_t n)
{
	return o->src_sock ? recv(o->src, buf, n, MSG_DONTWAIT) : read(o->src, buf, n);
}

static ssize_t dst_write(const struct gb_output *o, const void *buf, size_t n)
{
	return o->dst_sock ? send(o->dst, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL)
			   : write(o->dst, buf, n);
}

/* Write out what dst could not take before: 1 when all of it went, 0 when
 * dst is still full, -1 when dst failed (the pump is then abandoned). */
static int flush(struct gb_output *o)
{
	while (o->off < o->len) {
		ssize_t n = dst_write(o, o->pending + o->off, o->len - o->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			gb_output_abandon(o);
			return -1;
		}
		o->off += (size_t)n;
	}
	o->off = o->len = 0;
	return 1;
}

/* Keep buf[done..n) for later; the pump then waits for dst to drain. */
static void stash(struct gb_output *o, const char *buf, size_t n)
{
	if (!o->pending && !(o->pending = malloc(GB_OUTPUT_CHUNK))) {
		gb_output_abandon(o);
		return;
	}
	memcpy(o->pending, buf, n);
	o->off = 0;
	o->len = n;
}

void gb_output_pump(struct gb_output *o)
{
	char buf[GB_OUTPUT_CHUNK];

	for (int i = 0; i < GB_OUTPUT_CHUNKS_PER_ROUND && !o->eof; i++) {
		ssize_t n, w;
		size_t keep;

		if (o->len > o->off && flush(o) <= 0)
			return;
		n = src_read(o, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* End of file, or a source that failed (a tty hung up):
			 * either way the end; the input pipe's close tells the
			 * command. */
			close_ends(o);
			return;
		}
		keep = (size_t)n;
		if (o->cap && o->kept + keep > o->cap) {
			keep = (size_t)(o->cap - o->kept);
			o->truncated = true;
		}
		o->kept += keep;
		if (!keep)
			continue;
		if (o->dst < 0) {
			gb_output_abandon(o);
			return;
		}
		do
			w = dst_write(o, buf, keep);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno == EAGAIN)
			w = 0;
		if (w < 0) {
			gb_output_abandon(o);
			return;
		}
		if ((size_t)w < keep) {
			stash(o, buf + w, keep - (size_t)w);
			return;
		}
	}
}

void gb_output_close(struct gb_output *o)
{
	close_ends(o);
	gb_closep(&o->sandbox_end);
}
