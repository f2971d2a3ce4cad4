/* fuzz_config: gradebox.conf, through gb_config_load (the file named by
 * GRADEBOX_CONFIG, as the CLI reads it). The environment overrides are
 * cleared so only the file is read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"

static struct gb_fuzz_scratch scratch;
static char conf[PATH_MAX];

extern char **environ;

/* Every GRADEBOX_* override, whatever keys the config has by now. */
static void clear_overrides(void)
{
	for (size_t i = 0; environ[i];) {
		char name[256];
		size_t len = strcspn(environ[i], "=");

		if (strncmp(environ[i], "GRADEBOX_", strlen("GRADEBOX_")) || len >= sizeof(name)) {
			i++;
			continue;
		}
		memcpy(name, environ[i], len);
		name[len] = '\0';
		unsetenv(name); /* environ shrinks: look at index i again */
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	gb_fuzz_scratch_init(&scratch, "config");
	snprintf(conf, sizeof(conf), "%s/gradebox.conf", scratch.work);
	clear_overrides();
	setenv("GRADEBOX_CONFIG", conf, 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_config cfg;
	gb_error err;

	gb_fuzz_write_file(conf, data, size);
	if (gb_config_load(&cfg, &err) < 0)
		return 0;
	/* What a loaded config promises its users. */
	if (cfg.state_dir[0] != '/' || cfg.run_dir[0] != '/' || cfg.seccomp_profile[0] != '/' ||
	    (cfg.cgroup_root[0] && cfg.cgroup_root[0] != '/') || cfg.uid_base == 0 ||
	    cfg.max_unpacked_mb == 0 || !memchr(cfg.default_image, '\0', sizeof(cfg.default_image)))
		abort();
	/* The import counts bytes: max_unpacked_mb << 20 must not wrap. */
	if (cfg.max_unpacked_mb > UINT64_MAX >> 20)
		abort();
	return 0;
}
