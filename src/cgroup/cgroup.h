/* cgroup: one cgroup per sandbox, below a per-job cgroup, below gradebox's
 * base in a delegated subtree. Two backends behind one interface:
 *  - v2: everything in the unified hierarchy (memory.max, memory.swap.max=0,
 *    pids.max, cpu.stat, memory.events, memory.peak, cgroup.kill);
 *  - hybrid: v1 memory and pids controllers for limits and accounting, the
 *    controller-less v2 tree for cgroup.kill, cgroup.events and cpu.stat.
 * Job cgroups are created below the cgroup this process is in (or the
 * configured cgroup_root), never above it. */
#ifndef GB_CGROUP_H
#define GB_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

#define GB_CG_MOUNT "/sys/fs/cgroup"
#define GB_CG_UNIFIED GB_CG_MOUNT "/unified" /* cgroup2 on hybrid hosts */
#define GB_CG_V1_MEMORY GB_CG_MOUNT "/memory"
#define GB_CG_V1_PIDS GB_CG_MOUNT "/pids"
/* Below the cgroup gradebox starts in: GB_CG_BASE holds the job cgroups;
 * on v2 the supervisors move to GB_CG_SUPERVISORS (a leaf) when their own
 * cgroup must hand controllers down (v2 allows no processes there then). */
#define GB_CG_BASE "gradebox"
#define GB_CG_SUPERVISORS "gradebox-supervisors"
#define GB_CG_JOB_PREFIX "job-"

enum gb_cg_backend {
	GB_CG_NONE = 0,
	GB_CG_V2,
	GB_CG_HYBRID,
};

/* What this host offers, found once per process by gb_cg_detect(). */
struct gb_cg_host {
	enum gb_cg_backend backend;
	char v2_base[PATH_MAX];   /* unified dir holding gradebox's job cgroups */
	char mem_base[PATH_MAX];  /* hybrid: v1 memory dir for job cgroups */
	char pids_base[PATH_MAX]; /* hybrid: v1 pids dir for job cgroups */
	char why[512];            /* human explanation of the choice (gradebox check) */
};

struct gb_cg_limits {
	uint64_t memory_bytes; /* 0 = no limit; swap is always 0 when limited */
	uint64_t pids;         /* 0 = no limit */
};

/* One cgroup (a job's, or a sandbox's below its job). */
struct gb_cgroup {
	const struct gb_cg_host *host;
	char v2_path[PATH_MAX];
	char mem_path[PATH_MAX];  /* hybrid only, else "" */
	char pids_path[PATH_MAX]; /* hybrid only, else "" */
	int v2_fd;                /* O_DIRECTORY fd, for clone3(CLONE_INTO_CGROUP) */
};

/* Find the backend and the base directories (creating the base cgroup and
 * enabling controllers where it must). Fails with a message saying what to
 * enable when no backend is usable; host->why says why in either case.
 * Base: cfg->cgroup_root when set, else <own cgroup>/gradebox in each
 * hierarchy. cgroup_root is a directory inside the cgroup2 mount
 * (GB_CG_MOUNT/... on v2, GB_CG_UNIFIED/... on hybrid hosts, where the same
 * relative path is used in the v1 memory and pids hierarchies); it is
 * created if missing, and on v2 its parent must have (or be able to hand
 * down) memory and pids.
 * v2 side effect: if the own cgroup holds only this process and must
 * enable controllers for its children, this process moves into
 * <own>/GB_CG_SUPERVISORS (children forked later inherit it). A daemon
 * calls this once before forking supervisors. */
int gb_cg_detect(const struct gb_config *cfg, struct gb_cg_host *host, gb_error *err);

/* Create a cgroup named `name` below parent (NULL = below the base) and set
 * its limits (limits may be NULL for none). On hybrid hosts a job (no parent,
 * no limits) has no v1 cgroups, and a sandbox's v1 cgroups are named
 * <job>.<name> right under the v1 bases. */
int gb_cg_create(const struct gb_cg_host *host, const struct gb_cgroup *parent,
		 const char *name, const struct gb_cg_limits *limits,
		 struct gb_cgroup *out, gb_error *err);
/* Put pid into the cgroup in every hierarchy that clone3(CLONE_INTO_CGROUP)
 * did not already place it in (v1 controllers on hybrid hosts). */
int gb_cg_attach(const struct gb_cgroup *cg, pid_t pid, bool v2_too, gb_error *err);

/* Hybrid hosts: a new sandbox process moves itself into its v1 cgroups
 * (CLONE_INTO_CGROUP covers only v2), through fds opened beforehand by the
 * supervisor (one per v1 hierarchy; -1 where there is none). */
#define GB_CG_V1_MAX 2
int gb_cg_open_self_attach(const struct gb_cgroup *cg, int fds[GB_CG_V1_MAX], gb_error *err);
int gb_cg_attach_self(const int fds[GB_CG_V1_MAX], gb_error *err);
void gb_cg_close_self_attach(int fds[GB_CG_V1_MAX]);

/* Accounting (all processes and threads, all descendants). */
int gb_cg_cpu_usage_ns(const struct gb_cgroup *cg, uint64_t *ns, gb_error *err);
int gb_cg_memory_peak(const struct gb_cgroup *cg, uint64_t *bytes, gb_error *err);
int gb_cg_oom_kills(const struct gb_cgroup *cg, uint64_t *count, gb_error *err);
int gb_cg_pids_current(const struct gb_cgroup *cg, uint64_t *n, gb_error *err);
bool gb_cg_populated(const struct gb_cgroup *cg);

/* SIGKILL every process in the cgroup and its descendants (cgroup.kill, or
 * freeze + kill + thaw as fallback); waits until it is empty. */
int gb_cg_kill(const struct gb_cgroup *cg, gb_error *err);
/* The freeze + kill + thaw path alone (kernels < 5.14), for the tests; it
 * does not wait. */
int gb_cg_kill_fallback(const struct gb_cgroup *cg, gb_error *err);
/* Kill, then remove the cgroup (children first) in every hierarchy and
 * close its fd. Safe to call on a zeroed or half-created cgroup. */
int gb_cg_destroy(struct gb_cgroup *cg, gb_error *err);

/* Remove job cgroups below the base whose owner is gone: every job cgroup
 * is named "job-<supervisor pid>-<start time>"; `alive` says whether that
 * owner still runs. Returns the number removed. */
int gb_cg_gc(const struct gb_cg_host *host, bool (*alive)(const char *job_name),
	     gb_error *err);
/* Name of the job cgroup of supervisor pid: "job-<pid>-<start time>". */
int gb_cg_job_name(pid_t pid, char *buf, size_t size, gb_error *err);
/* gc's default `alive` (used when alive is NULL): the pid runs with that
 * start time. Names it cannot parse count as alive (never removed). */
bool gb_cg_job_alive(const char *job_name);

#endif
