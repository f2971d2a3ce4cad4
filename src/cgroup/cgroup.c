/* cgroup: see cgroup.h.
 *
 * Layout, in each hierarchy used:
 *   <delegated>/                     the cgroup gradebox was started in
 *   <delegated>/gradebox-supervisors supervisors, moved here on v2 only when
 *                                    <delegated> must hand controllers down
 *   <delegated>/gradebox/            the base: never holds processes
 *   <delegated>/gradebox/job-P-T/    one per job (P, T: supervisor pid and
 *                                    start time, so gc can tell if it lives)
 *   <delegated>/gradebox/job-P-T/X/  one per sandbox of the job
 * cgroup v2 forbids processes in a cgroup that hands controllers to its
 * children ("no internal processes"), hence the supervisors' leaf. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgroup.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "cgroup_fs.h"
#include "util.h"


/* Controllers a v2 base hands down; cpu only helps (weights), usage works
 * without it. */
static const struct {
	const char *name;
	bool required;
} v2_controllers[] = {
	{ "memory", true },
	{ "pids", true },
	{ "cpu", false },
};

static void set_why(struct gb_cg_host *host, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_why(struct gb_cg_host *host, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host->why, sizeof(host->why), fmt, ap);
	va_end(ap);
}

/* This process's cgroup in one hierarchy, relative to its mount, from
 * self_cg (the text of /proc/self/cgroup): the v2 one ("0::/x") when ctrl
 * is NULL, else the v1 one listing ctrl. Our own supervisors' leaf counts
 * as its parent so every supervisor of a daemon shares one base. "" stands
 * for the root. */
static int own_cgroup(const char *self_cg, const char *ctrl, char *out, gb_error *err)
{
	_cleanup_free_ char *buf = strdup(self_cg);
	static const char leaf[] = "/" GB_CG_SUPERVISORS;

	if (!buf)
		return gb_fail(err, ENOMEM, "/proc/self/cgroup");
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *ctrls = strchr(line, ':'), *path, *c, *save = NULL;
		bool match = false;
		size_t len;

		if (!ctrls || !(path = strchr(++ctrls, ':')))
			continue;
		*path++ = '\0';
		if (!ctrl) {
			match = !strncmp(line, "0:", 2) && !*ctrls;
		} else {
			for (c = strtok_r(ctrls, ",", &save); c && !match; c = strtok_r(NULL, ",", &save))
				match = !strcmp(c, ctrl);
		}
		if (!match)
			continue;
		/* Outside our cgroup namespace, or removed: no place to build in. */
		if (path[0] != '/' || strstr(path, "/..") || strstr(path, " (deleted)"))
			return gb_fail(err, 0, "/proc/self/cgroup: this process's %s cgroup '%s' "
				       "is not usable (outside the cgroup namespace?): set cgroup_root",
				       ctrl ? ctrl : "v2", path);
		len = strlen(path);
		if (len >= sizeof(leaf) - 1 && !strcmp(path + len - (sizeof(leaf) - 1), leaf))
			path[len - (sizeof(leaf) - 1)] = '\0';
		if (!strcmp(path, "/"))
			path[0] = '\0';
		if (strlen(path) >= PATH_MAX)
			return gb_fail(err, ENAMETOOLONG, "own cgroup %s", path);
		strcpy(out, path);
		return 0;
	}
	return gb_fail(err, 0, "/proc/self/cgroup lists no %s cgroup for this process",
		       ctrl ? ctrl : "v2 (0::)");
}

/* mkdir that tolerates an existing directory. */
static int mkdir_cg(const char *path, gb_error *err)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return gb_fail_errno(err, "mkdir %s", path);
	return 0;
}

/* Hand memory and pids (and cpu when offered) to dir's children through its
 * cgroup.subtree_control. *missing names a required controller that dir
 * itself was not given (the parent did not delegate it). */
