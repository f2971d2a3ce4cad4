/* probe: a static helper bound into test sandboxes to make the system calls
 * busybox cannot (keyctl, bpf, unshare, ...) and print how they ended:
 * "ok" or the errno name. The test asserts on that line. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <arpa/inet.h>
#include <linux/nsfs.h>
#include <netinet/in.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int report(long r)
{
	if (r >= 0)
		puts("ok");
	else
		printf("%s\n", errno == EPERM ? "EPERM" : errno == ENOSYS ? "ENOSYS" : strerror(errno));
	return 0;
}

static void *spin(void *arg)
{
	volatile unsigned long n = 0;
	for (;;)
		n++;
	return arg;
}

/* N threads (the main one included) burning CPU forever. */
static int burn(int n)
{
	pthread_t t;
	for (int i = 1; i < n; i++)
		pthread_create(&t, NULL, spin, NULL);
	spin(NULL);
	return 0;
}

/* Allocate and touch MB mebibytes, one at a time. */
static int alloc_mb(int mb)
{
	for (int i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			puts("ENOMEM");
			return 1;
		}
		memset(p, i + 1, 1 << 20);
	}
	printf("allocated %d MB\n", mb);
	return 0;
}

/* With a directory: say the limit is reached by creating DIR/full, then
 * hold every process until DIR/done exists (polled: no fork is left). */
static void hold(const char *dir)
{
	char path[4096];
	int fd;

	if (!dir)
		return;
	fflush(stdout);
	snprintf(path, sizeof(path), "%s/full", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/done", dir);
	while (access(path, F_OK) < 0)
		usleep(20000);
}

/* Fork until the kernel says no; children wait to be killed. */
static int forkbomb(const char *dir)
{
	for (int i = 0; i < 100000; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			printf("%s after %d\n", errno == EAGAIN ? "EAGAIN" : strerror(errno), i);
			hold(dir);
			return 0;
		}
	}
	puts("no limit");
	return 0;
}

static void *wait_forever(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* Start threads until the kernel says no; they wait to be killed. */
static int threads(void)
{
	for (int i = 0; i < 100000; i++) {
		pthread_t t;
		int e = pthread_create(&t, NULL, wait_forever, NULL);
		if (e) {
			printf("%s after %d\n", e == EAGAIN ? "EAGAIN" : strerror(e), i);
			return 0;
		}
	}
	puts("no limit");
	return 0;
}

/* A software clock counting this process in user mode only: what the most
 * cautious perf_event_paranoid still lets an unprivileged user measure. */
static long perf_self(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_TASK_CLOCK,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static long vm_read_self(void)
{
	char src[8] = "probe", dst[8];
	struct iovec l = { dst, sizeof(dst) }, r = { src, sizeof(src) };
	return process_vm_readv(getpid(), &l, 1, &r, 1, 0);
}

/* Write 1 MiB blocks to PATH until an error (or MB blocks if MB > 0). */
static int fill(const char *path, int mb)
{
	static char block[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long total = 0;

	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	memset(block, 'x', sizeof(block));
	for (int i = 0; mb <= 0 || i < mb; i++) {
		ssize_t w = write(fd, block, sizeof(block));
		if (w < 0) {
			printf("%s after %ld bytes\n", errno == ENOSPC ? "ENOSPC" : errno == EFBIG ? "EFBIG" : strerror(errno), total);
			return 0;
		}
		total += w;
	}
	printf("wrote %ld bytes\n", total);
	return 0;
}

/* --- security probes (tests/security) --- */

/* How long the uevent probe waits for an event the host sends (a bound,
 * not a timing assertion: the host sends once the probe is ready). */
#define UEVENT_WAIT_MS 30000

static unsigned long long num(const char *s)
{
	return strtoull(s, NULL, 0);
}

/* Listen for kernel device events; create READY once listening, then print
 * "event" with the first one (or "none" after UEVENT_WAIT_MS). */
static int uevent(const char *ready)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	char buf[4096];
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return report(fd);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return report(-1);
	close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, UEVENT_WAIT_MS) == 1 && recv(fd, buf, sizeof(buf) - 1, 0) > 0) {
		buf[sizeof(buf) - 1] = '\0';
		printf("event %s\n", buf);
	} else {
		puts("none");
	}
	return 0;
}

static const struct {
	const char *name;
	int flag;
} ns_names[] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },	  { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET },   { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC },
};

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror(path);
		close(fd);
	}
}

/* unshare NS,NS... [CMD ARG...]: make those namespaces (a new user
 * namespace maps the caller to root), then run CMD or print "ok"; print the
 * errno when unshare fails. */
