/* run_student, ssh_student: the grading sandbox's side of nested student
 * sandboxes (the protocol: src/grade/student_proto.h). run_student parses
 * its options as INGInious's argparse does, sends one request with its own
 * stdin, stdout and stderr to the job's supervisor, forwards the signals
 * it receives and exits with the code the supervisor answers. It copies no
 * data: the student writes straight to run_student's own descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../src/grade/student_proto.h"
#include "../../src/lib/fdpass.h"

#define PROG "run_student"
#define ARGPARSE_USAGE_EXIT 2

static const char usage_text[] =
	"usage: run_student [-h] [--container CONTAINER] [--time TIME]\n"
	"                   [--hard-time HARD_TIME] [--memory MEMORY]\n"
	"                   [--share-network] [--run-as-root] [--ssh]\n"
	"                   [--teardown-script TEARDOWN_SCRIPT]\n"
	"                   ...\n";

static const char help_text[] =
	"\n"
	"positional arguments:\n"
	"  cmd                   command to be run on the student container\n"
	"\n"
	"options:\n"
	"  -h, --help            show this help message and exit\n"
	"  --container CONTAINER\n"
	"                        name of the container to use. Default is the same as\n"
	"                        the current container\n"
	"  --time TIME           timeout for the command in seconds (CPU); 0 = the\n"
	"                        grading container's\n"
	"  --hard-time HARD_TIME\n"
	"                        wall-clock timeout in seconds; 0 = the grading\n"
	"                        container's\n"
	"  --memory MEMORY       memory limit in megabytes; 0 = the grading container's\n"
	"  --share-network       share the network stack of the grading container with\n"
	"                        the student container\n"
	"  --run-as-root         run the command as root in the student container's own\n"
	"                        user namespace\n"
	"  --ssh                 open an ssh session (not available in gradebox)\n"
	"  --teardown-script TEARDOWN_SCRIPT\n"
	"                        command run after the student's, in a student\n"
	"                        container of its own sharing /task/student\n";

/* Signals passed on to the student (the list). */
static const int forwarded[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGTSTP,
};

enum opt_id { OPT_HELP, OPT_CONTAINER, OPT_TIME, OPT_HARD_TIME, OPT_MEMORY, OPT_SHARE_NETWORK,
	      OPT_RUN_AS_ROOT, OPT_SSH, OPT_TEARDOWN };