static int v2_enable(const char *dir, const char **missing, gb_error *err)
{
	_cleanup_free_ char *avail = NULL, *enabled = NULL;

	*missing = NULL;
	if (gb_cgfs_read_at(dir, "cgroup.controllers", &avail, err) < 0 ||
	    gb_cgfs_read_at(dir, "cgroup.subtree_control", &enabled, err) < 0)
		return -1;
	for (size_t i = 0; i < GB_ARRAY_SIZE(v2_controllers); i++) {
		const char *name = v2_controllers[i].name;
		char op[32];
		gb_error e = { 0 };

		if (!gb_cgfs_has_word(avail, name)) {
			if (!v2_controllers[i].required)
				continue;
			*missing = name;
			return gb_fail(err, 0, "%s/cgroup.controllers has no %s controller", dir, name);
		}
		if (gb_cgfs_has_word(enabled, name))
			continue;
		snprintf(op, sizeof(op), "+%s", name);
		if (gb_cgfs_write_at(dir, "cgroup.subtree_control", op, &e) < 0 && v2_controllers[i].required) {
			*err = e;
			return -1;
		}
	}
	return 0;
}

/* Move this process out of dir into the supervisors' leaf so dir may hand
 * controllers down; refused when dir holds other processes, which are not
 * ours to move. */
static int v2_move_self_to_leaf(const char *dir, gb_error *err)
{
	_cleanup_free_ char *procs = NULL;
	char leaf[PATH_MAX], self[32];

	if (gb_cgfs_read_at(dir, "cgroup.procs", &procs, err) < 0)
		return -1;
	snprintf(self, sizeof(self), "%d", (int)getpid());
	for (char *p = strtok(procs, "\n"); p; p = strtok(NULL, "\n"))
		if (strcmp(p, self))
			return gb_fail(err, 0, "cgroup %s holds other processes (pid %s) and so "
				       "cannot hand controllers down: start gradebox in a cgroup of "
				       "its own (its systemd unit, or systemd-run --scope -p "
				       "Delegate=yes), or set cgroup_root", dir, p);
	if (gb_cgfs_join(leaf, dir, GB_CG_SUPERVISORS, err) < 0 || mkdir_cg(leaf, err) < 0)
		return -1;
	return gb_cgfs_write_at(leaf, "cgroup.procs", self, err);
}

static int detect_v2(const struct gb_config *cfg, const char *self_cg, struct gb_cg_host *host,
		     gb_error *err)
{
	char own[PATH_MAX], own_dir[PATH_MAX], delegated[PATH_MAX];
	const char *missing;

	if (own_cgroup(self_cg, NULL, own, err) < 0)
		return -1;
	if (snprintf(own_dir, sizeof(own_dir), "%s%s", GB_CG_MOUNT, own) >= (int)sizeof(own_dir))
		return gb_fail(err, ENAMETOOLONG, "own cgroup %s", own);
	if (cfg->cgroup_root[0]) {
		if (strncmp(cfg->cgroup_root, GB_CG_MOUNT "/", sizeof(GB_CG_MOUNT)) ||
		    strstr(cfg->cgroup_root, "/.."))
			return gb_fail(err, 0, "cgroup_root %s is not inside the cgroup v2 mount %s",
				       cfg->cgroup_root, GB_CG_MOUNT);
		strcpy(host->v2_base, cfg->cgroup_root);
		strcpy(delegated, cfg->cgroup_root);
		*strrchr(delegated, '/') = '\0';
		if (gb_mkdir_p(delegated, 0755, err) < 0)
			return gb_context(err, "cgroup_root");
	} else {
		strcpy(delegated, own_dir);
		if (gb_cgfs_join(host->v2_base, delegated, GB_CG_BASE, err) < 0)
			return -1;
	}

	if (v2_enable(delegated, &missing, err) < 0) {
		if (missing)
			return gb_fail(err, 0, "cgroup v2 at %s has no %s controller delegated to %s: "
				       "run under a systemd unit with Delegate=yes, or set cgroup_root",
				       GB_CG_MOUNT, missing, delegated);
		if (err->errnum != EBUSY)
			return gb_context(err, "enable controllers for gradebox's cgroups");
		/* No internal processes: a cgroup with members cannot hand
		 * controllers down. If the members are just us, step aside into
		 * a leaf and retry. */
		if (strcmp(delegated, own_dir))
			return gb_fail(err, 0, "cgroup %s holds processes, so it cannot hand "
				       "controllers down to cgroup_root %s: choose a cgroup_root "
				       "whose parent is empty", delegated, host->v2_base);
		if (v2_move_self_to_leaf(delegated, err) < 0)
			return -1;
		if (v2_enable(delegated, &missing, err) < 0)
			return gb_context(err, "enable controllers in %s", delegated);
		gb_error_clear(err);
	}
	if (mkdir_cg(host->v2_base, err) < 0)
		return gb_context(err, "create gradebox's base cgroup (set cgroup_root to a "
				  "writable delegated cgroup)");
	if (v2_enable(host->v2_base, &missing, err) < 0)
		return gb_context(err, "enable controllers for job cgroups");
	host->backend = GB_CG_V2;
	set_why(host, "cgroup v2 at %s with memory and pids delegated to %s; job cgroups in %s",
		GB_CG_MOUNT, delegated, host->v2_base);
	return 0;
}

