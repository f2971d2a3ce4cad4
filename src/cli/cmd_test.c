/* gradebox test COURSE_DIR [TASK...] [-j N] [--json FILE] [--update] [-v]:
 * replay a course's recorded INGInious submissions and show what differs
 * (replay.h). Exit 0 when every submission grades as recorded, 1 when one
 * differs or could not be graded, 254 when none could be graded. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "outfile.h"
#include "replay.h"
#include "util.h"

/* Far above the slots a host runs; a typo such as -j 2000 is refused. */
#define GB_TEST_MAX_JOBS 1024
#define GB_TEST_BAR_WIDTH 30

static const char usage[] =
	"usage: gradebox test COURSE_DIR [TASK...] [-j N] [--json FILE] [--update] [-v]\n"
	"  replays every TASK/test/*.test recording of the course (or of the named\n"
	"  tasks) and compares the new results with the recorded ones\n"
	"  -j, --jobs N    grade N submissions at once (default: one per CPU)\n"
	"  --json FILE     write the whole comparison as JSON\n"
	"  --update        write the new results into the recordings that differ\n"
	"  -v, --verbose   show personal data (usernames, e-mail and IP addresses)\n";

enum { OPT_JSON = 256, OPT_UPDATE };

static const struct option options[] = {
	{ "jobs", required_argument, NULL, 'j' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "update", no_argument, NULL, OPT_UPDATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The bar goes to the terminal fd taken before the run sends stderr
 * elsewhere (replay_run.c). */
static void progress(void *arg, size_t done, size_t total)
{
	FILE *bar = arg;
	size_t fill = total ? done * GB_TEST_BAR_WIDTH / total : GB_TEST_BAR_WIDTH;
	char cells[GB_TEST_BAR_WIDTH + 1];
	memset(cells, '#', fill);
	memset(cells + fill, '.', GB_TEST_BAR_WIDTH - fill);
	cells[GB_TEST_BAR_WIDTH] = '\0';
	fprintf(bar, "\r[%s] %zu/%zu", cells, done, total);
	fflush(bar);
}

static int write_json(const struct gb_replay *r, const char *path, bool verbose,
		      uid_t uid_base, gb_error *err)
{
	struct gb_outfile f = { .replace = true };
	json_t *j = gb_replay_json(r, verbose);
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (!text)
		return gb_fail(err, 0, "--json %s: out of memory", path);
	size_t len = strlen(text);
	int rc = gb_outfile_prepare(&f, path, uid_base, err);
	if (rc == 0)
		rc = gb_outfile_replace(&f, text, len, err);
	gb_outfile_close(&f);
	return rc < 0 ? gb_context(err, "--json") : 0;
}

int gb_cmd_test_main(int argc, char **argv, struct gb_config *cfg)
{
	const char *json_path = NULL;
	bool update = false, verbose = false, capped;
	unsigned jobs = 0;
	uint64_t n;
	gb_error err = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "j:vh", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (gb_parse_u64(optarg, &n) < 0 || n < 1 || n > GB_TEST_MAX_JOBS)
				return gb_cli_usage("-j %s: give a number of submissions to "
						    "grade at once, 1 to %d", optarg,
						    GB_TEST_MAX_JOBS);
			jobs = (unsigned)n;
			break;
		case OPT_JSON:
			json_path = optarg;
			break;
		case OPT_UPDATE:
			update = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return gb_cli_usage("test: unknown option");
		}
	}
	if (optind >= argc)
		return gb_cli_usage("test: missing COURSE_DIR");

	struct gb_replay r;
	int rc = gb_replay_collect(&r, argv[optind], argv + optind + 1,
				   (size_t)(argc - optind - 1), &err);
	if (rc < 0) {
		gb_replay_free(&r);
		return gb_cli_error(&err);
	}
	unsigned wanted = jobs;
	jobs = gb_replay_jobs(jobs, &capped);
	if (capped && wanted)
		fprintf(stderr, "gradebox: -j %u lowered to %u: the host's available memory "
			"holds %u grading sandboxes\n", wanted, jobs, jobs);

	_cleanup_fclose_ FILE *bar = NULL;
	if (isatty(STDERR_FILENO)) {
		int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		bar = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!bar && fd >= 0)
			close(fd);
	}
	rc = gb_replay_run(&r, cfg, jobs, bar ? progress : NULL, bar, &err);
	if (bar)
		fprintf(bar, "\r%*s\r", GB_TEST_BAR_WIDTH + 24, ""), fflush(bar);
	if (rc == 0 && update) {
		size_t written;
		rc = gb_replay_update(&r, cfg->uid_base, &written, &err);
	}
	if (rc < 0) {
		gb_replay_free(&r);
		return gb_cli_error(&err);
	}
	gb_replay_print_lines(&r, stdout, verbose);
	fputc('\n', stdout);
	gb_replay_print_table(&r, stdout);
	fflush(stdout);
	if (json_path && write_json(&r, json_path, verbose, cfg->uid_base, &err) < 0) {
		gb_replay_free(&r);
		return gb_cli_error(&err);
	}

	struct gb_replay_counts total;
	gb_replay_count(&r, NULL, &total);
	gb_replay_free(&r);
	if (total.graded == 0) {
		fprintf(stderr, "gradebox: no recorded submission could be graded\n");
		return GB_EXIT_FAILURE;
	}
	return total.different || total.errors ? 1 : 0;
}
