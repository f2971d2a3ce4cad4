/* forge: hostile run_student requests from inside a grading sandbox, for
 * tests/security/student.bats. Each attack prints one line `NAME: ANSWER`,
 * where ANSWER is the code the supervisor answered or `closed` (the
 * connection was closed without an answer):
 *   huge       a 100 KiB request (past the 64 KiB bound) with 3 fds
 *   truncated  only the first bytes of a request's header
 *   nofds      a valid request without descriptors
 *   twofds     a valid request with 2 descriptors
 *   extrafds   a valid request with 5 descriptors
 *   dirfd      a valid request whose stdout is a directory
 *   garbage    random bytes
 *   flood N    N connections one after the other, each closed at once
 *              (connect waits while the backlog is full; prints `flood: N done`)
 *   hold N     N connections held open at once, then all closed */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../src/grade/student_proto.h"
#include "../../src/lib/fdpass.h"

#define SOCK "/.gradebox/sock"

static int dial(int flags)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = SOCK };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | flags, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

static void send_with(int s, const void *buf, size_t len, const int *fds, size_t nfds)
{
	if (gb_send_fds(s, buf, len, fds, nfds) < 0)
		printf("(send: %s) ", strerror(errno));
}

static void answer(const char *name, int s)
{
	struct gb_student_msg m;
	struct pollfd p = { .fd = s, .events = POLLIN };
	ssize_t n = poll(&p, 1, 10000) == 1 ? recv(s, &m, sizeof(m), 0) : -1;

	if (n == (ssize_t)sizeof(m) && m.type == GB_STUDENT_RESULT)
		printf("%s: %d\n", name, m.value);
	else if (n == 0)
		printf("%s: closed\n", name);
	else
		printf("%s: no answer\n", name);
	fflush(stdout);
	close(s);
}

static size_t valid_request(char *buf, size_t cap)
{
	static struct gb_student_req req = { .container = "", .cwd = "/", .argc = 1,
					     .argv = { "/bin/true", NULL } };
	const char *why;
	long n = gb_student_req_encode(&req, buf, cap, &why);
	return n < 0 ? 0 : (size_t)n;
}

int main(int argc, char **argv)
{
	static char buf[100 * 1024];
	int std[5] = { 0, 1, 2, 1, 2 }, s;
	const char *what = argc > 1 ? argv[1] : "";
	size_t n;

	if (!strcmp(what, "flood") || !strcmp(what, "hold")) {
		long want = argc > 2 ? atol(argv[2]) : 10000, done = 0;
		int *held = calloc((size_t)want, sizeof(int));
		for (long i = 0; i < want && held; i++) {
			s = dial(!strcmp(what, "hold") ? SOCK_NONBLOCK : 0);
			if (s < 0)
				continue; /* the backlog is full: that connect waits or fails */
			if (!strcmp(what, "flood"))
				close(s);
			else
				held[done] = s;
			done++;
		}
		for (long i = 0; !strcmp(what, "hold") && i < done; i++)
			close(held[i]);
		printf("%s: %ld done\n", what, done);
		return 0;
	}
	s = dial(0);
	if (s < 0) {
		printf("%s: cannot connect: %s\n", what, strerror(errno));
		return 1;
	}
	n = valid_request(buf, GB_STUDENT_REQ_MAX);
	if (!strcmp(what, "huge")) {
		memset(buf, 'a', sizeof(buf));
		send_with(s, buf, sizeof(buf), std, 3);
	} else if (!strcmp(what, "truncated")) {
		send_with(s, buf, 6, std, 3);
	} else if (!strcmp(what, "nofds")) {
		send_with(s, buf, n, std, 0);
	} else if (!strcmp(what, "twofds")) {
		send_with(s, buf, n, std, 2);
	} else if (!strcmp(what, "extrafds")) {
		send_with(s, buf, n, std, 5);
	} else if (!strcmp(what, "dirfd")) {
		int fds[3] = { 0, open("/", O_RDONLY | O_DIRECTORY), 2 };
		send_with(s, buf, n, fds, 3);
	} else if (!strcmp(what, "garbage")) {
		for (size_t i = 0; i < 4096; i++)
			buf[i] = (char)(i * 7919 % 251);
		send_with(s, buf, 4096, std, 3);
	} else {
		fprintf(stderr, "forge: unknown attack '%s'\n", what);
		return 2;
	}
	answer(what, s);
	return 0;
}
