/* gradebox-agent: `gradebox agent`, run by cmd_agent_exec.c. A program of
 * its own so that only it links libzmq and msgpack-c. */
#include "cli.h"

int main(int argc, char **argv)
{
	struct gb_config cfg;
	gb_error err = { 0 };

	if (gb_config_load(&cfg, &err) < 0)
		return gb_cli_error(&err);
	return gb_cmd_agent_main(argc, argv, &cfg);
}
