/* Unit tests: output (the stdio pumps move a bounded amount per call and
 * never block on a full destination) and outfile (host output files). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "outfile.h"
#include "output.h"
#include "tap.h"
#include "util.h"

/* The largest pipe an unprivileged writer (a sandbox) can make. */
#define BIG_PIPE (1024 * 1024)
#define CHUNK 65536
/* A hang in a pump kills the test instead of the suite waiting forever. */
#define HANG_GUARD_S 30

static int pipe_fill(int fd, size_t n)
{
	static char buf[CHUNK];
	size_t done = 0;

	memset(buf, 'x', sizeof(buf));
	while (done < n) {
		ssize_t w = write(fd, buf, n - done < sizeof(buf) ? n - done : sizeof(buf));
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

static int queued(int fd)
{
	int n = -1;

	ioctl(fd, FIONREAD, &n);
	return n;
}

static void test_bounded(void)
{
	struct gb_output o;
	gb_error e = { 0 };
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC), left;

	TAP_OK(gb_output_open(&o, devnull, 0, &e) == 0, "output pipe opens");
	fcntl(o.sandbox_end, F_SETPIPE_SZ, BIG_PIPE);
	TAP_OK(pipe_fill(o.sandbox_end, BIG_PIPE) == 0, "a sandbox fills a 1 MiB pipe");
	gb_output_pump(&o);
	left = queued(o.src);
	/* A flood must not keep one call (one loop round) busy: the timers
	 * and signals wait for it. */
	TAP_OK(left > 0 && left >= BIG_PIPE - 8 * CHUNK, "one pump call moves a bounded amount");
	while (queued(o.src) > 0)
		gb_output_pump(&o);
	TAP_OK(o.kept == BIG_PIPE && !o.eof, "further calls move the rest");
	gb_closep(&o.sandbox_end);
	gb_output_pump(&o);
	TAP_OK(o.eof, "the writer's close ends the pump");
	gb_output_close(&o);
	close(devnull);
}

static void test_full_destination(void)
{
	struct gb_output o;
	gb_error e = { 0 };
	int reader[2];
	short ev = 0;

	/* gradebox's stdout is a pipe whose reader stopped reading */
	if (pipe2(reader, O_CLOEXEC) < 0 || pipe_fill(reader[1], CHUNK) < 0) {
		TAP_OK(0, "a full destination pipe");
		return;
	}
	TAP_OK(gb_output_open(&o, reader[1], 0, &e) == 0, "output to a full pipe opens");
	TAP_OK(!(fcntl(reader[1], F_GETFL) & O_NONBLOCK),
	       "the caller's own description stays blocking");
	pipe_fill(o.sandbox_end, CHUNK);
	alarm(HANG_GUARD_S);
	gb_output_pump(&o);
	alarm(0);
	TAP_OK(gb_output_poll_fd(&o, &ev) == o.dst && ev == POLLOUT,
	       "a full destination is waited for with POLLOUT, not a blocking write");
	pipe_fill(o.sandbox_end, CHUNK);
	gb_output_pump(&o);
	TAP_OK(queued(o.src) == CHUNK, "nothing more is read while the destination is full");
	close(reader[0]);
	gb_output_pump(&o);
	TAP_OK(o.eof && o.src < 0, "a destination gone ends the pump and closes the pipe");
	gb_output_close(&o);
	close(reader[1]);
}

static void test_cap(void)
{
	struct gb_output o;
	gb_error e = { 0 };
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	gb_output_open(&o, devnull, 1000, &e);
	fcntl(o.sandbox_end, F_SETPIPE_SZ, BIG_PIPE);
	pipe_fill(o.sandbox_end, 3 * CHUNK);
	gb_closep(&o.sandbox_end);
	while (!o.eof)
		gb_output_pump(&o);
	TAP_OK(o.kept == 1000 && o.truncated, "output past the cap is read and dropped");
	gb_output_close(&o);
	close(devnull);
}

static void test_outfile(void)
{
	char dir[] = "/tmp/gb-test-output-XXXXXX", path[512], link[512];
	gb_error e = { 0 };
	struct stat st;
	int fd;

	if (!mkdtemp(dir)) {
		TAP_OK(0, "temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/out", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	fd = gb_open_output(path, 2000000000u, &e);
	TAP_OK(fd >= 0 && write(fd, "abc", 3) == 3, "an output file is created");
	gb_closep(&fd);
	TAP_OK(symlink(path, link) == 0 && gb_open_output(link, 2000000000u, &e) < 0 &&
		       strstr(e.msg, "symbolic link"),
	       "a symlink is refused");
	TAP_OK(stat(path, &st) == 0 && st.st_size == 3, "its target is left alone");
	TAP_OK(chown(dir, 2000004242u, 0) == 0 && gb_open_output(path, 2000000000u, &e) < 0 &&
		       strstr(e.msg, "sandbox uid"),
	       "a directory owned by a sandbox uid is refused");
	gb_rm_rf(dir, &e);
}

int main(void)
{
	/* One line for each test below; keep it in step. */
	TAP_PLAN(15);
	signal(SIGPIPE, SIG_IGN);
	test_bounded();
	test_full_destination();
	test_cap();
	test_outfile();
	return TAP_DONE();
}
