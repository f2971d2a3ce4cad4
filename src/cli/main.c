/* gradebox: grading sandboxes on Linux kernel primitives. Command dispatch;
 * the process tree is described at the top of sandbox.c. */
#include "gb-build.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static const char usage[] =
	"usage: gradebox COMMAND [ARGS]\n"
	"  run [--rootfs DIR | --image NAME] [options] -- CMD ARG...\n"
	"                      run CMD in a fresh sandbox (see gradebox(1))\n"
	"  image import FILE|DIR [--name NAME] | list | inspect NAME | rm NAME\n"
	"  grade --task DIR --input FILE|- [--course DIR] [--result FILE] [--json]\n"
	"                      grade an INGInious submission (see gradebox(1))\n"
	"  check               what this host supports, and what to change\n"
	"  gc                  remove what a killed supervisor left behind\n";

static const struct gb_command commands[] = {
	{ "run", gb_cmd_run },
	{ "image", gb_cmd_image },
	{ "grade", gb_cmd_grade },
	{ "check", gb_cmd_check },
	{ "gc", gb_cmd_gc },
};

int main(int argc, char **argv)
{
	const struct gb_command *cmd;
	struct gb_config cfg;
	gb_error err = { 0 };

	gb_proc_title_init(argc, argv);
	if (argc < 2)
		return gb_cli_usage("missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		puts(PACKAGE_STRING);
		return 0;
	}
	cmd = gb_cli_find(commands, GB_ARRAY_SIZE(commands), argv[1]);
	if (!cmd)
		return gb_cli_usage("unknown command '%s'", argv[1]);
	if (gb_config_load(&cfg, &err) < 0)
		return gb_cli_error(&err);
	return cmd->fn(argc - 1, argv + 1, &cfg);
}
