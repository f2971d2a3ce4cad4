/* cmd_image_exec: `gradebox image ...` runs the gradebox-image program,
 * `gradebox grade ...` the gradebox-grade program and `gradebox test ...`
 * the gradebox-test program. They are the users of
 * libarchive (and libyaml); keeping them out of this binary saves every
 * sandbox start the loading of libarchive and the dozen libraries it pulls
 * in. */
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

#define GB_IMAGE_PROGRAM "gradebox-image"

#define GB_GRADE_PROGRAM "gradebox-grade"

#define GB_TEST_PROGRAM "gradebox-test"

int gb_cli_exec_program(const char *program, char **argv)
{
	char self[PATH_MAX], path[2 * PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* Beside this binary (the build tree), else where `make install` put it. */
	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dirname(self), program);
		if (access(path, X_OK) == 0)
			execv(path, argv);
	}
	snprintf(path, sizeof(path), "%s/%s", GB_PKGLIBEXECDIR, program);
	execv(path, argv);
	return gb_cli_usage("cannot run %s: %s (is gradebox installed completely?)", path,
			    strerror(errno));
}

int gb_cmd_image(int argc, char **argv, struct gb_config *cfg)
{
	return gb_cli_exec_program(GB_IMAGE_PROGRAM, argv);
}

int gb_cmd_grade(int argc, char **argv, struct gb_config *cfg)
{
	return gb_cli_exec_program(GB_GRADE_PROGRAM, argv);
}

int gb_cmd_test(int argc, char **argv, struct gb_config *cfg)
{
	return gb_cli_exec_program(GB_TEST_PROGRAM, argv);
}