static int do_unshare(char *list, char **cmd)
{
	char map[64];
	int flags = 0;
	uid_t uid = getuid();
	gid_t gid = getgid();

	for (char *w = strtok(list, ","); w; w = strtok(NULL, ","))
		for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
			if (!strcmp(w, ns_names[i].name))
				flags |= ns_names[i].flag;
	if (unshare(flags) < 0)
		return report(-1);
	if (flags & CLONE_NEWUSER) {
		write_file("/proc/self/setgroups", "deny");
		snprintf(map, sizeof(map), "0 %u 1", uid);
		write_file("/proc/self/uid_map", map);
		snprintf(map, sizeof(map), "0 %u 1", gid);
		write_file("/proc/self/gid_map", map);
	}
	if (!cmd[0])
		return report(0);
	execvp(cmd[0], cmd);
	return report(-1);
}

static int security_probe(int argc, char **argv)
{
	const char *what = argv[1];

	if (!strcmp(what, "socket") && argc > 4)
		return report(syscall(SYS_socket, num(argv[2]), num(argv[3]), num(argv[4])));
	if (!strcmp(what, "personality") && argc > 2)
		return report(syscall(SYS_personality, num(argv[2])));
	if (!strcmp(what, "fanotify"))
		/* what an unprivileged user may ask for (Linux 5.13+) */
		return report(fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY));
	if (!strcmp(what, "io_setup")) {
		unsigned long ctx = 0;
		return report(syscall(SYS_io_setup, 1, &ctx));
	}
	if (!strcmp(what, "uevent") && argc > 2)
		return uevent(argv[2]);
	if (!strcmp(what, "unshare") && argc > 2)
		return do_unshare(argv[2], argv + 3);
	if (!strcmp(what, "sethostname") && argc > 2)
		return report(sethostname(argv[2], strlen(argv[2])));
	if (!strcmp(what, "clone3-newuser")) {
		/* struct clone_args, version 0: flags, pidfd, child_tid,
		 * parent_tid, exit_signal, stack, stack_size, tls */
		unsigned long long args[8] = { CLONE_NEWUSER, 0, 0, 0, SIGCHLD, 0, 0, 0 };
		long pid = syscall(SYS_clone3, args, sizeof(args));
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return report(pid);
	}
	if (!strcmp(what, "mount-cgroup") && argc > 3) {
		/* HIER: a v1 controller, or "cgroup2" */
		int v2 = !strcmp(argv[2], "cgroup2");
		return report(mount("none", argv[3], v2 ? "cgroup2" : "cgroup", 0,
				    v2 ? NULL : argv[2]));
	}
	return -1;
}

/* Create up to N empty files in DIR: how many fit. */
static int files(const char *dir, int n)
{
	char p[4096];

	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%d", dir, i);
		int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0) {
			printf("%s after %d files\n", errno == ENOSPC ? "ENOSPC" : strerror(errno), i);
			return 0;
		}
		close(fd);
	}
	printf("made %d files\n", n);
	return 0;
}

/* Up to N files in DIR, each with a 60000-byte xattr NAME: how many bytes
 * of xattrs fit. */
static int xattrs(const char *dir, const char *name, int n)
{
	static char val[60000];
	long total = 0;
	char p[4096];

	memset(val, 'x', sizeof(val));
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/x%d", dir, i);
		int fd = open(p, O_CREAT | O_WRONLY, 0644);
		if (fd < 0 || fsetxattr(fd, name, val, sizeof(val), 0) < 0) {
			int e = errno;
			printf("%s after %ld bytes\n", e == ENOSPC ? "ENOSPC" : e == EPERM ? "EPERM" :
					e == EOPNOTSUPP ? "EOPNOTSUPP" : strerror(e), total);
			return 0;
		}
		close(fd);
		total += sizeof(val);
	}
	printf("stored %ld bytes\n", total);
	return 0;
}

/* Block until stdin reaches EOF: a test holds a resource this way and
 * ends the hold by closing the pipe or FIFO. */
static void hold_until_eof(void)
{
	char c;
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
}

static const char *errname(int e)
{
	return e == EMFILE ? "EMFILE" : e == ENOSPC ? "ENOSPC" : e == EPERM ? "EPERM" :
	       e == EAGAIN ? "EAGAIN" : e == EACCES ? "EACCES" : e == EUSERS ? "EUSERS" :
	       strerror(e);
}

/* Take inotify instances until the kernel refuses (or max); print
 * "held N ERR", then keep them until stdin closes. */
static int inotify_hold(int max)
{
	int n = 0;

	while (max <= 0 || n < max) {
		if (inotify_init1(IN_CLOEXEC) < 0)
			break;
		n++;
	}
	printf("held %d %s\n", n, max > 0 && n == max ? "ok" : errname(errno));
	hold_until_eof();
	return 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) < 0) {
		printf("%s: %s\n", path, errname(errno));
		return -1;
	}
	return close(fd);
}