static const struct {
	const char *name;
	bool value;
	const char *metavar;
} opts[] = {
	[OPT_HELP] = { "--help", false, NULL },
	[OPT_CONTAINER] = { "--container", true, "CONTAINER" },
	[OPT_TIME] = { "--time", true, "TIME" },
	[OPT_HARD_TIME] = { "--hard-time", true, "HARD_TIME" },
	[OPT_MEMORY] = { "--memory", true, "MEMORY" },
	[OPT_SHARE_NETWORK] = { "--share-network", false, NULL },
	[OPT_RUN_AS_ROOT] = { "--run-as-root", false, NULL },
	[OPT_SSH] = { "--ssh", false, NULL },
	[OPT_TEARDOWN] = { "--teardown-script", true, "TEARDOWN_SCRIPT" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

struct args {
	const char *container, *teardown;
	long time_s, hard_time_s, memory_mb;
	bool share_network, run_as_root, ssh;
	char **cmd;
	size_t ncmd;
};

static int usage_error(const char *fmt, const char *a, const char *b)
{
	fputs(usage_text, stderr);
	fprintf(stderr, PROG ": error: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return ARGPARSE_USAGE_EXIT;
}

/* argparse's test for a value that may start with '-': a negative number. */
static bool negative_number(const char *s)
{
	char *end;

	if (s[0] != '-' || !s[1])
		return false;
	strtod(s, &end);
	return *end == '\0' && !strpbrk(s, "eExXpPnNiI");
}

/* Python's int(): blanks around, a sign, digits with single '_' between. */
static bool parse_int(const char *s, long *out)
{
	char digits[32];
	size_t n = 0;
	bool neg = false, last_digit = false;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s && !strchr(" \t\n", *s); s++) {
		if (*s == '_' && last_digit && s[1] >= '0' && s[1] <= '9') {
			last_digit = false;
			continue;
		}
		if (*s < '0' || *s > '9' || n + 1 >= sizeof(digits))
			return false;
		digits[n++] = *s;
		last_digit = true;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (!n || *s)
		return false;
	digits[n] = '\0';
	*out = strtol(digits, NULL, 10);
	if (neg)
		*out = -*out;
	return true;
}

/* Which option an argument names: exact, or a unique prefix. -1 none, -2
 * ambiguous (then *amb lists the candidates). */
static int find_opt(const char *arg, size_t len, char *amb, size_t ambcap)
{
	int found = -1, count = 0;

	amb[0] = '\0';
	for (size_t i = 0; i < NOPTS; i++) {
		if (strlen(opts[i].name) == len && !strncmp(opts[i].name, arg, len))
			return (int)i;
		if (!strncmp(opts[i].name, arg, len)) {
			size_t used = strlen(amb);
			snprintf(amb + used, ambcap - used, "%s%s", count ? ", " : "", opts[i].name);
			found = (int)i;
			count++;
		}
	}
	return count > 1 ? -2 : found;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int i = 1;

	for (; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		char amb[256], name[64];
		size_t len;
		int id;
		long *num = NULL;

		if (!strcmp(arg, "-h")) {
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(0);
		}
		if (arg[0] != '-' || !strcmp(arg, "--") || !strcmp(arg, "-") ||
		    negative_number(arg))
			break; /* the command starts here, `--` included (INGInious) */
		if (arg[1] != '-')
			return usage_error("unrecognized arguments: %s%s", arg, "");
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		id = find_opt(arg, len, amb, sizeof(amb));
		snprintf(name, sizeof(name), "%.*s", (int)len, arg);
		if (id == -2)
			return usage_error("ambiguous option: %s could match %s", name, amb);
		if (id < 0)
			return usage_error("unrecognized arguments: %s%s", arg, "");
		if (!opts[id].value && eq)
			return usage_error("argument %s: ignored explicit argument '%s'",
					   opts[id].name, eq + 1);
		if (opts[id].value) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc && (argv[i + 1][0] != '-' || negative_number(argv[i + 1])))
				val = argv[++i];
			else
				return usage_error("argument %s: expected one argument%s", opts[id].name, "");
		}
		switch ((enum opt_id)id) {
		case OPT_HELP:
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(0);
		case OPT_CONTAINER: a->container = val; break;
		case OPT_TIME: num = &a->time_s; break;
		case OPT_HARD_TIME: num = &a->hard_time_s; break;
		case OPT_MEMORY: num = &a->memory_mb; break;
		case OPT_SHARE_NETWORK: a->share_network = true; break;
		case OPT_RUN_AS_ROOT: a->run_as_root = true; break;
		case OPT_SSH: a->ssh = true; break;
		case OPT_TEARDOWN: a->teardown = val; break;
		}
		if (num && !parse_int(val, num))
			return usage_error("argument %s: invalid int value: '%s'", opts[id].name, val);
	}
	a->cmd = argv + i;
	a->ncmd = (size_t)(argc - i);
	return 0;
}

/* A limit as the wire carries it: 0 (the grading sandbox's) for 0 or less,
 * as INGInious's min(requested or parent's, parent's) does. */
static uint32_t wire_limit(long v)
{
	if (v <= 0)
		return 0;
	return v > (long)GB_STUDENT_LIMIT_MAX ? GB_STUDENT_LIMIT_MAX : (uint32_t)v;
}

static int fail(int code, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return code;
}

/* A closed stdio descriptor is sent as /dev/null. */
static int stdio_fd(int fd)
{
	if (fcntl(fd, F_GETFD) >= 0)
		return fd;
	return open("/dev/null", O_RDWR | O_CLOEXEC);
}

static int send_request(int sock, const struct gb_student_req *req)
{
	static char buf[GB_STUDENT_REQ_MAX];
	const char *why = NULL;
	long len = gb_student_req_encode(req, buf, sizeof(buf), &why);
	int fds[GB_STUDENT_NFDS];

	if (len < 0)
		return fail(GB_STUDENT_EXIT_FAILED, "%s%s", why, "");
	for (int i = 0; i < GB_STUDENT_NFDS; i++) {
		fds[i] = stdio_fd(i);
		if (fds[i] < 0)
			return fail(GB_STUDENT_EXIT_FAILED, "open /dev/null: %s%s", strerror(errno), "");
	}
	if (gb_send_fds(sock, buf, (size_t)len, fds, GB_STUDENT_NFDS) < 0)
		return fail(GB_STUDENT_EXIT_FAILED, "send the request to the supervisor: %s%s",
			    strerror(errno), "");
	return 0;
}

/* Forward signals until the result comes; its code is ours. */
static int wait_result(int sock, int sfd)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		struct gb_student_msg m;
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail(GB_STUDENT_EXIT_FAILED, "poll: %s%s", strerror(errno), "");
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				gb_student_msg_make(&m, GB_STUDENT_SIGNAL, (int32_t)si.ssi_signo, NULL);
				send(sock, &m, sizeof(m), MSG_NOSIGNAL);
			}
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(sock, &m, sizeof(m), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || !gb_student_msg_valid(&m, (size_t)n) || m.type != GB_STUDENT_RESULT)
			return fail(GB_STUDENT_EXIT_FAILED,
				    "the gradebox supervisor closed the connection without a result%s%s",
				    "", "");
		if (m.text[0])
			fprintf(stderr, PROG ": %s\n", m.text);
		return m.value;
	}
}

