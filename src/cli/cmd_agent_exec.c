/* cmd_agent_exec: `gradebox agent ...` runs the gradebox-agent program,
 * the only user of libzmq and msgpack-c: this binary stays a static PIE
 * that starts sandboxes fast. It tells the agent where gradebox is (the
 * agent runs `gradebox grade` once per job). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

#define GB_AGENT_PROGRAM "gradebox-agent"
#define GB_AGENT_ARGS_MAX 64

int gb_cmd_agent(int argc, char **argv, struct gb_config *cfg)
{
	char self[PATH_MAX];
	char *args[GB_AGENT_ARGS_MAX + 3];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int k = 0;

	if (n <= 0)
		return gb_cli_usage("agent: cannot find this program: %s", strerror(errno));
	self[n] = '\0';
	if (argc > GB_AGENT_ARGS_MAX)
		return gb_cli_usage("agent: too many arguments");
	args[k++] = argv[0];
	args[k++] = "--gradebox";
	args[k++] = self;
	for (int i = 1; i < argc; i++)
		args[k++] = argv[i];
	args[k] = NULL;
	return gb_cli_exec_program(GB_AGENT_PROGRAM, args);
}
