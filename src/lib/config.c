/* config: see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define GB_CONFIG_LINE_MAX 4096
/* A year: more is a typo, and the nanosecond arithmetic stays exact. */
#define GB_CONFIG_MAX_SECONDS (365.0 * 24 * 3600)
#define GB_CONFIG_MAX_UNPACKED_MB (UINT64_MAX >> 20)
/* More grading slots than sandbox uid slots could never all run. */
#define GB_CONFIG_MAX_AGENT_SLOTS GB_DEFAULT_UID_SLOTS
/* More grading slots than this is a typo on any host. */
#define GB_CONFIG_MAX_SLOTS 4096u

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

/* Default limits: a whole number, 0 meaning none. */
static const struct {
	const char *key;
	size_t offset;
} count_keys[] = {
	{ "default_memory_mb", offsetof(struct gb_config, default_memory_mb) },
	{ "default_pids", offsetof(struct gb_config, default_pids) },
	{ "default_disk_mb", offsetof(struct gb_config, default_disk_mb) },
	{ "default_output", offsetof(struct gb_config, default_output) },
	{ "queue_max", offsetof(struct gb_config, serve_queue_max) },
};

/* Whole megabytes must still fit in a byte count. */
#define GB_CONFIG_MAX_COUNT (UINT64_MAX >> 20)

static const struct {
	const char *key;
	size_t offset;
} seconds_keys[] = {
	{ "default_time", offsetof(struct gb_config, default_time) },
	{ "default_hard_time", offsetof(struct gb_config, default_hard_time) },
	{ "done_keep", offsetof(struct gb_config, done_keep) },
	{ "shutdown_grace", offsetof(struct gb_config, shutdown_grace) },
};

static int set_limit(struct gb_config *cfg, const char *key, const char *value, gb_error *err)
{
	uint64_t n;
	double d;

	for (size_t i = 0; i < GB_ARRAY_SIZE(count_keys); i++) {
		if (strcmp(key, count_keys[i].key))
			continue;
		if (gb_parse_u64(value, &n) < 0 || n > GB_CONFIG_MAX_COUNT)
			return gb_fail(err, 0, "%s must be a whole number (0 = no limit), not '%s'",
				       key, value);
		*(uint64_t *)((char *)cfg + count_keys[i].offset) = n;
		return 0;
	}
	for (size_t i = 0; i < GB_ARRAY_SIZE(seconds_keys); i++) {
		if (strcmp(key, seconds_keys[i].key))
			continue;
		if (gb_parse_double(value, &d) < 0 || d > GB_CONFIG_MAX_SECONDS)
			return gb_fail(err, 0, "%s must be a number of seconds up to %g (0 = no "
				       "limit), not '%s'", key, GB_CONFIG_MAX_SECONDS, value);
		*(double *)((char *)cfg + seconds_keys[i].offset) = d;
		return 0;
	}
	return 1;
}

/* The agent's keys; 1 when key is not one of them. */
static int set_agent(struct gb_config *cfg, const char *key, const char *value, gb_error *err)
{
	uint64_t n;

	if (!strcmp(key, "agent_tasks"))
		return set_path(cfg->agent_tasks, sizeof(cfg->agent_tasks), key, value, err);
	if (!strcmp(key, "agent_backend")) {
		if (strlen(value) >= sizeof(cfg->agent_backend))
			return gb_fail(err, 0, "%s is too long", key);
		strcpy(cfg->agent_backend, value);
		return 0;
	}
	if (!strcmp(key, "agent_name")) {
		if (strlen(value) >= sizeof(cfg->agent_name))
			return gb_fail(err, 0, "%s is too long", key);
		strcpy(cfg->agent_name, value);
		return 0;
	}
	if (!strcmp(key, "agent_slots")) {
		if (gb_parse_u64(value, &n) < 0 || n > GB_CONFIG_MAX_AGENT_SLOTS)
			return gb_fail(err, 0, "agent_slots must be a number between 0 (one per CPU) "
				       "and %u, not '%s'", GB_CONFIG_MAX_AGENT_SLOTS, value);
		cfg->agent_slots = (unsigned)n;
		return 0;
	}
	return 1;
}