/* One v1 base: below our own cgroup of that controller, or at cgroup_root's
 * place in that hierarchy. */
static int hybrid_base(const struct gb_config *cfg, const char *self_cg, const char *mount,
		       const char *ctrl, const char *probe, char *out, gb_error *err)
{
	char own[PATH_MAX], dir[PATH_MAX];

	if (cfg->cgroup_root[0]) {
		if (gb_cgfs_join(out, mount, cfg->cgroup_root + sizeof(GB_CG_UNIFIED), err) < 0 ||
		    gb_mkdir_p(out, 0755, err) < 0)
			goto fail;
	} else {
		if (own_cgroup(self_cg, ctrl, own, err) < 0)
			return -1;
		if (snprintf(dir, sizeof(dir), "%s%s", mount, own) >= (int)sizeof(dir))
			return gb_fail(err, ENAMETOOLONG, "cgroup path %s%s", mount, own);
		if (gb_cgfs_join(out, dir, GB_CG_BASE, err) < 0 || mkdir_cg(out, err) < 0)
			goto fail;
	}
	if (!probe)
		return 0;
	if (gb_cgfs_join(dir, out, probe, err) < 0)
		return -1;
	if (access(dir, W_OK) == 0)
		return 0;
	gb_fail_errno(err, "%s", dir);
fail:
	return gb_context(err, "cgroup %s hierarchy at %s is not writable: run gradebox as root "
			  "with %s mounted read-write, or set cgroup_root", ctrl ? ctrl : "v2",
			  mount, mount);
}

static int detect_hybrid(const struct gb_config *cfg, const char *self_cg,
			 struct gb_cg_host *host, gb_error *err)
{
	if (cfg->cgroup_root[0] &&
	    (strncmp(cfg->cgroup_root, GB_CG_UNIFIED "/", sizeof(GB_CG_UNIFIED)) ||
	     strstr(cfg->cgroup_root, "/..")))
		return gb_fail(err, 0, "cgroup_root %s is not inside the cgroup v2 mount %s "
			       "(hybrid host)", cfg->cgroup_root, GB_CG_UNIFIED);
	if (hybrid_base(cfg, self_cg, GB_CG_UNIFIED, NULL, "cgroup.procs", host->v2_base, err) < 0 ||
	    hybrid_base(cfg, self_cg, GB_CG_V1_MEMORY, "memory", "memory.limit_in_bytes",
			host->mem_base, err) < 0 ||
	    hybrid_base(cfg, self_cg, GB_CG_V1_PIDS, "pids", "pids.max", host->pids_base,
			err) < 0)
		return -1;
	host->backend = GB_CG_HYBRID;
	set_why(host, "hybrid: %s is not cgroup v2, so limits go through the v1 memory and pids "
		"controllers (%s, %s) and kill/events/CPU time through the controller-less "
		"cgroup v2 tree (%s)", GB_CG_MOUNT, host->mem_base, host->pids_base,
		host->v2_base);
	return 0;
}

