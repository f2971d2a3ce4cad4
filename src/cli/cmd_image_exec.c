/* cmd_image_exec: `gradebox image ...` runs the gradebox-image program.
 * Import is the only user of libarchive; keeping it out of this binary
 * saves every sandbox start the loading of libarchive and the dozen
 * libraries it pulls in. */
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

#define GB_IMAGE_PROGRAM "gradebox-image"

int gb_cmd_image(int argc, char **argv, struct gb_config *cfg)
{
	char self[PATH_MAX], path[PATH_MAX + sizeof(GB_IMAGE_PROGRAM) + 1];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* Beside this binary (the build tree), else where `make install` put it. */
	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dirname(self), GB_IMAGE_PROGRAM);
		if (access(path, X_OK) == 0)
			execv(path, argv);
	}
	snprintf(path, sizeof(path), "%s/%s", GB_PKGLIBEXECDIR, GB_IMAGE_PROGRAM);
	execv(path, argv);
	return gb_cli_usage("cannot run %s: %s (is gradebox installed completely?)", path,
			    strerror(errno));
}
