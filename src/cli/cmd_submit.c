/* cmd_submit: `gradebox submit` — send a job to the queue daemon; with
 * --wait, print its result (and, on a terminal, its progress). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "serve.h"
#include "spool.h"
#include "util.h"

enum {
	OPT_TASK = 256, OPT_COURSE, OPT_INPUT, OPT_PARAMS, OPT_IMAGE, OPT_TIME, OPT_HARD_TIME,
	OPT_MEMORY, OPT_DISK, OPT_OUTPUT, OPT_WAIT, OPT_SOCKET, OPT_HELP,
};

static const struct option options[] = {
	{ "task", required_argument, NULL, OPT_TASK },
	{ "course", required_argument, NULL, OPT_COURSE },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "params", required_argument, NULL, OPT_PARAMS },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "hard-time", required_argument, NULL, OPT_HARD_TIME },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
	"usage: gradebox submit --task DIR [--course DIR] --input FILE|- [--params FILE]\n"
	"                       [--image NAME] [--time S --hard-time S --memory MB --disk MB\n"
	"                       --output BYTES] [--wait] [--socket PATH]\n"
	"  queue a job; prints its id, or with --wait its result JSON\n";

/* A JSON file (or stdin for "-"), named in the error. */
static json_t *load_json(const char *flag, const char *path, gb_error *err)
{
	_cleanup_free_ char *text = NULL;
	json_error_t je;
	json_t *o;

	if (!strcmp(path, "-")) {
		if (gb_read_file("/dev/stdin", GB_SPOOL_JOB_MAX, &text, NULL, err) < 0)
			return gb_context(err, "%s", flag), NULL;
	} else if (gb_read_file(path, GB_SPOOL_JOB_MAX, &text, NULL, err) < 0) {
		return gb_context(err, "%s", flag), NULL;
	}
	o = json_loads(text, 0, &je);
	if (!o || !json_is_object(o)) {
		gb_fail(err, 0, "%s %s: line %d: %s", flag, path, je.line,
			o ? "not a JSON object" : je.text);
		json_decref(o);
		return NULL;
	}
	return o;
}

static int set_dir(json_t *job, const char *key, const char *flag, const char *path,
		   gb_error *err)
{
	char abs[PATH_MAX];

	/* the daemon runs elsewhere: it needs the absolute path */
	if (!realpath(path, abs))
		return gb_fail_errno(err, "%s %s", flag, path);
	json_object_set_new(job, key, json_string(abs));
	return 0;
}

static int set_limit(json_t *lim, const char *key, const char *flag, const char *v)
{
	double d;

	if (gb_parse_double(v, &d) < 0)
		return gb_cli_usage("submit: %s must be a number, not '%s'", flag, v);
	json_object_set_new(lim, key, json_real(d));
	return 0;
}

/* Progress on a terminal; the result JSON on stdout. */
static int wait_result(struct gb_client *cl, const char *id, gb_error *err)
{
	bool tty = isatty(STDERR_FILENO);
	json_t *rep;
	const char *name;
	_cleanup_free_ char *text = NULL;

	for (;;) {
		const char *ev;
		if (gb_client_recv(cl, &rep, err) < 0)
			return -1;
		ev = json_string_value(json_object_get(rep, "event"));
		if (!ev)
			break;
		if (tty && !strcmp(ev, "queued"))
			fprintf(stderr, "%s: queued (position %lld)\n", id,
				(long long)json_integer_value(json_object_get(rep, "position")));
		else if (tty)
			fprintf(stderr, "%s: %s\n", id, ev);
		json_decref(rep);
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		gb_fail(err, 0, "%s", json_string_value(json_object_get(rep, "error")) ?: "wait failed");
		json_decref(rep);
		return -1;
	}
	name = json_string_value(json_object_get(json_object_get(rep, "result"), "result"));
	text = json_dumps(json_object_get(rep, "result"), JSON_INDENT(2));
	if (tty)
		fprintf(stderr, "%s: %s (grade %g)\n", id, name ? name : "?",
			json_number_value(json_object_get(json_object_get(rep, "result"), "grade")));
	if (text)
		puts(text);
	fflush(stdout);
	/* grade's codes: 0 success, 1 another result, 254 could not grade */
	{
		int code = !name ? GB_EXIT_FAILURE : !strcmp(name, "success") ? 0
			 : !strcmp(name, "error") ? GB_EXIT_FAILURE : 1;
		json_decref(rep);
		return code;
	}
}

