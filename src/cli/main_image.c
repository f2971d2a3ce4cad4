/* gradebox-image: the `gradebox image` commands (import, list, inspect,
 * rm), run by `gradebox image` (cmd_image_exec.c). A program of its own so
 * that only it links libarchive. */
#include <stdio.h>
#include <string.h>

#include "cli.h"


int main(int argc, char **argv)
{
	struct gb_config cfg;
	gb_error err = { 0 };

	if (gb_config_load(&cfg, &err) < 0)
		return gb_cli_error(&err);
	return gb_cmd_image_main(argc, argv, &cfg);
}
