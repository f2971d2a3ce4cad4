/* cmd_kill: `gradebox kill ID` — kill a queued or grading job and wait
 * for its end (a `killed` result, within a second). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "jobspec.h"
#include "serve.h"
#include "util.h"

enum { OPT_SOCKET = 256, OPT_HELP };

static const struct option options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

int gb_cmd_kill(int argc, char **argv, struct gb_config *cfg)
{
	char sock[PATH_MAX];
	struct gb_client cl = { .fd = -1 };
	json_t *req = NULL, *rep = NULL;
	gb_error err = { 0 };
	const char *id;
	int c, rc = -1;

	gb_serve_socket_path(cfg, sock, sizeof(sock));
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			if (strlen(optarg) >= sizeof(sock))
				return gb_cli_usage("kill: --socket is too long");
			strcpy(sock, optarg);
			break;
		case OPT_HELP:
		case 'h':
			puts("usage: gradebox kill ID [--socket PATH]\n"
			     "  kill a queued or grading job; prints its result once it ended");
			return 0;
		default:
			return gb_cli_usage("kill: bad option");
		}
	}
	if (optind + 1 != argc)
		return gb_cli_usage("kill: expected one job id");
	id = argv[optind];
	if (!gb_job_id_valid(id))
		return gb_cli_usage("kill: '%s' is not a job id", id);
	if (gb_client_connect(&cl, sock, &err) < 0)
		goto out;
	req = json_pack("{s:s, s:s}", "cmd", "kill", "id", id);
	if (gb_client_call(&cl, req, &rep, &err) < 0)
		goto out;
	json_decref(req);
	json_decref(rep);
	rep = NULL;
	req = json_pack("{s:s, s:s}", "cmd", "wait", "id", id);
	if (gb_client_call(&cl, req, &rep, &err) < 0)
		goto out;
	printf("%s: %s\n", id,
	       json_string_value(json_object_get(json_object_get(rep, "result"), "result")) ?: "?");
	rc = 0;
out:
	json_decref(req);
	json_decref(rep);
	gb_client_close(&cl);
	return rc < 0 ? gb_cli_error(&err) : 0;
}
