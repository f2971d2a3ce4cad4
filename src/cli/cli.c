/* cli: how every command reports an error: one line on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int gb_cli_error(const gb_error *err)
{
	fprintf(stderr, "gradebox: %s\n", err->msg);
	return GB_EXIT_FAILURE;
}

int gb_cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("gradebox: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see gradebox --help)\n", stderr);
	return GB_EXIT_FAILURE;
}


const struct gb_command *gb_cli_find(const struct gb_command *cmds, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}
