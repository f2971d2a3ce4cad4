/* bench_calls: run a command N times, P at once, and report the wall time
 * of each run, for tests/bench/student.sh (inside a grading sandbox for
 * `run_student /bin/true`, on the host for a cold `gradebox run`). Static:
 * it runs in the busybox rootfs.
 *   usage: bench_calls N P CMD [ARG...]
 * prints: calls=N parallel=P failures=F median_ms=M p90_ms=Q total_s=T
 *         calls_per_s=R */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARALLEL 256

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = argc > 3 ? atol(argv[1]) : 0, p = argc > 3 ? atol(argv[2]) : 0, started = 0, done = 0;
	pid_t pids[MAX_PARALLEL];
	double starts[MAX_PARALLEL], *times, t0;
	posix_spawn_file_actions_t fa;
	int failures = 0;

	if (n <= 0 || p <= 0 || p > MAX_PARALLEL) {
		fprintf(stderr, "usage: bench_calls N P CMD [ARG...] (P <= %d)\n", MAX_PARALLEL);
		return 2;
	}
	times = calloc((size_t)n, sizeof(*times));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (long i = 0; i < p; i++)
		pids[i] = 0;
	t0 = now_ms();
	while (done < n) {
		for (long i = 0; i < p && started < n; i++) {
			if (pids[i])
				continue;
			starts[i] = now_ms();
			if (posix_spawnp(&pids[i], argv[3], &fa, NULL, argv + 3, environ) != 0) {
				perror("posix_spawnp");
				return 1;
			}
			started++;
		}
		int st;
		pid_t pid = wait(&st);
		for (long i = 0; i < p; i++) {
			if (pids[i] == pid) {
				times[done++] = now_ms() - starts[i];
				pids[i] = 0;
				if (!WIFEXITED(st) || WEXITSTATUS(st))
					failures++;
			}
		}
	}
	double total = (now_ms() - t0) / 1e3;
	qsort(times, (size_t)n, sizeof(*times), cmp);
	printf("calls=%ld parallel=%ld failures=%d median_ms=%.3f p90_ms=%.3f total_s=%.3f "
	       "calls_per_s=%.1f\n", n, p, failures, times[n / 2], times[n * 9 / 10], total,
	       n / total);
	return 0;
}
