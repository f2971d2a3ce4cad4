/* gradebox-grade: `gradebox grade`, run by the gradebox binary
 * (cmd_image_exec.c). A program of its own so that only it links libyaml
 * and libarchive. */
#include "cli.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct gb_config cfg;
	gb_error err = { 0 };

	gb_proc_title_init(argc, argv);
	if (gb_config_load(&cfg, &err) < 0)
		return gb_cli_error(&err);
	return gb_cmd_grade_main(argc, argv, &cfg);
}