int gb_cmd_submit(int argc, char **argv, struct gb_config *cfg)
{
	const char *task = NULL, *course = NULL, *input = NULL, *params = NULL;
	char sock[PATH_MAX];
	json_t *job = json_object(), *lim = json_object(), *req, *rep = NULL;
	struct gb_client cl = { .fd = -1 };
	gb_error err = { 0 };
	bool wait = false;
	int c, rc = GB_EXIT_FAILURE;

	gb_serve_socket_path(cfg, sock, sizeof(sock));
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case OPT_TASK: task = optarg; break;
		case OPT_COURSE: course = optarg; break;
		case OPT_INPUT: input = optarg; break;
		case OPT_PARAMS: params = optarg; break;
		case OPT_IMAGE: json_object_set_new(job, "image", json_string(optarg)); break;
		case OPT_TIME: if (set_limit(lim, "time", "--time", optarg)) goto out; break;
		case OPT_HARD_TIME: if (set_limit(lim, "hard_time", "--hard-time", optarg)) goto out; break;
		case OPT_MEMORY: if (set_limit(lim, "memory", "--memory", optarg)) goto out; break;
		case OPT_DISK: if (set_limit(lim, "disk", "--disk", optarg)) goto out; break;
		case OPT_OUTPUT: if (set_limit(lim, "output", "--output", optarg)) goto out; break;
		case OPT_WAIT: wait = true; break;
		case OPT_SOCKET:
			if (strlen(optarg) >= sizeof(sock)) {
				gb_cli_usage("submit: --socket is too long");
				goto out;
			}
			strcpy(sock, optarg);
			break;
		case OPT_HELP:
		case 'h':
			fputs(usage, stdout);
			rc = 0;
			goto out;
		default:
			gb_cli_usage("submit: bad option");
			goto out;
		}
	}
	if (optind < argc) {
		gb_cli_usage("submit: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!task || !input) {
		gb_cli_usage("submit: --task and --input are required");
		goto out;
	}
	if (set_dir(job, "task", "--task", task, &err) < 0 ||
	    (course && set_dir(job, "course", "--course", course, &err) < 0))
		goto fail;
	{
		json_t *in = load_json("--input", input, &err), *p;
		if (!in)
			goto fail;
		json_object_set_new(job, "input", in);
		if (params) {
			p = load_json("--params", params, &err);
			if (!p)
				goto fail;
			json_object_set_new(job, "params", p);
		}
	}
	if (json_object_size(lim))
		json_object_set(job, "limits", lim);
	req = json_pack("{s:s, s:O, s:b, s:b}", "cmd", "submit", "job", job, "wait", wait,
			"progress", wait);
	if (gb_client_connect(&cl, sock, &err) < 0 || gb_client_call(&cl, req, &rep, &err) < 0) {
		json_decref(req);
		goto fail;
	}
	json_decref(req);
	if (!wait) {
		puts(json_string_value(json_object_get(rep, "id")));
		rc = 0;
		goto out;
	}
	rc = wait_result(&cl, json_string_value(json_object_get(rep, "id")), &err);
	if (rc >= 0)
		goto out;
fail:
	rc = gb_cli_error(&err);
out:
	json_decref(rep);
	json_decref(job);
	json_decref(lim);
	gb_client_close(&cl);
	return rc;
}
