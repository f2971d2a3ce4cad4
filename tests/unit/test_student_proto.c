/* run_student's wire protocol: request encode/decode, INGInious's shlex
 * re-split, the codes, and which stdio fds the supervisor accepts. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "student.h"
#include "student_proto.h"
#include "tap.h"

static char buf[GB_STUDENT_REQ_MAX + 64];

/* Split like shlex.split(" ".join(words)); the result joined with '|'. */
static const char *split(char *const *words, size_t n)
{
	static char store[4096], out[4096];
	const char *argv[64], *why = NULL;
	long k = gb_student_shlex(words, n, store, sizeof(store), argv, 63, &why);

	if (k < 0)
		return why;
	out[0] = '\0';
	for (long i = 0; i < k; i++) {
		strcat(out, i ? "|" : "");
		strcat(out, argv[i]);
	}
	return out;
}

/* One end of a socket pair made by a child process, passed over ctl. */
static int socket_from_child(int *out)
{
	int ctl[2], st;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b = 0;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, ctl) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
			_exit(1);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sp[0], sizeof(int));
		_exit(sendmsg(ctl[1], &mh, 0) == 1 ? 0 : 1);
	}
	if (recvmsg(ctl[0], &mh, 0) != 1 || !(c = CMSG_FIRSTHDR(&mh)))
		return -1;
	memcpy(out, CMSG_DATA(c), sizeof(int));
	waitpid(pid, &st, 0);
	close(ctl[0]);
	close(ctl[1]);
	return 0;
}

static long encode_simple(struct gb_student_req *req, const char *cmd)
{
	const char *why;

	memset(req, 0, sizeof(*req));
	req->flags = GB_STUDENT_SHARE_NETWORK;
	req->time_s = 5;
	req->hard_time_s = 7;
	req->memory_mb = 64;
	req->container = "";
	req->cwd = "/task/student";
	req->argv[0] = cmd;
	req->argv[1] = "a b";
	req->argc = 2;
	return gb_student_req_encode(req, buf, sizeof(buf), &why);
}

