/* cmd_gc: `gradebox gc` — remove what a killed supervisor left behind.
 * Mounts never outlive a sandbox (they live in its mount namespace), so
 * what can remain is a job's run directory and its cgroups, and half
 * imported layers in the image store. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image.h"
#include "supervisor.h"

int gb_cmd_gc(int argc, char **argv, struct gb_config *cfg)
{
	gb_error err = { 0 };
	unsigned jobs = 0;
	int images;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("usage: gradebox gc\n"
		     "  remove run directories and cgroups of dead supervisors, and\n"
		     "  half-imported image layers");
		return 0;
	}
	if (argc > 1)
		return gb_cli_usage("gc: unexpected argument '%s'", argv[1]);
	if (gb_job_gc(cfg, &jobs, &err) < 0)
		return gb_cli_error(&err);
	images = gb_image_gc(cfg, &err);
	if (images < 0)
		return gb_cli_error(&err);
	printf("removed %u leftover job item(s), %d leftover image item(s)\n", jobs, images);
	return 0;
}
