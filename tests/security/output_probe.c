/* output_probe: what a hostile command does with its stdio, for
 * tests/security/output.bats (built static by that file's setup_file).
 *   attack-stdout   clear O_APPEND on fd 1, then write at offset 0,
 *                   fallocate 1 GiB and truncate: prints each errno
 *   tee-flood TAG N N processes tee() one full pipe into fd 1 forever: the
 *                   supervisor's pipe never runs dry, at little CPU cost
 *   write-forever TAG   write to fd 1 forever (TAG names the process) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fs.pipe-max-size's default: the largest pipe a sandbox can ask for. */
#define FLOOD_PIPE (1024 * 1024)

static const char *result(int r)
{
	return r >= 0 ? "ok" : strerror(errno);
}

static int attack_stdout(void)
{
	int fl = fcntl(1, F_GETFL);
	int clear = fl < 0 ? -1 : fcntl(1, F_SETFL, fl & ~O_APPEND);
	int pw = (int)pwrite(1, "PWNED", 5, 0);
	int fa = fallocate(1, 0, 0, 1 << 30);
	int tr = ftruncate(1, 0);

	fprintf(stderr, "clear-append %s\npwrite %s\nfallocate %s\nftruncate %s\n", result(clear),
		result(pw), result(fa), result(tr));
	return 0;
}

static int tee_flood(int n)
{
	static char chunk[FLOOD_PIPE];
	int p[2];

	memset(chunk, 'y', sizeof(chunk));
	/* Both pipes as large as an unprivileged process may make them: the
	 * supervisor needs many reads to empty fd 1, the writers refill it
	 * with one tee() each. */
	fcntl(1, F_SETPIPE_SZ, FLOOD_PIPE);
	if (pipe(p) < 0 || fcntl(p[1], F_SETPIPE_SZ, FLOOD_PIPE) < 0 ||
	    write(p[1], chunk, sizeof(chunk)) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		if (fork() == 0) {
			for (;;)
				if (tee(p[0], 1, sizeof(chunk), 0) < 0 && errno != EINTR)
					_exit(1);
		}
	}
	for (;;)
		pause();
}

static int write_forever(void)
{
	static char chunk[65536];

	memset(chunk, 'w', sizeof(chunk));
	for (;;)
		if (write(1, chunk, sizeof(chunk)) < 0 && errno != EINTR)
			return 1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "attack-stdout"))
		return attack_stdout();
	if (!strcmp(what, "tee-flood") && argc > 3)
		return tee_flood(atoi(argv[3]));
	if (!strcmp(what, "write-forever") && argc > 2)
		return write_forever();
	fprintf(stderr, "output_probe: unknown test '%s'\n", what);
	return 2;
}
