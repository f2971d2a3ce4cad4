/* config: the admin's settings. Read from /etc/gradebox/gradebox.conf
 * ("key = value" lines, '#' comments), then overridden by GRADEBOX_*
 * environment variables, then by command-line flags (the CLI's job). */
#ifndef GB_CONFIG_H
#define GB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Fixed by the contract, whatever the install prefix. */
#define GB_DEFAULT_CONFIG "/etc/gradebox/gradebox.conf"
#define GB_DEFAULT_STATE_DIR "/var/lib/gradebox"
#define GB_DEFAULT_RUN_DIR "/run/gradebox"
/* Host uid/gid that uid 0 inside a sandbox maps to; GB_ID_RANGE ids follow.
 * Far above any host account and any usual /etc/subuid range. */
#define GB_DEFAULT_UID_BASE 2000000000u
#define GB_ID_RANGE 65536u
#define GB_DEFAULT_MAX_UNPACKED_MB 8192u
#define GB_CONFIG_NESTED_IMAGES_MAX 1024

struct gb_config {
	char config_file[PATH_MAX];
	char state_dir[PATH_MAX];   /* image store: layers/, images/ */
	char run_dir[PATH_MAX];     /* one directory per running job */
	char cgroup_root[PATH_MAX]; /* "" = auto-detect the delegated subtree */
	char seccomp_profile[PATH_MAX];
	char default_image[256];
	/* Images whose sandboxes may nest containers (make namespaces, mount),
	 * space-separated: the per-environment form of `run --nested`. */
	char nested_images[GB_CONFIG_NESTED_IMAGES_MAX];
	uid_t uid_base;
	uint64_t max_unpacked_mb;
};

/* Fill cfg with defaults, then the config file, then the environment. */
int gb_config_load(struct gb_config *cfg, gb_error *err);
/* Is image (a name as given to --image) listed in nested_images? */
bool gb_config_nested_image(const struct gb_config *cfg, const char *image);
/* Apply one "key = value" setting (also used for tests). */
int gb_config_set(struct gb_config *cfg, const char *key, const char *value, gb_error *err);

#endif
