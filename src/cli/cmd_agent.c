/* cmd_agent: `gradebox agent --backend tcp://HOST:PORT --tasks DIR
 * [--slots N] [--name NAME]`, an INGInious grading agent (agent.c). Flags
 * win over the config file's agent_* keys. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "util.h"

#define GB_AGENT_MAX_SLOTS GB_DEFAULT_UID_SLOTS

static const char agent_usage[] =
	"usage: gradebox agent --backend tcp://HOST:PORT --tasks DIR [--slots N] [--name NAME]\n"
	"  an INGInious grading agent: connects to the backend's agent address,\n"
	"  offers the images of the store, grades each job with `gradebox grade`\n"
	"  --backend ADDR  the backend's agent socket (config: agent_backend)\n"
	"  --tasks DIR     the courses: DIR/COURSE/TASK/, DIR/COURSE/$common/\n"
	"                  (config: agent_tasks)\n"
	"  --slots N       jobs graded at once (config: agent_slots; default: CPUs)\n"
	"  --name NAME     the name the backend shows (config: agent_name;\n"
	"                  default: the host name)\n";

int gb_cmd_agent_main(int argc, char **argv, struct gb_config *cfg)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "tasks", required_argument, NULL, 't' },
		{ "slots", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "gradebox", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct gb_agent_opts o = { .backend = cfg->agent_backend, .tasks_dir = cfg->agent_tasks,
				   .name = cfg->agent_name, .slots = cfg->agent_slots };
	char host[HOST_NAME_MAX + 1], tasks[PATH_MAX];
	gb_error err = { 0 };
	uint64_t n;
	struct stat st;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.backend = optarg;
			break;
		case 't':
			o.tasks_dir = optarg;
			break;
		case 's':
			if (gb_parse_u64(optarg, &n) < 0 || n == 0 || n > GB_AGENT_MAX_SLOTS)
				return gb_cli_usage("agent: --slots must be a number from 1 to %u, "
						    "not '%s'", GB_AGENT_MAX_SLOTS, optarg);
			o.slots = (unsigned)n;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'g':
			o.gradebox = optarg;
			break;
		case 'h':
			fputs(agent_usage, stdout);
			return 0;
		default:
			return gb_cli_usage("agent: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return gb_cli_usage("agent: unexpected argument '%s'", argv[optind]);
	/* The runner's children run `<gradebox> grade`: this program is not
	 * gradebox, so it must be told where gradebox is. */
	if (!o.gradebox)
		return gb_cli_usage("agent: run it as `gradebox agent` (gradebox-agent needs "
				    "--gradebox PATH)");
	if (!*o.backend)
		return gb_cli_usage("agent: --backend tcp://HOST:PORT is required (or agent_backend "
				    "in %s)", cfg->config_file);
	if (strncmp(o.backend, "tcp://", strlen("tcp://")) &&
	    strncmp(o.backend, "ipc://", strlen("ipc://")))
		return gb_cli_usage("agent: --backend '%s': expected tcp://HOST:PORT", o.backend);
	if (!*o.tasks_dir)
		return gb_cli_usage("agent: --tasks DIR is required (or agent_tasks in %s)",
				    cfg->config_file);
	/* The runner's children get absolute paths whatever their cwd. */
	if (!realpath(o.tasks_dir, tasks) || stat(tasks, &st) < 0 || !S_ISDIR(st.st_mode))
		return gb_cli_usage("agent: --tasks %s: %s", o.tasks_dir,
				    errno ? strerror(errno) : "not a directory");
	o.tasks_dir = tasks;
	if (!o.slots) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		o.slots = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (!*o.name) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "gradebox");
		host[sizeof(host) - 1] = '\0';
		o.name = host;
	}
	if (gb_agent_run(cfg, &o, &err) < 0)
		return gb_cli_error(&err);
	return 0;
}
