/* cmd_serve: `gradebox serve` — the queue daemon (src/daemon/serve.h).
 * Flags override the config file's keys of the same meaning. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runner.h"
#include "serve.h"
#include "util.h"

enum { OPT_SLOTS = 256, OPT_SPOOL, OPT_SOCKET, OPT_QUEUE_MAX, OPT_METRICS, OPT_GRACE, OPT_HELP };

static const struct option options[] = {
	{ "slots", required_argument, NULL, OPT_SLOTS },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "queue-max", required_argument, NULL, OPT_QUEUE_MAX },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
	"usage: gradebox serve [--slots N] [--spool DIR] [--socket PATH] [--queue-max N]\n"
	"                      [--metrics-listen HOST:PORT] [--grace S]\n"
	"  the queue daemon: grades jobs from the socket and SPOOL/incoming/ in N slots\n";

static int set_path(char *dst, size_t size, const char *flag, const char *v)
{
	if (v[0] != '/' || strlen(v) >= size)
		return gb_cli_usage("serve: %s must be an absolute path, not '%s'", flag, v);
	strcpy(dst, v);
	return 0;
}

int gb_cmd_serve(int argc, char **argv, struct gb_config *cfg)
{
	struct gb_serve_opts o;
	gb_error err = { 0 };
	uint64_t n;
	double d;
	int c;

	if (gb_serve_defaults(cfg, &o, &err) < 0)
		return gb_cli_error(&err);
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SLOTS:
			if (gb_parse_u64(optarg, &n) < 0 || n == 0 || n > GB_RUNNER_SLOTS_MAX)
				return gb_cli_usage("serve: --slots must be a number from 1 to %u, not "
						    "'%s'", GB_RUNNER_SLOTS_MAX, optarg);
			o.slots = (unsigned)n;
			break;
		case OPT_QUEUE_MAX:
			if (gb_parse_u64(optarg, &n) < 0)
				return gb_cli_usage("serve: --queue-max must be a whole number, not '%s'",
						    optarg);
			o.queue_max = n;
			break;
		case OPT_SPOOL:
			if (set_path(o.spool, sizeof(o.spool), "--spool", optarg))
				return GB_EXIT_FAILURE;
			break;
		case OPT_SOCKET:
			if (set_path(o.socket, sizeof(o.socket), "--socket", optarg))
				return GB_EXIT_FAILURE;
			break;
		case OPT_METRICS:
			if (strlen(optarg) >= sizeof(o.metrics_listen))
				return gb_cli_usage("serve: --metrics-listen is too long");
			strcpy(o.metrics_listen, optarg);
			break;
		case OPT_GRACE:
			if (gb_parse_double(optarg, &d) < 0 || d > GB_SERVE_GRACE_MAX)
				return gb_cli_usage("serve: --grace must be a number of seconds up to "
						    "%d, not '%s'", GB_SERVE_GRACE_MAX, optarg);
			o.grace = d;
			break;
		case OPT_HELP:
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return gb_cli_usage("serve: bad option");
		}
	}
	if (optind < argc)
		return gb_cli_usage("serve: unexpected argument '%s'", argv[optind]);
	if (gb_serve_run(cfg, &o, &err) < 0)
		return gb_cli_error(&err);
	return 0;
}
