/* gradebox-test: `gradebox test`, run by the gradebox binary
 * (cmd_image_exec.c). A program of its own so that only it links libyaml for
 * the .test files. The runner starts each grade child as /proc/self/exe
 * `grade ...`: this program is then /proc/self/exe, and passes `grade` on
 * to gradebox-grade (two execs per submission, as `gradebox grade` makes). */
#include <string.h>

#include "cli.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct gb_config cfg;
	gb_error err = { 0 };

	gb_proc_title_init(argc, argv);
	if (gb_config_load(&cfg, &err) < 0)
		return gb_cli_error(&err);
	/* `gradebox test` execs this as "test ARGS" (so a course named grade
	 * is still a course); the runner as "PATH grade ARGS" */
	if (argc > 1 && strcmp(argv[0], "test") && !strcmp(argv[1], "grade"))
		return gb_cmd_grade(argc - 1, argv + 1, &cfg);
	return gb_cmd_test_main(argc, argv, &cfg);
}
