/* cli: how every command reports an error: one line on stderr. */
#include <stdarg.h>
#include <stdio.h>

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