int main(void)
{
	static struct gb_student_req req, back;
	const char *why = NULL;
	long len;
	int fds[2];

	TAP_PLAN(28);

	/* round trip */
	len = encode_simple(&req, "/bin/echo");
	TAP_OK(len > 0 && gb_student_req_decode(buf, (size_t)len, &back, &why) == 0,
	       "a request decodes back");
	TAP_OK(back.argc == 2 && !strcmp(back.argv[0], "/bin/echo") && !strcmp(back.argv[1], "a b") &&
		       !back.argv[2], "argv arrives word for word");
	TAP_OK(back.flags == GB_STUDENT_SHARE_NETWORK && back.time_s == 5 && back.hard_time_s == 7 &&
		       back.memory_mb == 64 && !strcmp(back.cwd, "/task/student") &&
		       !strcmp(back.container, ""), "flags, limits, cwd and container arrive");

	/* malformed requests */
	TAP_OK(gb_student_req_decode(buf, (size_t)len - 1, &back, &why) < 0, "truncated request refused");
	TAP_OK(gb_student_req_decode(buf, 8, &back, &why) < 0, "request shorter than its header refused");
	buf[len] = 'x';
	TAP_OK(gb_student_req_decode(buf, (size_t)len + 1, &back, &why) < 0,
	       "bytes past the declared strings refused");
	((struct gb_student_req_hdr *)buf)->argc = 3;
	TAP_OK(gb_student_req_decode(buf, (size_t)len, &back, &why) < 0, "argc larger than the strings refused");
	len = encode_simple(&req, "/bin/echo");
	((struct gb_student_req_hdr *)buf)->magic ^= 1;
	TAP_OK(gb_student_req_decode(buf, (size_t)len, &back, &why) < 0, "wrong magic refused");
	len = encode_simple(&req, "/bin/echo");
	((struct gb_student_req_hdr *)buf)->flags = 1u << 7;
	TAP_OK(gb_student_req_decode(buf, (size_t)len, &back, &why) < 0, "unknown flags refused");
	len = encode_simple(&req, "/bin/echo");
	((struct gb_student_req_hdr *)buf)->memory_mb = GB_STUDENT_LIMIT_MAX + 1;
	TAP_OK(gb_student_req_decode(buf, (size_t)len, &back, &why) < 0, "limit out of range refused");
	len = encode_simple(&req, "/bin/echo");
	buf[len - 1] = 'x'; /* last string loses its NUL */
	TAP_OK(gb_student_req_decode(buf, (size_t)len, &back, &why) < 0, "unterminated string refused");
	req.cwd = "task";
	len = gb_student_req_encode(&req, buf, sizeof(buf), &why);
	TAP_OK(len > 0 && gb_student_req_decode(buf, (size_t)len, &back, &why) < 0,
	       "relative cwd refused");
	len = encode_simple(&req, "");
	TAP_OK(len > 0 && gb_student_req_decode(buf, (size_t)len, &back, &why) < 0,
	       "empty command name refused");
	{
		static char big[GB_STUDENT_REQ_MAX];
		memset(big, 'a', sizeof(big) - 1);
		encode_simple(&req, big);
		TAP_OK(gb_student_req_encode(&req, buf, sizeof(buf), &why) < 0,
		       "a request past 64 KiB cannot be encoded");
	}

	/* INGInious's join + shlex.split */
	{
		char *w1[] = { "sh", "-c", "echo a | cat" };
		char *w2[] = { "python3 main.py 'x y'" };
		char *w3[] = { "--", "ls" };
		char *w4[] = { "a\\ b", "\"c\\d\\\"\"", "''" };
		char *w5[] = { "'open" };
		char *w6[] = { "end\\" };
		TAP_OK(!strcmp(split(w1, 3), "sh|-c|echo|a|||cat"),
		       "shlex: quoting of separate words is lost (INGInious)");
		TAP_OK(!strcmp(split(w2, 1), "python3|main.py|x y"), "shlex: one word is a command line");
		TAP_OK(!strcmp(split(w3, 2), "--|ls"), "shlex: -- is kept as a word");
		TAP_OK(!strcmp(split(w4, 3), "a b|c\\d\"|"),
		       "shlex: escapes, double quotes keep other backslashes, '' is a word");
		TAP_OK(!strcmp(split(w5, 1), "No closing quotation"), "shlex: unclosed quote");
		TAP_OK(!strcmp(split(w6, 1), "No escaped character"), "shlex: trailing backslash");
	}

	/* codes */
	TAP_OK(gb_student_code_for_signal(SIGSEGV) == 245 && gb_student_code_for_signal(SIGKILL) == 247,
	       "signal N gives 256-N");

	/* fds the supervisor accepts as stdio */
	{
		int dir = open("/", O_RDONLY | O_DIRECTORY), path = open("/dev/null", O_PATH);
		int null = open("/dev/null", O_RDWR), pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
		int sp[2];
		TAP_OK(gb_student_check_fd(dir) != NULL, "a directory fd is refused");
		TAP_OK(gb_student_check_fd(path) != NULL, "an O_PATH fd is refused");
		TAP_OK(pidfd >= 0 && gb_student_check_fd(pidfd) != NULL, "a pidfd is refused");
		TAP_OK(pipe(fds) == 0 && !gb_student_check_fd(fds[0]) && !gb_student_check_fd(fds[1]),
		       "pipes are accepted");
		TAP_OK(!gb_student_check_fd(null), "a device is accepted");
		/* a pair made by another process, as the grading sandbox's would be */
		sp[0] = sp[1] = -1;
		TAP_OK(socket_from_child(&sp[0]) == 0 && !gb_student_check_fd(sp[0]),
		       "a socket pair is accepted");
		TAP_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0 && gb_student_check_fd(fds[0]) != NULL,
		       "a socket whose peer is the supervisor itself is refused");
		close(dir), close(path), close(null), close(pidfd), close(sp[0]);
	}
	return tap_done();
}
