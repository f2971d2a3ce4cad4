/* cmd_check: `gradebox check [--json]`: what this host offers gradebox and,
 * for each shortfall, what to change. Probes try the real thing where it is
 * cheap (in a child when it could change this process) rather than trusting
 * the kernel version, since distributions disable and backport features.
 * Exit 0 when every required feature works, GB_EXIT_FAILURE otherwise. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <jansson.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/seccomp.h>

#include "cgroup.h"
#include "cli.h"
#include "config.h"
#include "util.h"

#define DETAIL_MAX 1024

enum feature_id {
	F_CGROUP,
	F_USERNS,
	F_OVERLAY,
	F_CLONE3,
	F_PIDFD,
	F_SECCOMP,
	F_IDMAP,
	F_TMPFS_IDMAP,
	F_HELPERS,
	F_CONFIG,
	F_PROFILE,
	F_STATE,
	F_RUN,
	F_COUNT,
};

struct feature {
	const char *key;   /* JSON key */
	const char *label; /* human name */
	bool required;     /* gradebox cannot run jobs without it */
	bool ok;
	char detail[DETAIL_MAX];
};

static struct feature features[F_COUNT] = {
	[F_CGROUP] = { "cgroup", "cgroups", true },
	[F_USERNS] = { "user_namespaces", "user namespaces", true },
	[F_OVERLAY] = { "overlayfs", "overlayfs", true },
	[F_CLONE3] = { "clone_into_cgroup", "clone3 into cgroup", true },
	[F_PIDFD] = { "pidfd", "pidfd_open", true },
	[F_SECCOMP] = { "seccomp", "seccomp filters", true },
	[F_IDMAP] = { "idmapped_mounts", "idmapped mounts", false },
	[F_TMPFS_IDMAP] = { "tmpfs_idmap", "idmapped tmpfs", false },
	[F_HELPERS] = { "container_api", "container API", false },
	[F_CONFIG] = { "config_file", "config file", false },
	[F_PROFILE] = { "seccomp_profile", "seccomp profile", true },
	[F_STATE] = { "state_dir", "state dir", false },
	[F_RUN] = { "run_dir", "run dir", true },
};