/* The queue daemon's keys (src/daemon). */
static int set_serve(struct gb_config *cfg, const char *key, const char *value, gb_error *err)
{
	uint64_t n;

	if (!strcmp(key, "slots")) {
		if (gb_parse_u64(value, &n) < 0 || n > GB_CONFIG_MAX_SLOTS)
			return gb_fail(err, 0, "slots must be a number from 0 (one per CPU) to %u, "
				       "not '%s'", GB_CONFIG_MAX_SLOTS, value);
		cfg->serve_slots = (unsigned)n;
		return 0;
	}
	/* empty: the default under state_dir / run_dir */
	if (!strcmp(key, "spool_dir"))
		return *value ? set_path(cfg->spool_dir, sizeof(cfg->spool_dir), key, value, err)
			      : (cfg->spool_dir[0] = '\0', 0);
	if (!strcmp(key, "socket"))
		return *value ? set_path(cfg->socket_path, sizeof(cfg->socket_path), key, value, err)
			      : (cfg->socket_path[0] = '\0', 0);
	if (!strcmp(key, "socket_group") || !strcmp(key, "metrics_listen")) {
		char *dst = key[0] == 's' ? cfg->socket_group : cfg->metrics_listen;
		size_t size = key[0] == 's' ? sizeof(cfg->socket_group) : sizeof(cfg->metrics_listen);
		if (strlen(value) >= size)
			return gb_fail(err, 0, "%s is too long", key);
		strcpy(dst, value);
		return 0;
	}
	return 1;
}

int gb_config_set(struct gb_config *cfg, const char *key, const char *value, gb_error *err)
{
	uint64_t n;
	int r;

	if (!strcmp(key, "state_dir"))
		return set_path(cfg->state_dir, sizeof(cfg->state_dir), key, value, err);
	if (!strcmp(key, "helpers_dir"))
		return set_path(cfg->helpers_dir, sizeof(cfg->helpers_dir), key, value, err);
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
	if (!strcmp(key, "nested_images")) {
		if (strlen(value) >= sizeof(cfg->nested_images))
			return gb_fail(err, 0, "nested_images is too long");
		strcpy(cfg->nested_images, value);
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
	if (!strcmp(key, "student_parallel")) {
		if (gb_parse_u64(value, &n) < 0 || n == 0 || n > GB_STUDENT_PARALLEL_MAX)
			return gb_fail(err, 0, "student_parallel must be a number between 1 and %u, "
				       "not '%s'", GB_STUDENT_PARALLEL_MAX, value);
		cfg->student_parallel = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "uid_slots")) {
		/* Against uid_base once both are known (check_uid_range). */
		if (gb_parse_u64(value, &n) < 0 || n == 0 || n > UINT32_MAX / GB_ID_RANGE)
			return gb_fail(err, 0, "uid_slots must be a number between 1 and %u, not '%s'",
				       UINT32_MAX / GB_ID_RANGE, value);
		cfg->uid_slots = (unsigned)n;
		return 0;
	}
	r = set_limit(cfg, key, value, err);
	if (r <= 0)
		return r;
	r = set_agent(cfg, key, value, err);
	if (r <= 0)
		return r;
	r = set_serve(cfg, key, value, err);
	if (r <= 0)
		return r;
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
	{ "GRADEBOX_HELPERS_DIR", "helpers_dir" },
	{ "GRADEBOX_CGROUP_ROOT", "cgroup_root" },
	{ "GRADEBOX_SECCOMP_PROFILE", "seccomp_profile" },
	{ "GRADEBOX_DEFAULT_IMAGE", "default_image" },
	{ "GRADEBOX_UID_BASE", "uid_base" },
	{ "GRADEBOX_MAX_UNPACKED_MB", "max_unpacked_mb" },
	{ "GRADEBOX_NESTED_IMAGES", "nested_images" },
	{ "GRADEBOX_UID_SLOTS", "uid_slots" },
	{ "GRADEBOX_STUDENT_PARALLEL", "student_parallel" },
	{ "GRADEBOX_DEFAULT_TIME", "default_time" },
	{ "GRADEBOX_DEFAULT_HARD_TIME", "default_hard_time" },
	{ "GRADEBOX_DEFAULT_MEMORY_MB", "default_memory_mb" },
	{ "GRADEBOX_DEFAULT_PIDS", "default_pids" },
	{ "GRADEBOX_DEFAULT_DISK_MB", "default_disk_mb" },
	{ "GRADEBOX_DEFAULT_OUTPUT", "default_output" },
	{ "GRADEBOX_SLOTS", "slots" },
	{ "GRADEBOX_QUEUE_MAX", "queue_max" },
	{ "GRADEBOX_SPOOL_DIR", "spool_dir" },
	{ "GRADEBOX_SOCKET", "socket" },
	{ "GRADEBOX_SOCKET_GROUP", "socket_group" },
	{ "GRADEBOX_DONE_KEEP", "done_keep" },
	{ "GRADEBOX_SHUTDOWN_GRACE", "shutdown_grace" },
	{ "GRADEBOX_METRICS_LISTEN", "metrics_listen" },
};

