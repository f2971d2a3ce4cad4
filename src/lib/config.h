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
/* Sandboxes that may run at once on the host, each with its own GB_ID_RANGE
 * host ids (see userns.h). 1024 ranges above the default base end near
 * 2.07e9, far below the last uid; a host running more sandboxes at once
 * has other limits first. */
#define GB_DEFAULT_UID_SLOTS 1024u
#define GB_DEFAULT_MAX_UNPACKED_MB 8192u
#define GB_CONFIG_NESTED_IMAGES_MAX 1024
/* run_student sandboxes of one job running at once; further calls wait.
 * Each costs a uid slot and its memory limit; a run file testing cases in
 * parallel gains little past the host's cores. */
#define GB_DEFAULT_STUDENT_PARALLEL 8u
#define GB_STUDENT_PARALLEL_MAX 32u

/* Limits of a sandbox whose command line sets none (0 = no limit). Without
 * them a run had no pids, memory or wall limit and a job tmpfs of half the
 * host's RAM: one runaway submission could take the host down.
 * - CPU time: none by default. The wall limit already ends anything stuck,
 *   and a right CPU budget depends on the task (graders set --time).
 * - wall time 600 s: INGInious's longest usual task limit is a few minutes
 *   (its hard_time defaults to 3 x time); ten minutes ends what hangs
 *   without cutting a slow but honest build or test run.
 * - memory 1024 MB: Python/Java graders with a JVM fit; a student program
 *   that leaks is stopped long before the host swaps.
 * - pids 512: make -j, a JVM's threads and a test harness fit; a fork bomb
 *   does not.
 * - disk 1024 MB: the writable layer, /tmp and /dev/shm of a build or a
 *   test's data, counted against memory as well (tmpfs).
 * - output: no cap, as the command writes to gradebox's own stdout unless
 *   captured; graders capture with --output. */
#define GB_DEFAULT_LIMIT_TIME 0.0
#define GB_DEFAULT_LIMIT_HARD_TIME 600.0
#define GB_DEFAULT_LIMIT_MEMORY_MB 1024u
#define GB_DEFAULT_LIMIT_PIDS 512u
#define GB_DEFAULT_LIMIT_DISK_MB 1024u
#define GB_DEFAULT_LIMIT_OUTPUT 0u

/* Queue daemon defaults: a week of results; 20 s for running jobs to end
 * at shutdown (the unit's TimeoutStopSec leaves room for the kill after). */
#define GB_DEFAULT_SERVE_QUEUE_MAX 10000u
#define GB_DEFAULT_DONE_KEEP (7.0 * 24 * 3600)
#define GB_DEFAULT_SHUTDOWN_GRACE 20.0

struct gb_config {
	char config_file[PATH_MAX];
	char state_dir[PATH_MAX];   /* image store: layers/, images/ */
	char run_dir[PATH_MAX];     /* one directory per running job */
	char cgroup_root[PATH_MAX]; /* "" = auto-detect the delegated subtree */
	char seccomp_profile[PATH_MAX];
	char default_image[256];
	/* The container API: bin/ (the helpers, /.gradebox/bin in a grading
	 * sandbox) and python/ (/.gradebox/python). */
	char helpers_dir[PATH_MAX];
	/* Images whose sandboxes may nest containers (make namespaces, mount),
	 * space-separated: the per-environment form of `run --nested`. */
	char nested_images[GB_CONFIG_NESTED_IMAGES_MAX];
	uid_t uid_base;
	unsigned uid_slots;         /* id ranges after uid_base, one per running sandbox */
	uint64_t max_unpacked_mb;
	unsigned student_parallel;  /* run_student sandboxes at once per job */
	/* Limits when the command line gives none; 0 = none. */
	double default_time;        /* CPU seconds */
	double default_hard_time;   /* wall seconds (3 x --time when --time is given) */
	uint64_t default_memory_mb;
	uint64_t default_pids;
	uint64_t default_disk_mb;
	uint64_t default_output;    /* bytes */
	/* `gradebox agent` defaults (its flags win): the INGInious backend's
	 * agent address, the tasks directory, slots (0 = CPUs), hello name. */
	char agent_backend[256];
	char agent_tasks[PATH_MAX];
	unsigned agent_slots;
	char agent_name[128];
	/* The queue daemon (gradebox serve, src/daemon/serve.h). */
	unsigned serve_slots;       /* 0 = one per CPU */
	uint64_t serve_queue_max;   /* jobs waiting at most */
	char spool_dir[PATH_MAX];   /* "" = <state_dir>/spool */
	char socket_path[PATH_MAX]; /* "" = <run_dir>/gradebox.sock */
	char socket_group[64];      /* group of the socket and spool; "" = the daemon's */
	double done_keep;           /* seconds a result stays in done/ */
	double shutdown_grace;      /* seconds running jobs get at SIGTERM */
	char metrics_listen[128];   /* HOST:PORT for HTTP /metrics; "" = none */
};

/* Fill cfg with defaults, then the config file, then the environment. */
int gb_config_load(struct gb_config *cfg, gb_error *err);
/* Is image (a name as given to --image) listed in nested_images? */
bool gb_config_nested_image(const struct gb_config *cfg, const char *image);
/* Apply one "key = value" setting (also used for tests). */
int gb_config_set(struct gb_config *cfg, const char *key, const char *value, gb_error *err);

#endif