static void set(enum feature_id id, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set(enum feature_id id, bool ok, const char *fmt, ...)
{
	va_list ap;

	features[id].ok = ok;
	va_start(ap, fmt);
	vsnprintf(features[id].detail, DETAIL_MAX, fmt, ap);
	va_end(ap);
}

static struct utsname uts;

/* Is the running kernel at least major.minor? */
static bool kernel_at_least(int major, int minor)
{
	int ma = 0, mi = 0;

	if (sscanf(uts.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static int wait_child(pid_t pid)
{
	int st;

	if (GB_RETRY(waitpid(pid, &st, 0)) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void check_cgroup(const struct gb_config *cfg, struct gb_cg_host *host)
{
	gb_error err = { 0 };

	if (gb_cg_detect(cfg, host, &err) < 0)
		set(F_CGROUP, false, "%s", err.msg);
	else
		set(F_CGROUP, true, "%s", host->why);
}

static void check_userns(void)
{
	_cleanup_free_ char *max = NULL;
	gb_error err = { 0 };
	pid_t pid;

	if (gb_read_file("/proc/sys/user/max_user_namespaces", 64, &max, NULL, &err) == 0 &&
	    atoi(max) <= 0) {
		set(F_USERNS, false, "user.max_user_namespaces is 0: set it above 0 "
		    "(sysctl -w user.max_user_namespaces=15000, and in /etc/sysctl.d)");
		return;
	}
	/* A raw clone() without a stack is a fork into a new user namespace. */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		int e = errno;
		set(F_USERNS, false, "clone(CLONE_NEWUSER): %s: %s", strerror(e),
		    e == EINVAL ? "the kernel lacks CONFIG_USER_NS" :
		    e == ENOSPC ? "raise user.max_user_namespaces" :
		    "blocked (inside a chroot? by seccomp, AppArmor or "
		    "kernel.unprivileged_userns_clone?): run gradebox on the host, as root");
		return;
	}
	if (wait_child(pid) != 0)
		set(F_USERNS, false, "the child in a new user namespace failed");
	else
		set(F_USERNS, true, "clone(CLONE_NEWUSER) works");
}

static void check_overlay(void)
{
	_cleanup_free_ char *fs = NULL;
	gb_error err = { 0 };

	if (gb_read_file("/proc/filesystems", 65536, &fs, NULL, &err) < 0)
		set(F_OVERLAY, false, "%s", err.msg);
	else if (!strstr(fs, "\toverlay\n"))
		set(F_OVERLAY, false, "'overlay' is not in /proc/filesystems: modprobe overlay "
		    "(and list it in /etc/modules-load.d)");
	else
		set(F_OVERLAY, true, "overlay is in /proc/filesystems");
}

/* clone3 with CLONE_INTO_CGROUP into a throw-away job cgroup (named like a
 * job so `gradebox gc` removes it should check be killed meanwhile). */
static void check_clone3(const struct gb_cg_host *host)
{
	struct gb_cgroup cg = { .v2_fd = -1 };
	struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
	gb_error err = { 0 };
	char name[64];
	pid_t pid;
	int e;

	if (host->backend == GB_CG_NONE) {
		/* No cgroup to clone into: the kernel version is all we have. */
		set(F_CLONE3, kernel_at_least(5, 7), "%s (kernel %s; not probed, cgroups unusable)",
		    kernel_at_least(5, 7) ? "should work" : "needs Linux 5.7 or later", uts.release);
		return;
	}
	if (gb_cg_job_name(getpid(), name, sizeof(name), &err) < 0 ||
	    gb_cg_create(host, NULL, name, NULL, &cg, &err) < 0) {
		set(F_CLONE3, false, "could not make a cgroup to probe: %s", err.msg);
		return;
	}
	args.cgroup = (uint64_t)cg.v2_fd;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(0);
	e = errno;
	if (pid > 0 && wait_child(pid) == 0)
		set(F_CLONE3, true, "clone3(CLONE_INTO_CGROUP) works");
	else if (pid > 0)
		set(F_CLONE3, false, "the child cloned into %s failed", cg.v2_path);
	else
		set(F_CLONE3, false, "clone3(CLONE_INTO_CGROUP): %s: needs Linux 5.7 or later "
		    "(kernel %s)", strerror(e), uts.release);
	if (gb_cg_destroy(&cg, &err) < 0)
		set(F_CLONE3, false, "remove the probe cgroup: %s", err.msg);
}

static void check_pidfd(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);

	if (fd < 0) {
		set(F_PIDFD, false, "pidfd_open: %s: needs Linux 5.3 or later (kernel %s)",
		    strerror(errno), uts.release);
		return;
	}
	close(fd);
	set(F_PIDFD, true, "pidfd_open works");
}

static void check_seccomp(void)
{
	_cleanup_free_ char *status = NULL;
	gb_error err = { 0 };
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	char *line;

	if (mode < 0) {
		set(F_SECCOMP, false, "prctl(PR_GET_SECCOMP): %s: the kernel lacks CONFIG_SECCOMP",
		    strerror(errno));
		return;
	}
	/* A NULL filter fails with EFAULT only where filter mode exists (and
	 * EINVAL where it does not); nothing is installed either way. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) == 0 ||
	    (errno != EFAULT && errno != EACCES)) {
		set(F_SECCOMP, false, "seccomp filter mode: %s: the kernel lacks "
		    "CONFIG_SECCOMP_FILTER", strerror(errno));
		return;
	}
	gb_read_file("/proc/self/status", 65536, &status, NULL, &err);
	line = status ? strstr(status, "\nSeccomp:") : NULL;
	if (line && mode == SECCOMP_MODE_FILTER)
		set(F_SECCOMP, true, "filter mode works (gradebox itself already runs under a "
		    "filter; the sandbox's is added on top)");
	else
		set(F_SECCOMP, true, "filter mode works%s", line ? "" :
		    " (no Seccomp field in /proc/self/status)");
}

/* Nearest existing directory at or above path (where path would live). */
static void existing_dir(const char *path, char *out, size_t size)
{
	struct stat st;
	char *slash;

	snprintf(out, size, "%s", path);
	while (stat(out, &st) < 0 || !S_ISDIR(st.st_mode)) {
		slash = strrchr(out, '/');
		if (!slash || slash == out) {
			snprintf(out, size, "/");
			return;
		}
		*slash = '\0';
	}
}

/* A user namespace fd with gradebox's mapping, from a child that made it. */
static int probe_userns(uid_t base, gb_error *err)
{
	char path[64], map[64];
	int go[2], fd = -1;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return gb_fail_errno(err, "pipe");
	pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		/* Wait until the parent has mapped ids and taken the namespace. */
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	if (pid < 0) {
		close(go[1]);
		return gb_fail_errno(err, "fork");
	}
	snprintf(map, sizeof(map), "0 %u %u", (unsigned)base, GB_ID_RANGE);
	/* Retry until the child's unshare has happened (its ns differs). */
	for (int i = 0; i < 1000 && fd < 0; i++) {
		struct stat a, b;
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		if (stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		else
			usleep(1000);
	}
	if (fd >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
		if (gb_write_file(path, map, err) < 0) {
			close(fd);
			fd = -1;
		}
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
		if (fd >= 0 && gb_write_file(path, map, err) < 0) {
			close(fd);
			fd = -1;
		}
	} else {
		gb_fail(err, 0, "the child did not enter a new user namespace");
	}
	close(go[1]);
	wait_child(pid);
	return fd;
}

static void check_idmap(const struct gb_config *cfg)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	_cleanup_close_ int userns = -1, tree = -1;
	gb_error err = { 0 };
	char dir[PATH_MAX];

	if (!kernel_at_least(5, 12)) {
		set(F_IDMAP, false, "needs Linux 5.12 or later (kernel %s); image layers are then "
		    "mounted without id shifting", uts.release);
		return;
	}
	existing_dir(cfg->state_dir, dir, sizeof(dir));
	userns = probe_userns(cfg->uid_base, &err);
	if (userns < 0) {
		set(F_IDMAP, false, "could not make a user namespace to probe: %s", err.msg);
		return;
	}
	/* A detached copy of the mount: idmapped, then dropped unattached. */
	tree = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	attr.userns_fd = (uint64_t)userns;
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		set(F_IDMAP, false, "%s on %s: %s: the filesystem holding state_dir "
		    "cannot shift ids (ext4, xfs, btrfs and tmpfs on 6.3+ can)",
		    tree < 0 ? "open_tree" : "mount_setattr(MOUNT_ATTR_IDMAP)", dir,
		    strerror(errno));
	else
		set(F_IDMAP, true, "idmapped mounts work on %s", dir);
}

/* A grading job's /task/student lies on its tmpfs and is shared with its
 * student sandboxes: each gets its own uid slot only where tmpfs can be
 * idmapped (Linux 6.3); before, student sandboxes share the grader's ids. */
static void check_tmpfs_idmap(const struct gb_config *cfg)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	_cleanup_close_ int userns = -1, fs = -1, mnt = -1;
	gb_error err = { 0 };

	userns = probe_userns(cfg->uid_base, &err);
	if (userns < 0) {
		set(F_TMPFS_IDMAP, false, "could not make a user namespace to probe: %s", err.msg);
		return;
	}
	attr.userns_fd = (uint64_t)userns;
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs >= 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0 || mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		set(F_TMPFS_IDMAP, false, "tmpfs cannot shift ids here (kernel %s; Linux 6.3 can): "
		    "a grading job's student sandboxes share its ids (uid slot) to share "
		    "/task/student", uts.release);
	else
		set(F_TMPFS_IDMAP, true, "student sandboxes get uid slots of their own");
}

static void check_helpers(const struct gb_config *cfg)
{
	char bin[PATH_MAX + 32];

	snprintf(bin, sizeof(bin), "%s/bin/gradebox-api", cfg->helpers_dir);
	if (access(bin, X_OK) < 0)
		set(F_HELPERS, false, "%s: %s: gradebox grade needs it (make; make install, or "
		    "set helpers_dir)", bin, strerror(errno));
	else
		set(F_HELPERS, true, "%s", cfg->helpers_dir);
}

/* Can files be made in dir? access() says yes to root even on /proc, so
 * make and remove a directory there. */
static int probe_writable(const char *dir, gb_error *err)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s/.gradebox-check-XXXXXX", dir) >= (int)sizeof(tmp))
		return gb_fail(err, ENAMETOOLONG, "%s", dir);
	if (!mkdtemp(tmp))
		return gb_fail_errno(err, "create a directory in %s", dir);
	rmdir(tmp);
	return 0;
}

static void check_paths(const struct gb_config *cfg)
{
	gb_error err = { 0 };
	struct stat st;

	if (access(cfg->config_file, R_OK) == 0)
		set(F_CONFIG, true, "%s", cfg->config_file);
	else
		set(F_CONFIG, false, "%s: %s; built-in defaults are used", cfg->config_file,
		    strerror(errno));

	if (access(cfg->seccomp_profile, R_OK) == 0)
		set(F_PROFILE, true, "%s", cfg->seccomp_profile);
	else
		set(F_PROFILE, false, "%s: %s: install gradebox (make install), or set "
		    "seccomp_profile", cfg->seccomp_profile, strerror(errno));

	if (stat(cfg->state_dir, &st) < 0)
		set(F_STATE, false, "%s: %s; no image store yet: mkdir -p it (or set "
		    "state_dir)", cfg->state_dir, strerror(errno));
	else if (probe_writable(cfg->state_dir, &err) < 0)
		set(F_STATE, false, "%s: set state_dir to a writable directory", err.msg);
	else
		set(F_STATE, true, "%s", cfg->state_dir);

	/* Every job makes the run dir anyway, so making it here costs nothing. */
	if (gb_mkdir_p(cfg->run_dir, 0700, &err) < 0 || probe_writable(cfg->run_dir, &err) < 0)
		set(F_RUN, false, "%s: set run_dir to a writable place (a tmpfs such as /run)",
		    err.msg);
	else
		set(F_RUN, true, "%s", cfg->run_dir);
}

static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);

	return j ? j : json_string("(not UTF-8)");
}

static int print_json(const struct gb_cg_host *host, bool all_ok)
{
	static const char *backends[] = { "none", "v2", "hybrid" };
	json_t *root = json_object();
	char *text;

	json_object_set_new(root, "ok", json_boolean(all_ok));
	json_object_set_new(root, "kernel", jstr(uts.release));
	for (int i = 0; i < F_COUNT; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "ok", json_boolean(features[i].ok));
		json_object_set_new(o, "required", json_boolean(features[i].required));
		if (i == F_CGROUP) {
			json_object_set_new(o, "backend", jstr(backends[host->backend]));
			json_object_set_new(o, "why", jstr(features[i].detail));
			json_object_set_new(o, "v2_base", jstr(host->v2_base));
			if (host->backend == GB_CG_HYBRID) {
				json_object_set_new(o, "memory_base", jstr(host->mem_base));
				json_object_set_new(o, "pids_base", jstr(host->pids_base));
			}
		} else {
			json_object_set_new(o, "detail", jstr(features[i].detail));
		}
		json_object_set_new(root, features[i].key, o);
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -1;
	puts(text);
	free(text);
	return 0;
}

int gb_cmd_check(int argc, char **argv, struct gb_config *cfg)
{
	struct gb_cg_host host = { .backend = GB_CG_NONE };
	bool json = false, all_ok = true;
	int first_bad = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("usage: gradebox check [--json]\n"
			     "  what this host supports, and what to change where it falls short");
			return 0;
		} else {
			return gb_cli_usage("check: unknown argument '%s'", argv[i]);
		}
	}
	uname(&uts);
	check_cgroup(cfg, &host);
	check_userns();
	check_overlay();
	check_clone3(&host);
	check_pidfd();
	check_seccomp();
	check_idmap(cfg);
	check_tmpfs_idmap(cfg);
	check_helpers(cfg);
	check_paths(cfg);

	for (int i = 0; i < F_COUNT; i++) {
		if (features[i].required && !features[i].ok) {
			all_ok = false;
			if (first_bad < 0)
				first_bad = i;
		}
	}
	if (json) {
		if (print_json(&host, all_ok) < 0) {
			fputs("gradebox: check: out of memory\n", stderr);
			return GB_EXIT_FAILURE;
		}
	} else {
		printf("kernel %s %s\n", uts.release, uts.machine);
		for (int i = 0; i < F_COUNT; i++)
			printf("%-20s %-8s %s%s\n", features[i].label, features[i].ok ? "ok" : "missing",
			       features[i].detail,
			       !features[i].ok && !features[i].required ? " (optional)" : "");
		puts(all_ok ? "gradebox can run jobs on this host" :
			      "gradebox cannot run jobs on this host: fix the missing required lines");
	}
	fflush(stdout);
	if (!all_ok) {
		fprintf(stderr, "gradebox: %s: %s\n", features[first_bad].label,
			features[first_bad].detail);
		return GB_EXIT_FAILURE;
	}
	return 0;
}