static const char *api_root(void)
{
	const char *r = getenv("GRADEBOX_API_ROOT");
	return r && *r ? r : "/";
}

/* INGInious's split of the words; no word at all runs its echo. */
static int split_command(char *const *words, size_t nwords, char *store, size_t cap,
			 struct gb_student_req *req)
{
	const char *why = NULL;
	long n = nwords ? gb_student_shlex(words, nwords, store, cap, req->argv,
					   GB_STUDENT_MAX_ARGS, &why)
			: 0;

	if (n < 0)
		return fail(GB_STUDENT_EXIT_FAILED, "the command: %s%s", why, "");
	if (n == 0) {
		req->argv[0] = GB_STUDENT_EMPTY_CMD_0;
		req->argv[1] = GB_STUDENT_EMPTY_CMD_1;
		req->argv[2] = NULL;
		n = 2;
	}
	req->argc = (size_t)n;
	return 0;
}

/* One call: connect, send, forward signals until the result. */
static int call(const struct sockaddr_un *addr, const struct gb_student_req *req, int sfd)
{
	int r, sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (sock < 0)
		return fail(GB_STUDENT_EXIT_FAILED, "socket: %s%s", strerror(errno), "");
	while (connect(sock, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		if (errno == EINTR)
			continue;
		r = errno;
		close(sock);
		if (r == ENOENT || r == ENOTDIR)
			return fail(GB_STUDENT_EXIT_UNAVAILABLE,
				    "not available: no gradebox supervisor socket at %s%s",
				    addr->sun_path, "");
		return fail(GB_STUDENT_EXIT_FAILED, "connect to the gradebox supervisor at %s: %s",
			    addr->sun_path, strerror(r));
	}
	r = send_request(sock, req);
	if (r == 0)
		r = wait_result(sock, sfd);
	close(sock);
	return r;
}

int gb_api_run_student(int argc, char **argv)
{
	static char store[GB_STUDENT_REQ_MAX];
	static struct gb_student_req req;
	struct args a = { 0 };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *root = api_root();
	char cwd[PATH_MAX];
	sigset_t set;
	int r, sfd;

	r = parse_args(argc, argv, &a);
	if (r)
		return r;
	if (a.ssh)
		return fail(GB_STUDENT_EXIT_UNAVAILABLE, "--ssh: not available in gradebox%s%s", "", "");
	r = split_command(a.cmd, a.ncmd, store, sizeof(store), &req);
	if (r)
		return r;
	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s%s%s", root,
			     root[strlen(root) - 1] == '/' ? "" : "/", GB_STUDENT_SOCK_PATH) >=
	    sizeof(addr.sun_path))
		return fail(GB_STUDENT_EXIT_UNAVAILABLE, "not available (GRADEBOX_API_ROOT is too long)%s%s", "", "");
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");

	req.flags = (a.share_network ? GB_STUDENT_SHARE_NETWORK : 0) |
		    (a.run_as_root ? GB_STUDENT_RUN_AS_ROOT : 0);
	req.time_s = wire_limit(a.time_s);
	req.hard_time_s = wire_limit(a.hard_time_s);
	req.memory_mb = wire_limit(a.memory_mb);
	req.container = a.container ? a.container : "";
	req.cwd = cwd;

	/* Blocked before connecting: from then on each one reaches the student. */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return fail(GB_STUDENT_EXIT_FAILED, "signalfd: %s%s", strerror(errno), "");
	r = call(&addr, &req, sfd);
	/* The teardown script: after the command, in a student sandbox of its
	 * own (the command's is gone; /task/student is what they share). Its
	 * code is not the call's. */
	if (a.teardown && *a.teardown && r != GB_STUDENT_EXIT_UNAVAILABLE) {
		char *words[1] = { (char *)a.teardown };
		if (split_command(words, 1, store, sizeof(store), &req) == 0)
			call(&addr, &req, sfd);
	}
	close(sfd);
	return r;
}

int gb_api_ssh_student(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ssh_student: not available in gradebox\n");
	return GB_STUDENT_EXIT_UNAVAILABLE;
}
