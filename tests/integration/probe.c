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
#include <arpa/inet.h>
#include <linux/nsfs.h>
#include <netinet/in.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

/* Fork until the kernel says no; children wait to be killed. */
static int forkbomb(void)
{
	for (int i = 0; i < 100000; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			printf("%s after %d\n", errno == EAGAIN ? "EAGAIN" : strerror(errno), i);
			return 0;
		}
	}
	puts("no limit");
	return 0;
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

/* Block until stdin reaches EOF: a test holds a resource this way and
 * ends the hold by closing the pipe or FIFO. */
static void hold(void)
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
	hold();
	return 0;
}

static int write_file(const char *path, const char *text)
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
	if (write_file("/proc/self/uid_map", map) < 0 ||
	    write_file("/proc/self/setgroups", "deny") < 0)
		return 1;
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid, (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
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
	hold();
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
		hold();
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "keyctl"))
		return report(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
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
		return forkbomb();
	if (!strcmp(what, "fill") && argc > 2)
		return fill(argv[2], 0);
	if (!strcmp(what, "bigfile") && argc > 3) {
		signal(SIGXFSZ, SIG_IGN);
		return fill(argv[2], atoi(argv[3]));
	}
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
	fprintf(stderr, "probe: unknown test '%s'\n", what);
	return 2;
}