/* In user and mount namespaces of its own, make UTS namespaces until the
 * kernel refuses, each kept by a bind mount of its nsfs file (fds would
 * stop at RLIMIT_NOFILE first); print "held N ERR", then hold them. */
static int uts_hold(void)
{
	char path[64];
	int n = 0, fd;

	char map[32];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		printf("unshare-user %s\n", errname(errno));
		return 1;
	}
	/* Our own ids mapped, or the files below could not be created. */
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid, (unsigned)uid);
	if (write_text("/proc/self/uid_map", map) < 0 ||
	    write_text("/proc/self/setgroups", "deny") < 0)
		return 1;
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid, (unsigned)gid);
	if (write_text("/proc/self/gid_map", map) < 0)
		return 1;
	if (mount("none", "/tmp", "tmpfs", 0, NULL) < 0) {
		printf("mount: %s\n", errname(errno));
		return 1;
	}
	for (;;) {
		if (unshare(CLONE_NEWUTS) < 0)
			break;
		snprintf(path, sizeof(path), "/tmp/%d", n);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0 || close(fd) < 0 ||
		    mount("/proc/self/ns/uts", path, NULL, MS_BIND, NULL) < 0) {
			printf("keep: %s\n", errname(errno));
			return 1;
		}
		n++;
	}
	printf("held %d %s\n", n, errname(errno));
	hold_until_eof();
	return 0;
}

/* The host uid owning the user namespace at PATH (ioctl NS_GET_OWNER_UID). */
static int ns_owner(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uid_t uid;

	if (fd < 0 || ioctl(fd, NS_GET_OWNER_UID, &uid) < 0) {
		printf("%s\n", errname(errno));
		return 1;
	}
	printf("%u\n", (unsigned)uid);
	return 0;
}

/* Our oom_score_adj, and whether we may lower it to 0. */
static int oom_adj(void)
{
	char buf[32] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDWR);
	ssize_t n;

	if (fd < 0) {
		printf("open: %s\n", errname(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n - 1 : 0] = '\0';
	printf("adj %s lower %s\n", buf, pwrite(fd, "0", 1, 0) == 1 ? "ok" : errname(errno));
	return 0;
}

/* Polls (1 ms apart) without progress after which a connection is full. */
#define GB_FLOOD_IDLE 5

/* N loopback TCP connections whose receivers never read: write into each
 * until it would block, so socket buffers hold as much as the kernel lets
 * them. Prints "buffered N MB over C connections", then holds (if asked). */
static int tcp_flood(int conns, int keep)
{
	static char block[1 << 16];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	long long total = 0;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), made = 0;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0 || listen(lfd, conns) < 0) {
		printf("listen: %s\n", errname(errno));
		return 1;
	}
	memset(block, 'x', sizeof(block));
	for (; made < conns; made++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (c < 0)
			break;
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
			break;
		if (accept(lfd, NULL, NULL) < 0)
			break;
		/* The receiver's window grows as data arrives: keep writing until
		 * the kernel stops taking any for a while. */
		for (int idle = 0; idle < GB_FLOOD_IDLE;) {
			ssize_t w = write(c, block, sizeof(block));
			if (w > 0) {
				total += w;
				idle = 0;
			} else if (errno == EAGAIN) {
				idle++;
				usleep(1000);
			} else {
				break;
			}
		}
	}
	printf("buffered %lld MB over %d connections\n", total >> 20, made);
	if (keep)
		hold_until_eof();
	return 0;
}

/* --- extended attributes (tests/security/seccomp.bats) --- */

/* linux/xattr.h's POSIX ACL layout: a version, then tagged entries sorted
 * by tag and id. */
#define ACL_EA_VERSION 0x0002
enum { ACL_USER_OBJ = 0x01, ACL_USER = 0x02, ACL_GROUP_OBJ = 0x04, ACL_MASK = 0x10,
       ACL_OTHER = 0x20 };
struct acl_entry {
	unsigned short tag, perm;
	unsigned int id;
};
#define ACL_FIRST_ID 1000

/* Give FILE an access ACL naming N users (each entry is kernel memory). */
static int big_acl(const char *file, int n)
{
	size_t size = 4 + (size_t)(n + 4) * sizeof(struct acl_entry);
	unsigned char *buf = calloc(1, size);
	struct acl_entry *e = (struct acl_entry *)(buf + 4);
	unsigned int version = ACL_EA_VERSION;
	int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644), k = 0;

	if (!buf || fd < 0)
		return report(-1);
	memcpy(buf, &version, 4);
	e[k++] = (struct acl_entry){ ACL_USER_OBJ, 7, (unsigned)-1 };
	for (int i = 0; i < n; i++)
		e[k++] = (struct acl_entry){ ACL_USER, 7, ACL_FIRST_ID + (unsigned)i };
	e[k++] = (struct acl_entry){ ACL_GROUP_OBJ, 7, (unsigned)-1 };
	e[k++] = (struct acl_entry){ ACL_MASK, 7, (unsigned)-1 };
	e[k++] = (struct acl_entry){ ACL_OTHER, 7, (unsigned)-1 };
	return report(fsetxattr(fd, "system.posix_acl_access", buf, size, 0));
}

