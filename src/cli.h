/* cli: the subcommands. Each returns the process exit code; errors are
 * printed here, in one line, by gb_cli_error(). */
#ifndef GB_CLI_H
#define GB_CLI_H

#include "config.h"
#include "error.h"

#include "codes.h"

int gb_cmd_run(int argc, char **argv, struct gb_config *cfg);
/* runs gradebox-image, which calls gb_cmd_image_main */
int gb_cmd_image(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_image_main(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_check(int argc, char **argv, struct gb_config *cfg);
int gb_cmd_gc(int argc, char **argv, struct gb_config *cfg);

/* Print "gradebox: MSG" on stderr and return GB_EXIT_FAILURE. */
int gb_cli_error(const gb_error *err);
int gb_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