bool gb_config_nested_image(const struct gb_config *cfg, const char *image)
{
	size_t len = strlen(image);

	for (const char *s = cfg->nested_images + strspn(cfg->nested_images, " \t"); *s;) {
		size_t n = strcspn(s, " \t");
		if (n == len && !strncmp(s, image, len))
			return true;
		s += n;
		s += strspn(s, " \t");
	}
	return false;
}

/* uid_base and uid_slots are checked together once both are known: the
 * last slot's last id must stay below (uid_t)-1, which means "no id". */
static int check_uid_range(const struct gb_config *cfg, gb_error *err)
{
	if ((uint64_t)cfg->uid_base + (uint64_t)cfg->uid_slots * GB_ID_RANGE > UINT32_MAX)
		return gb_fail(err, 0, "uid_base %u + uid_slots %u * %u ids passes the last "
			       "uid %u: lower uid_base or uid_slots", cfg->uid_base, cfg->uid_slots,
			       GB_ID_RANGE, UINT32_MAX - 1);
	return 0;
}

int gb_config_load(struct gb_config *cfg, gb_error *err)
{
	const char *file = getenv("GRADEBOX_CONFIG");

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->state_dir, GB_DEFAULT_STATE_DIR);
	strcpy(cfg->run_dir, GB_DEFAULT_RUN_DIR);
	cfg->uid_base = GB_DEFAULT_UID_BASE;
	cfg->uid_slots = GB_DEFAULT_UID_SLOTS;
	cfg->student_parallel = GB_DEFAULT_STUDENT_PARALLEL;
	cfg->max_unpacked_mb = GB_DEFAULT_MAX_UNPACKED_MB;
	cfg->default_time = GB_DEFAULT_LIMIT_TIME;
	cfg->default_hard_time = GB_DEFAULT_LIMIT_HARD_TIME;
	cfg->default_memory_mb = GB_DEFAULT_LIMIT_MEMORY_MB;
	cfg->default_pids = GB_DEFAULT_LIMIT_PIDS;
	cfg->default_disk_mb = GB_DEFAULT_LIMIT_DISK_MB;
	cfg->default_output = GB_DEFAULT_LIMIT_OUTPUT;
	strcpy(cfg->default_image, "default");
	cfg->serve_queue_max = GB_DEFAULT_SERVE_QUEUE_MAX;
	cfg->done_keep = GB_DEFAULT_DONE_KEEP;
	cfg->shutdown_grace = GB_DEFAULT_SHUTDOWN_GRACE;
	/* Installed profile first; a build-tree binary falls back to the source. */
	snprintf(cfg->seccomp_profile, sizeof(cfg->seccomp_profile), "%s",
		 GB_DATADIR "/seccomp-default.txt");
	if (access(cfg->seccomp_profile, R_OK) < 0)
		snprintf(cfg->seccomp_profile, sizeof(cfg->seccomp_profile), "%s",
			 GB_SRCDIR "/runtime/seccomp-default.txt");
	/* Installed helpers first; a build-tree binary uses the build tree's. */
	snprintf(cfg->helpers_dir, sizeof(cfg->helpers_dir), "%s", GB_PKGLIBEXECDIR "/helpers");
	if (access(cfg->helpers_dir, R_OK) < 0)
		snprintf(cfg->helpers_dir, sizeof(cfg->helpers_dir), "%s", GB_BUILDDIR "/helpers");

	snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", file ? file : GB_DEFAULT_CONFIG);
	if (load_file(cfg, cfg->config_file, file != NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < GB_ARRAY_SIZE(env_keys); i++) {
		const char *v = getenv(env_keys[i].env);
		if (v && gb_config_set(cfg, env_keys[i].key, v, err) < 0)
			return gb_context(err, "environment variable %s", env_keys[i].env);
	}
	return check_uid_range(cfg, err);
}
