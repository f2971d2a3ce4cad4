/* cli: the subcommands. Each returns the process exit code; errors are
 * printed here, in one line, by gb_cli_error(). */
#ifndef GB_CLI_H
#define GB_CLI_H

#include <stddef.h>

#include "config.h"
#include "error.h"

#include "codes.h"

int gb_cmd_run(int argc, char **argv, struct gb_config *cfg);
/* runs gradebox-image, which calls gb_cmd_image_main */
int gb_cmd_image(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_image_main(int argc, char **argv, struct gb_config *cfg);
/* runs gradebox-grade, which calls gb_cmd_grade_main */
int gb_cmd_grade(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_grade_main(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_check(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_gc(int argc, char **argv, struct gb_config *cfg);
/* runs gradebox-test, which calls gb_cmd_test_main (and gb_cmd_grade for
 * the grade children the runner starts as /proc/self/exe) */
int gb_cmd_test(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_test_main(int argc, char **argv, struct gb_config *cfg);
/* runs gradebox-agent, which calls gb_cmd_agent_main */
int gb_cmd_agent(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_agent_main(int argc, char **argv, struct gb_config *cfg);
/* the queue daemon and its clients (src/daemon) */
int gb_cmd_serve(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_submit(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_status(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_kill(int argc, char **argv, struct gb_config *cfg);

/* A (sub)command table entry, and the lookup both tables use. */
struct gb_command {
	const char *name;
	int (*fn)(int argc, char **argv, struct gb_config *cfg);
};
const struct gb_command *gb_cli_find(const struct gb_command *cmds, size_t n,
				     const char *name);

/* Run one of gradebox's other programs (gradebox-image, -grade, -test,
 * -agent): beside this binary (the build tree), else where `make install`
 * put it. Returns only on failure, with the usage error printed. */
int gb_cli_exec_program(const char *program, char **argv);

/* Print "gradebox: MSG" on stderr and return GB_EXIT_FAILURE. */
int gb_cli_error(const gb_error *err);
int gb_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
