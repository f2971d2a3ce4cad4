/* config: see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define GB_CONFIG_LINE_MAX 4096
#define GB_CONFIG_MAX_UNPACKED_MB (UINT64_MAX >> 20)

static int set_path(char *dst, size_t size, const char *key, const char *value,
		    gb_error *err)
{
	if (value[0] != '/')
		return gb_fail(err, 0, "%s must be an absolute path, not '%s'", key, value);
	if (strlen(value) >= size)
		return gb_fail(err, 0, "%s is too long", key);
	strcpy(dst, value);
	return 0;
}

int gb_config_set(struct gb_config *cfg, const char *key, const char *value, gb_error *err)
{
	uint64_t n;

	if (!strcmp(key, "state_dir"))
		return set_path(cfg->state_dir, sizeof(cfg->state_dir), key, value, err);
	if (!strcmp(key, "run_dir"))
		return set_path(cfg->run_dir, sizeof(cfg->run_dir), key, value, err);
	if (!strcmp(key, "cgroup_root")) {
		if (!*value) {
			cfg->cgroup_root[0] = '\0';
			return 0;
		}
		return set_path(cfg->cgroup_root, sizeof(cfg->cgroup_root), key, value, err);
	}
	if (!strcmp(key, "seccomp_profile"))
		return set_path(cfg->seccomp_profile, sizeof(cfg->seccomp_profile), key, value,
				err);
	if (!strcmp(key, "default_image")) {
		if (strlen(value) >= sizeof(cfg->default_image))
			return gb_fail(err, 0, "default_image is too long");
		strcpy(cfg->default_image, value);
		return 0;
	}
	if (!strcmp(key, "uid_base")) {
		if (gb_parse_u64(value, &n) < 0 || n == 0 ||
		    n + GB_ID_RANGE > (uint64_t)UINT32_MAX)
			return gb_fail(err, 0, "uid_base must be a number between 1 and %u, not '%s'",
				       UINT32_MAX - GB_ID_RANGE, value);
		cfg->uid_base = (uid_t)n;
		return 0;
	}
	if (!strcmp(key, "max_unpacked_mb")) {
		/* The import counts bytes (max_unpacked_mb << 20): more would
		 * wrap to a small limit or none (found by tests/fuzz). */
		if (gb_parse_u64(value, &n) < 0 || n == 0 || n > GB_CONFIG_MAX_UNPACKED_MB)
			return gb_fail(err, 0, "max_unpacked_mb must be a number between 1 and "
				       "%llu, not '%s'",
				       (unsigned long long)GB_CONFIG_MAX_UNPACKED_MB, value);
		cfg->max_unpacked_mb = n;
		return 0;
	}
	return gb_fail(err, 0, "unknown setting '%s'", key);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int load_file(struct gb_config *cfg, const char *path, bool must_exist, gb_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[GB_CONFIG_LINE_MAX];
	int lineno = 0;

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return gb_fail_errno(err, "%s", path);
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq, *key, *value, *hash;

		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		key = trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq)
			return gb_fail(err, 0, "%s:%d: expected 'key = value'", path, lineno);
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
		if (gb_config_set(cfg, key, value, err) < 0)
			return gb_context(err, "%s:%d", path, lineno);
	}
	return 0;
}

static const struct {
	const char *env;
	const char *key;
} env_keys[] = {
	{ "GRADEBOX_STATE_DIR", "state_dir" },
	{ "GRADEBOX_RUN_DIR", "run_dir" },
	{ "GRADEBOX_CGROUP_ROOT", "cgroup_root" },
	{ "GRADEBOX_SECCOMP_PROFILE", "seccomp_profile" },
	{ "GRADEBOX_DEFAULT_IMAGE", "default_image" },
	{ "GRADEBOX_UID_BASE", "uid_base" },
	{ "GRADEBOX_MAX_UNPACKED_MB", "max_unpacked_mb" },
};

int gb_config_load(struct gb_config *cfg, gb_error *err)
{
	const char *file = getenv("GRADEBOX_CONFIG");

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->state_dir, GB_DEFAULT_STATE_DIR);
	strcpy(cfg->run_dir, GB_DEFAULT_RUN_DIR);
	cfg->uid_base = GB_DEFAULT_UID_BASE;
	cfg->max_unpacked_mb = GB_DEFAULT_MAX_UNPACKED_MB;
	strcpy(cfg->default_image, "default");
	/* Installed profile first; a build-tree binary falls back to the source. */
	snprintf(cfg->seccomp_profile, sizeof(cfg->seccomp_profile), "%s",
		 GB_DATADIR "/seccomp-default.txt");
	if (access(cfg->seccomp_profile, R_OK) < 0)
		snprintf(cfg->seccomp_profile, sizeof(cfg->seccomp_profile), "%s",
			 GB_SRCDIR "/runtime/seccomp-default.txt");

	snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", file ? file : GB_DEFAULT_CONFIG);
	if (load_file(cfg, cfg->config_file, file != NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < GB_ARRAY_SIZE(env_keys); i++) {
		const char *v = getenv(env_keys[i].env);
		if (v && gb_config_set(cfg, env_keys[i].key, v, err) < 0)
			return gb_context(err, "environment variable %s", env_keys[i].env);
	}
	return 0;
}