/* Each way to set an xattr on FILE, one line each: "CALL RESULT". */
static int xattr_calls(const char *file)
{
	/* struct xattr_args of setxattrat (Linux 6.13, x86_64 number 463) */
	struct {
		unsigned long long value;
		unsigned int size, flags;
	} args = { (unsigned long)"v", 1, 0 };
	int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

	if (fd < 0)
		return report(-1);
	fputs("setxattr ", stdout);
	report(setxattr(file, "user.x", "v", 1, 0));
	fputs("lsetxattr ", stdout);
	report(lsetxattr(file, "user.x", "v", 1, 0));
	fputs("fsetxattr ", stdout);
	report(fsetxattr(fd, "user.x", "v", 1, 0));
	fputs("setxattrat ", stdout);
	return report(syscall(463, AT_FDCWD, file, 0, "user.x", &args, sizeof(args)));
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "keyctl"))
		return report(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
	if (!strcmp(what, "add_key"))
		return report(syscall(SYS_add_key, "user", "probe", "x", 1,
				      KEY_SPEC_PROCESS_KEYRING));
	if (!strcmp(what, "ptrace"))
		return report(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	/* user-mode-only faults need no privilege (vm.unprivileged_userfaultfd) */
	if (!strcmp(what, "userfaultfd"))
		return report(syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
	if (!strcmp(what, "kcmp"))
		return report(syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0));
	if (!strcmp(what, "process_vm_readv"))
		return report(vm_read_self());
	if (!strcmp(what, "perf_event_open"))
		return report(perf_self());
	if (!strcmp(what, "unshare-ns"))
		return report(unshare(CLONE_NEWNS));
	if (!strcmp(what, "bpf"))
		return report(syscall(SYS_bpf, 0, NULL, 0));
	if (!strcmp(what, "unshare-user"))
		return report(unshare(CLONE_NEWUSER));
	if (!strcmp(what, "clone-newns")) {
		long pid = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return report(pid);
	}
	if (!strcmp(what, "mount"))
		return report(mount("none", "/tmp", "tmpfs", 0, NULL));
	if (!strcmp(what, "io_uring"))
		return report(syscall(SYS_io_uring_setup, 1, NULL));
	if (!strcmp(what, "fds")) {
		/* every open fd above 2 is a leak from gradebox */
		for (int fd = 3; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				printf("leaked fd %d\n", fd);
		puts("done");
		return 0;
	}
	if (!strcmp(what, "burn") && argc > 2)
		return burn(atoi(argv[2]));
	if (!strcmp(what, "alloc") && argc > 2)
		return alloc_mb(atoi(argv[2]));
	if (!strcmp(what, "forkbomb"))
		return forkbomb(argc > 2 ? argv[2] : NULL);
	if (!strcmp(what, "threads"))
		return threads();
	if (!strcmp(what, "fill") && argc > 2)
		return fill(argv[2], 0);
	if (!strcmp(what, "bigfile") && argc > 3) {
		signal(SIGXFSZ, SIG_IGN);
		return fill(argv[2], atoi(argv[3]));
	}
	if (argc > 1 && security_probe(argc, argv) == 0)
		return 0;
	if (!strcmp(what, "files") && argc > 3)
		return files(argv[2], atoi(argv[3]));
	if (!strcmp(what, "xattrs") && argc > 4)
		return xattrs(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(what, "inotify-hold"))
		return inotify_hold(argc > 2 ? atoi(argv[2]) : 0);
	if (!strcmp(what, "uts-hold"))
		return uts_hold();
	if (!strcmp(what, "ns-owner") && argc > 2)
		return ns_owner(argv[2]);
	if (!strcmp(what, "oom-adj"))
		return oom_adj();
	if (!strcmp(what, "tcp-flood") && argc > 2)
		return tcp_flood(atoi(argv[2]), argc > 3 && !strcmp(argv[3], "hold"));
	if (!strcmp(what, "acl") && argc > 3)
		return big_acl(argv[2], atoi(argv[3]));
	if (!strcmp(what, "xattr-calls") && argc > 2)
		return xattr_calls(argv[2]);
	fprintf(stderr, "probe: unknown test '%s'\n", what);
	return 2;
}