int gb_cg_detect(const struct gb_config *cfg, struct gb_cg_host *host, gb_error *err)
{
	_cleanup_free_ char *self_cg = NULL;
	int r;

	memset(host, 0, sizeof(*host));
	if (gb_read_file("/proc/self/cgroup", CG_FILE_MAX, &self_cg, NULL, err) < 0) {
		r = -1;
	} else if (gb_cgfs_is_fs(GB_CG_MOUNT, CGROUP2_SUPER_MAGIC)) {
		r = detect_v2(cfg, self_cg, host, err);
	} else if (gb_cgfs_is_fs(GB_CG_UNIFIED, CGROUP2_SUPER_MAGIC)) {
		if (!gb_cgfs_is_fs(GB_CG_V1_MEMORY, CGROUP_SUPER_MAGIC) ||
		    !gb_cgfs_is_fs(GB_CG_V1_PIDS, CGROUP_SUPER_MAGIC))
			r = gb_fail(err, 0, "hybrid cgroups without the v1 memory and pids "
				    "controllers at %s and %s: mount them, or boot with "
				    "systemd.unified_cgroup_hierarchy=1 for pure cgroup v2",
				    GB_CG_V1_MEMORY, GB_CG_V1_PIDS);
		else
			r = detect_hybrid(cfg, self_cg, host, err);
	} else {
		r = gb_fail(err, 0, "no usable cgroups: neither %s nor %s is a cgroup v2 mount: "
			    "boot with systemd.unified_cgroup_hierarchy=1 (or mount cgroup2 on %s)",
			    GB_CG_MOUNT, GB_CG_UNIFIED, GB_CG_UNIFIED);
	}
	if (r < 0) {
		memset(host, 0, sizeof(*host));
		if (err)
			set_why(host, "%s", err->msg);
	}
	return r;
}

/* --- one cgroup --------------------------------------------------------- */

static int set_limits(struct gb_cgroup *cg, const struct gb_cg_limits *l, gb_error *err)
{
	bool v2 = cg->host->backend == GB_CG_V2;
	const char *mem = v2 ? cg->v2_path : cg->mem_path;
	const char *pids = v2 ? cg->v2_path : cg->pids_path;
	char num[32];
	gb_error ignored = { 0 };

	if (l->memory_bytes) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)l->memory_bytes);
		if (gb_cgfs_write_at(mem, v2 ? "memory.max" : "memory.limit_in_bytes", num, err) < 0)
			return -1;
		/* No swap: the limit is on memory the sandbox really holds. The
		 * swap files are missing without swap accounting; nothing to cap. */
		if (v2) {
			if (gb_cgfs_write_at(mem, "memory.swap.max", "0", err) < 0 && err->errnum != ENOENT)
				return -1;
		} else {
			if (gb_cgfs_write_at(mem, "memory.memsw.limit_in_bytes", num, err) < 0 &&
			    err->errnum != ENOENT)
				return -1;
			/* Best effort: absent or read-only at some levels. */
			gb_cgfs_write_at(mem, "memory.swappiness", "0", &ignored);
			/* v1 charges socket buffers to a cgroup only once it has a TCP
			 * limit (v2 always does, in memory.max): without one, loopback
			 * connections that are never read hold hundreds of MB outside
			 * any --memory. Kernels without kmem accounting lack the file. */
			if (gb_cgfs_write_at(mem, "memory.kmem.tcp.limit_in_bytes", num, err) < 0 &&
			    err->errnum != ENOENT)
				return -1;
		}
		gb_error_clear(err);
	}
	if (l->pids) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)l->pids);
		if (gb_cgfs_write_at(pids, "pids.max", num, err) < 0)
			return -1;
	}
	return 0;
}

static int check_name(const char *name, gb_error *err)
{
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    !strcmp(name, GB_CG_SUPERVISORS) || !strncmp(name, "cgroup.", 7))
		return gb_fail(err, EINVAL, "bad cgroup name '%s'", name ? name : "");
	return 0;
}

/* mkdir parent/name into out; a name taken already is an error, since
 * reusing it would mix two jobs' accounting. */
static int mkdir_new(const char *parent, const char *name, char *out, gb_error *err)
{
	char path[PATH_MAX];

	if (gb_cgfs_join(path, parent, name, err) < 0)
		return -1;
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST)
			return gb_fail(err, EEXIST, "create cgroup %s (left by a killed supervisor? "
				       "run gradebox gc)", path);
		return gb_fail_errno(err, "create cgroup %s", path);
	}
	strcpy(out, path);
	return 0;
}

