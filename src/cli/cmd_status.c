/* cmd_status: `gradebox status` — a job's state, the queue's, or the
 * daemon's metrics (Prometheus text). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "jobspec.h"
#include "serve.h"
#include "util.h"

enum { OPT_METRICS = 256, OPT_LIST, OPT_SOCKET, OPT_HELP };

static const struct option options[] = {
	{ "metrics", no_argument, NULL, OPT_METRICS },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
	"usage: gradebox status [ID] [--metrics | --list] [--socket PATH]\n"
	"  ID: that job's state (queued, grading, done); none: the queue's;\n"
	"  --list: the jobs not done yet; --metrics: Prometheus text\n";

int gb_cmd_status(int argc, char **argv, struct gb_config *cfg)
{
	char sock[PATH_MAX];
	bool metrics = false, list = false;
	const char *id = NULL;
	struct gb_client cl = { .fd = -1 };
	json_t *req, *rep = NULL;
	gb_error err = { 0 };
	int c, rc;

	gb_serve_socket_path(cfg, sock, sizeof(sock));
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case OPT_METRICS: metrics = true; break;
		case OPT_LIST: list = true; break;
		case OPT_SOCKET:
			if (strlen(optarg) >= sizeof(sock))
				return gb_cli_usage("status: --socket is too long");
			strcpy(sock, optarg);
			break;
		case OPT_HELP:
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return gb_cli_usage("status: bad option");
		}
	}
	if (optind < argc)
		id = argv[optind++];
	if (optind < argc)
		return gb_cli_usage("status: unexpected argument '%s'", argv[optind]);
	if (id && !gb_job_id_valid(id))
		return gb_cli_usage("status: '%s' is not a job id", id);
	if (metrics + list + (id != NULL) > 1)
		return gb_cli_usage("status: give one of ID, --list, --metrics");
	if (metrics)
		req = json_pack("{s:s}", "cmd", "metrics");
	else if (list)
		req = json_pack("{s:s}", "cmd", "list");
	else if (id)
		req = json_pack("{s:s, s:s}", "cmd", "status", "id", id);
	else
		req = json_pack("{s:s}", "cmd", "status");
	rc = gb_client_connect(&cl, sock, &err) < 0 ? -1 : gb_client_call(&cl, req, &rep, &err);
	json_decref(req);
	gb_client_close(&cl);
	if (rc < 0)
		return gb_cli_error(&err);
	if (metrics) {
		fputs(json_string_value(json_object_get(rep, "metrics")) ?: "", stdout);
	} else {
		json_t *v = json_object_get(rep, list ? "jobs" : id ? "status" : "summary");
		_cleanup_free_ char *text = json_dumps(v, JSON_INDENT(2));
		if (text)
			puts(text);
	}
	json_decref(rep);
	return 0;
}
