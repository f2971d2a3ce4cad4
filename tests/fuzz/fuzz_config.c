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

static const char *const env_names[] = {
	"GRADEBOX_STATE_DIR",	    "GRADEBOX_RUN_DIR",	 "GRADEBOX_CGROUP_ROOT",
	"GRADEBOX_SECCOMP_PROFILE", "GRADEBOX_DEFAULT_IMAGE", "GRADEBOX_UID_BASE",
	"GRADEBOX_MAX_UNPACKED_MB",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	gb_fuzz_scratch_init(&scratch, "config");
	snprintf(conf, sizeof(conf), "%s/gradebox.conf", scratch.work);
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
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