int gb_cg_create(const struct gb_cg_host *host, const struct gb_cgroup *parent,
		 const char *name, const struct gb_cg_limits *limits,
		 struct gb_cgroup *out, gb_error *err)
{
	struct gb_cgroup cg = { .host = host, .v2_fd = -1 };
	bool hybrid = host->backend == GB_CG_HYBRID;
	const char *missing;
	gb_error ignored = { 0 };
	char v1_name[NAME_MAX + 1];

	out->host = host;
	out->v2_path[0] = out->mem_path[0] = out->pids_path[0] = '\0';
	out->v2_fd = -1;
	if (host->backend == GB_CG_NONE)
		return gb_fail(err, 0, "no cgroup backend (run gradebox check)");
	if (check_name(name, err) < 0)
		return -1;
	/* The parent (a job) never holds processes, so it may hand the
	 * controllers down to its sandboxes. */
	if (parent && host->backend == GB_CG_V2 && v2_enable(parent->v2_path, &missing, err) < 0)
		return gb_context(err, "enable controllers for sandbox cgroups");
	if (mkdir_new(parent ? parent->v2_path : host->v2_base, name, cg.v2_path, err) < 0)
		return -1;
	/* Hybrid: the v1 hierarchies only hold limits, which jobs do not have,
	 * so they get no job level: a sandbox's v1 cgroups sit right under the
	 * base as <job>.<sandbox> (one mkdir and one rmdir fewer in each). */
	if (parent)
		snprintf(v1_name, sizeof(v1_name), "%s.%s", strrchr(parent->v2_path, '/') + 1,
			 name);
	else /* a sandbox on its own (limits, no job) */
		snprintf(v1_name, sizeof(v1_name), "%s", name);
	/* ...except below a job that has a process limit of its own (a
	 * grading job: its sandboxes share it), whose v1 pids cgroup holds
	 * theirs, so the hierarchy counts them all against the job's. */
	if (hybrid && (parent || limits) &&
	    (mkdir_new(host->mem_base, v1_name, cg.mem_path, err) < 0 ||
	     (parent && parent->pids_path[0]
		      ? mkdir_new(parent->pids_path, name, cg.pids_path, err)
		      : mkdir_new(host->pids_base, v1_name, cg.pids_path, err)) < 0))
		goto fail;
	cg.v2_fd = GB_RETRY(open(cg.v2_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (cg.v2_fd < 0) {
		gb_fail_errno(err, "open %s", cg.v2_path);
		goto fail;
	}
	if (limits && set_limits(&cg, limits, err) < 0) {
		gb_context(err, "set limits of cgroup %s", name);
		goto fail;
	}
	*out = cg;
	return 0;
fail:
	gb_cg_destroy(&cg, &ignored);
	return -1;
}

int gb_cg_attach(const struct gb_cgroup *cg, pid_t pid, bool v2_too, gb_error *err)
{
	const char *dirs[] = { cg->mem_path, cg->pids_path, v2_too ? cg->v2_path : "" };
	char num[32];

	snprintf(num, sizeof(num), "%d", (int)pid);
	for (size_t i = 0; i < GB_ARRAY_SIZE(dirs); i++)
		if (dirs[i][0] && gb_cgfs_write_at(dirs[i], "cgroup.procs", num, err) < 0)
			return gb_context(err, "move pid %d into its cgroup", (int)pid);
	return 0;
}

int gb_cg_open_self_attach(const struct gb_cgroup *cg, int fds[GB_CG_V1_MAX], gb_error *err)
{
	const char *dirs[GB_CG_V1_MAX] = { cg->mem_path, cg->pids_path };

	for (size_t i = 0; i < GB_CG_V1_MAX; i++)
		fds[i] = -1;
	for (size_t i = 0; i < GB_CG_V1_MAX; i++) {
		char path[PATH_MAX];
		if (!dirs[i][0])
			continue;
		if (gb_cgfs_join(path, dirs[i], "tasks", err) < 0)
			goto fail;
		fds[i] = GB_RETRY(open(path, O_WRONLY | O_CLOEXEC));
		if (fds[i] < 0) {
			gb_fail_errno(err, "open %s", path);
			goto fail;
		}
	}
	return 0;
fail:
	gb_cg_close_self_attach(fds);
	return -1;
}

int gb_cg_attach_self(const int fds[GB_CG_V1_MAX], gb_error *err)
{
	/* "0" in `tasks` moves the calling thread alone: the kernel then skips
	 * the global threadgroup lock whose write side waits for an RCU grace
	 * period (about 10 ms on an idle host, measured) — moving a pid through
	 * cgroup.procs takes it. The caller must be single-threaded. */
	for (size_t i = 0; i < GB_CG_V1_MAX; i++)
		if (fds[i] >= 0 && GB_RETRY(write(fds[i], "0", 1)) < 0)
			return gb_fail_errno(err, "move into the sandbox's v1 cgroup");
	return 0;
}

void gb_cg_close_self_attach(int fds[GB_CG_V1_MAX])
{
	for (size_t i = 0; i < GB_CG_V1_MAX; i++) {
		gb_closep(&fds[i]);
	}
}

/* --- accounting ----------------------------------------------------------- */

int gb_cg_cpu_usage_ns(const struct gb_cgroup *cg, uint64_t *ns, gb_error *err)
{
	uint64_t usec;

	/* cpu.stat's usage_usec is kept without the cpu controller, so it
	 * serves hybrid hosts as well; it covers every descendant. */
	if (gb_cgfs_read_key_at(cg->v2_path, "cpu.stat", "usage_usec", &usec, err) < 0)
		return -1;
	*ns = usec * 1000;
	return 0;
}

int gb_cg_memory_peak(const struct gb_cgroup *cg, uint64_t *bytes, gb_error *err)
{
	*bytes = 0;
	if (cg->host->backend == GB_CG_HYBRID)
		return gb_cgfs_read_u64_at(cg->mem_path, "memory.max_usage_in_bytes", bytes, err);
	/* memory.peak came with Linux 5.19; before it there is no peak to give. */
	if (gb_cgfs_read_u64_at(cg->v2_path, "memory.peak", bytes, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		gb_error_clear(err);
	}
	return 0;
}

/* v1 counts an OOM kill only in the victim's own cgroup: add up the tree. */
static int v1_oom_kills(const char *dir, void *sum, gb_error *err)
{
	uint64_t n;

	if (gb_cgfs_read_key_at(dir, "memory.oom_control", "oom_kill", &n, err) < 0)
		return -1;
	*(uint64_t *)sum += n;
	return gb_cgfs_for_each_child(dir, v1_oom_kills, sum, err);
}

int gb_cg_each_v1_sandbox(const struct gb_cgroup *job, const char *base,
			  int (*fn)(const char *sub, void *arg, gb_error *err), void *arg,
			  gb_error *err)
{
	const char *slash = strrchr(job->v2_path, '/');
	char prefix[NAME_MAX + 2];

	/* Only a job on a hybrid host has them: it has a v2 cgroup and no v1 one. */
	if (!job->host || job->host->backend != GB_CG_HYBRID || job->mem_path[0] || !slash ||
	    !base[0])
		return 0;
	snprintf(prefix, sizeof(prefix), "%s.", slash + 1);
	return gb_cgfs_for_each_prefixed(base, prefix, fn, arg, err);
}

int gb_cg_oom_kills(const struct gb_cgroup *cg, uint64_t *count, gb_error *err)
{
	*count = 0;
	if (cg->host->backend == GB_CG_HYBRID)
		return cg->mem_path[0] ? v1_oom_kills(cg->mem_path, count, err)
				       : gb_cg_each_v1_sandbox(cg, cg->host->mem_base, v1_oom_kills,
							       count, err);
	/* memory.events (not .local) includes the descendants. */
	return gb_cgfs_read_key_at(cg->v2_path, "memory.events", "oom_kill", count, err);
}

int gb_cg_pids_current(const struct gb_cgroup *cg, uint64_t *n, gb_error *err)
{
	bool hybrid = cg->host->backend == GB_CG_HYBRID;

	return gb_cgfs_read_u64_at(hybrid ? cg->pids_path : cg->v2_path, "pids.current", n, err);
}

bool gb_cg_populated(const struct gb_cgroup *cg)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;

	if (!cg->v2_path[0] || gb_cgfs_join(path, cg->v2_path, "cgroup.events", NULL) < 0)
		return false;
	fd = GB_RETRY(open(path, O_RDONLY | O_CLOEXEC));
	return fd >= 0 && gb_cgfs_events_populated(fd);
}

