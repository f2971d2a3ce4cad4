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
#include <sys/mount.h>
#include <sys/syscall.h>
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
	if (!strcmp(what, "files") && argc > 3)
		return files(argv[2], atoi(argv[3]));
	if (!strcmp(what, "xattrs") && argc > 4)
		return xattrs(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "probe: unknown test '%s'\n", what);
	return 2;
}
