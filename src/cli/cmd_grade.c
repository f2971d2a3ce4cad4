/* cmd_grade: `gradebox grade` — read the command line, the input and the
 * parameters, grade (grade.c), print or write the result. Whatever
 * happens, a result is produced: `error` with a one-line message when
 * gradebox could not grade (exit 254). */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "grade.h"
#include "outfile.h"
#include "util.h"

/* An input or parameters file larger than this is refused: INGInious's
 * own submissions are bounded far below (its upload limit is a few MB,
 * base64 adds a third). */
#define GB_GRADE_INPUT_MAX (64u << 20)
#define GB_MB_BYTES (1024ull * 1024ull)

enum {
	OPT_TASK = 256, OPT_COURSE, OPT_INPUT, OPT_RESULT, OPT_JSON, OPT_IMAGE, OPT_PARAMS,
	OPT_TIME, OPT_HARD_TIME, OPT_MEMORY, OPT_DISK, OPT_OUTPUT, OPT_DEBUG, OPT_HELP,
};

static const struct option options[] = {
	{ "task", required_argument, NULL, OPT_TASK },
	{ "course", required_argument, NULL, OPT_COURSE },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "result", required_argument, NULL, OPT_RESULT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "params", required_argument, NULL, OPT_PARAMS },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "hard-time", required_argument, NULL, OPT_HARD_TIME },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char grade_usage[] =
	"usage: gradebox grade --task DIR --input FILE|- [options]\n"
	"  --course DIR        the course (default: the task dir's parent); its $common\n"
	"                      folder is /course/common\n"
	"  --input FILE|-      INGInious input data: {\"input\": {...}} or the bare map\n"
	"  --result FILE       write the result JSON there (else stdout)\n"
	"  --json              JSON on stdout even on a terminal\n"
	"  --image NAME        the environment, instead of task.yaml's\n"
	"  --params FILE       environment_parameters JSON, instead of task.yaml's\n"
	"  --time S --hard-time S --memory MB --disk MB --output BYTES\n"
	"                      limits, instead of task.yaml's\n"
	"  --debug             keep the run file's stdout and stderr in the summary\n"
	"exit: 0 success, 1 any other result, 254 could not grade\n";

struct grade_args {
	struct gb_grade_request req;
	const char *input_path, *params_path, *result_path;
	bool json;
};

/* Read a whole file ("-": stdin) of at most GB_GRADE_INPUT_MAX bytes. */
static int slurp(const char *flag, const char *path, char **out, size_t *len, gb_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = malloc(GB_GRADE_INPUT_MAX + 1);
	ssize_t n;

	if (!buf)
		return gb_fail(err, ENOMEM, "%s %s", flag, path);
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : dup(0);
	if (fd < 0)
		return gb_fail_errno(err, "%s %s", flag, path);
	if (strcmp(path, "-"))
		fcntl(fd, F_SETFL, 0);
	n = gb_read_all(fd, buf, GB_GRADE_INPUT_MAX + 1);
	if (n < 0)
		return gb_fail_errno(err, "%s %s", flag, path);
	if ((size_t)n > GB_GRADE_INPUT_MAX)
		return gb_fail(err, EFBIG, "%s %s: larger than %u MB", flag, path,
			       GB_GRADE_INPUT_MAX >> 20);
	buf[n] = '\0';
	*len = (size_t)n;
	*out = gb_steal_ptr(&buf);
	return 0;
}

static int seconds(const char *opt, const char *v, double *out, gb_error *err)
{
	if (gb_parse_double(v, out) < 0 || !(*out > 0))
		return gb_fail(err, EINVAL, "%s: '%s' is not a positive number of seconds", opt, v);
	return 0;
}

static int count(const char *opt, const char *v, uint64_t *out, gb_error *err)
{
	if (gb_parse_u64(v, out) < 0 || *out == 0)
		return gb_fail(err, EINVAL, "%s: '%s' is not a positive whole number", opt, v);
	return 0;
}

static int parse(int argc, char **argv, struct grade_args *a, gb_error *err)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case OPT_TASK: a->req.task_dir = optarg; break;
		case OPT_COURSE: a->req.course_dir = optarg; break;
		case OPT_INPUT: a->input_path = optarg; break;
		case OPT_RESULT: a->result_path = optarg; break;
		case OPT_JSON: a->json = true; break;
		case OPT_IMAGE: a->req.image = optarg; break;
		case OPT_PARAMS: a->params_path = optarg; break;
		case OPT_DEBUG: a->req.debug = true; break;
		case OPT_TIME: if (seconds("--time", optarg, &a->req.time, err)) return -1; break;
		case OPT_HARD_TIME:
			if (seconds("--hard-time", optarg, &a->req.hard_time, err))
				return -1;
			break;
		case OPT_MEMORY: if (count("--memory", optarg, &a->req.memory_mb, err)) return -1; break;
		case OPT_DISK: if (count("--disk", optarg, &a->req.disk_mb, err)) return -1; break;
		case OPT_OUTPUT: if (count("--output", optarg, &a->req.output_bytes, err)) return -1; break;
		case OPT_HELP: case 'h': fputs(grade_usage, stdout); exit(0);
		case ':': return gb_fail(err, EINVAL, "grade: %s needs a value", argv[optind - 1]);
		default: return gb_fail(err, EINVAL, "grade: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return gb_fail(err, EINVAL, "grade: unexpected argument '%s'", argv[optind]);
	if (!a->req.task_dir)
		return gb_fail(err, EINVAL, "grade: --task DIR is required");
	if (!a->input_path)
		return gb_fail(err, EINVAL, "grade: --input FILE|- is required");
	return 0;
}

static int emit(const struct grade_args *a, const struct gb_config *cfg,
		const struct gb_grade_result *res, gb_error *err)
{
	json_t *j = gb_result_json(res);
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15))
				      : NULL;
	struct gb_outfile f = { .dirfd = -1, .replace = true };
	int r = 0;

	json_decref(j);
	if (!text)
		return gb_fail(err, ENOMEM, "result JSON");
	if (a->result_path) {
		if (gb_outfile_prepare(&f, a->result_path, cfg->uid_base, err) < 0 ||
		    gb_outfile_replace(&f, text, strlen(text), err) < 0)
			r = gb_context(err, "--result");
		gb_outfile_close(&f);
		return r;
	}
	if (!a->json && isatty(STDOUT_FILENO))
		return gb_result_write_human(stdout, res) < 0 ? gb_fail_errno(err, "stdout") : 0;
	if (printf("%s\n", text) < 0 || fflush(stdout) == EOF)
		return gb_fail_errno(err, "stdout");
	return 0;
}

int gb_cmd_grade_main(int argc, char **argv, struct gb_config *cfg)
{
	struct grade_args a = { 0 };
	struct gb_grade_result res;
	_cleanup_free_ char *input = NULL, *params = NULL;
	gb_error err = { 0 }, out_err = { 0 };
	sigset_t set;
	int r;

	/* A stop asked for before the job watches for it still ends as
	 * `killed`: held pending until the job's signalfd reads it. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);

	gb_result_init(&res);
	r = parse(argc, argv, &a, &err);
	if (r == 0)
		r = slurp("--input", a.input_path, &input, &a.req.input_len, &err);
	if (r == 0 && a.params_path)
		r = slurp("--params", a.params_path, &params, &a.req.params_len, &err);
	if (r == 0) {
		a.req.input = input;
		a.req.input_name = strcmp(a.input_path, "-") ? a.input_path : "stdin";
		a.req.params = params;
		a.req.params_name = a.params_path;
		r = gb_grade(cfg, &a.req, &res, &err);
	} else {
		gb_result_set(&res, "error", "%s", err.msg);
	}
	if (r < 0)
		fprintf(stderr, "gradebox: %s\n", err.msg);
	if (emit(&a, cfg, &res, &out_err) < 0) {
		gb_result_free(&res);
		return gb_cli_error(&out_err);
	}
	r = r < 0 ? GB_EXIT_FAILURE : !strcmp(res.result, "success") ? 0 : 1;
	gb_result_free(&res);
	return r;
}
