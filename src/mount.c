/* mount: see mount.h. Uses the new mount API (open_tree, mount_setattr,
 * move_mount, fsopen): attributes are applied to a detached tree before it
 * is attached, recursively, so no bind is ever visible writable or suid. */
#include "mount.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "util.h"

#define GB_ROOT_DIR "root"

/* Host-wide or sensitive files hidden behind /dev/null or an empty tmpfs
 * (the list Docker and runc use). */
static const char *const masked_paths[] = {
	"proc/kcore", "proc/keys", "proc/timer_list", "proc/sched_debug",
	"proc/latency_stats", "proc/acpi", "proc/scsi", "proc/asound",
	"proc/interrupts", "proc/sysrq-trigger",
};
static const char *const readonly_paths[] = {
	"proc/sys", "proc/irq", "proc/bus", "proc/fs",
};
/* The usual character devices, made in the sandbox's /dev tmpfs by host
 * root: one mknod each, where a bind of the host's node costs six calls. */
static const struct {
	const char *name;
	unsigned major, minor;
} dev_nodes[] = {
	{ "null", 1, 3 },    { "zero", 1, 5 },	  { "full", 1, 7 },
	{ "random", 1, 8 },  { "urandom", 1, 9 }, { "tty", 5, 0 },
};
#define GB_DEV_NODE_MODE (S_IFCHR | 0666)
static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },	   { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },   { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },		   { "core", "/proc/kcore" },
};

static int openat2_in(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return (int)GB_RETRY(syscall(SYS_openat2, rootfd, path, &how, sizeof(how)));
}

/* Create (as directories, or a file for the last component when !dir) every
 * missing component of path inside rootfd, then return an O_PATH fd of it.
 * Symlinks in an existing component resolve inside the root. */
static int mkpath_in(int rootfd, const char *path, bool dir, gb_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	char *p;

	while (*path == '/')
		path++, len--;
	if (len == 0)
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (len >= sizeof(buf))
		return gb_fail(err, ENAMETOOLONG, "%s", path);
	memcpy(buf, path, len + 1);
	for (p = buf;; p++) {
		bool last = (*p == '\0');
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		int fd = openat2_in(rootfd, buf, O_PATH);
		if (fd < 0 && errno == ENOENT) {
			/* Create in the resolved parent, never through a link. */
			char *slash = strrchr(buf, '/');
			_cleanup_close_ int parent =
				slash ? (*slash = '\0', openat2_in(rootfd, buf, O_PATH | O_DIRECTORY))
				      : fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
			const char *name = slash ? slash + 1 : buf;
			int r;

			if (parent < 0)
				return gb_fail_errno(err, "resolve /%s", buf);
			if (slash)
				*slash = '/';
			if (last && !dir) {
				r = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
						       O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(parent, name, 0755);
			}
			if (r < 0 && errno != EEXIST)
				return gb_fail_errno(err, "create mount point /%s", buf);
			fd = openat2_in(rootfd, buf, O_PATH);
		}
		if (fd < 0)
			return gb_fail_errno(err, "resolve /%s", buf);
		if (last)
			return fd;
		close(fd);
		*p = '/';
	}
}

static int attach(int tree, int target, const char *what, gb_error *err)
{
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return gb_fail_errno(err, "attach %s", what);
	return 0;
}

static int setattr(int tree, uint64_t set, uint64_t clr, int userns_fd, bool recursive)
{
	struct mount_attr attr = { .attr_set = set, .attr_clr = clr };

	if (set & MOUNT_ATTR_IDMAP)
		attr.userns_fd = userns_fd;
	return mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			     sizeof(attr));
}

/* Attach the detached tree (a bind of `what`) with attributes `set` on `path`
 * inside rootfd, created as a directory or a file matching the tree. */
static int attach_tree(int rootfd, int tree, const char *what, const char *path, uint64_t set,
		       gb_error *err)
{
	_cleanup_close_ int target = -1;
	struct stat st;

	if (fstat(tree, &st) < 0)
		return gb_fail_errno(err, "stat %s", what);
	if (setattr(tree, set, 0, -1, true) < 0)
		return gb_fail_errno(err, "set attributes of bind %s", what);
	target = mkpath_in(rootfd, path, S_ISDIR(st.st_mode), err);
	if (target < 0)
		return gb_context(err, "bind %s on %s", what, path);
	return attach(tree, target, path, err);
}

static int clone_tree(const char *src, bool recursive, gb_error *err)
{
	int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						   (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return gb_fail_errno(err, "bind %s", src);
	return tree;
}

static int bind_into(int rootfd, const char *src, const char *path, uint64_t set,
		     gb_error *err)
{
	_cleanup_close_ int tree = clone_tree(src, true, err);

	if (tree < 0)
		return -1;
	return attach_tree(rootfd, tree, src, path, set, err);
}

static int new_fs(const char *type, const char *opts, uint64_t attrs, gb_error *err)
{
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
	char buf[512], *save = NULL, *kv;

	if (fs < 0)
		return gb_fail_errno(err, "fsopen %s", type);
	snprintf(buf, sizeof(buf), "%s", opts ? opts : "");
	for (char *p = buf; (kv = strtok_r(p, ",", &save)); p = NULL) {
		char *eq = strchr(kv, '=');
		int r;
		if (eq) {
			*eq = '\0';
			r = fsconfig(fs, FSCONFIG_SET_STRING, kv, eq + 1, 0);
		} else {
			r = fsconfig(fs, FSCONFIG_SET_FLAG, kv, NULL, 0);
		}
		if (r < 0)
			return gb_fail_errno(err, "%s option %s", type, kv);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return gb_fail_errno(err, "create %s", type);
	int m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attrs);
	if (m < 0)
		return gb_fail_errno(err, "fsmount %s", type);
	return m;
}

static int mount_new_in(int rootfd, const char *path, const char *type, const char *opts,
			uint64_t attrs, gb_error *err)
{
	_cleanup_close_ int m = -1, target = -1;

	m = new_fs(type, opts, attrs, err);
	if (m < 0)
		return gb_context(err, "mount %s on /%s", type, path);
	target = mkpath_in(rootfd, path, true, err);
	if (target < 0)
		return gb_context(err, "mount %s", type);
	return attach(m, target, path, err);
}

/* Job tmpfs on job_dir: every byte the sandbox writes lands here, so its
 * size is the disk limit. */
static int mount_scratch(const struct gb_mount_plan *p, gb_error *err)
{
	char opts[128];
	/* dev and empty are bound as /dev and over masked /proc directories:
	 * directories of this tmpfs rather than tmpfs instances of their own,
	 * two superblocks fewer to make and to tear down per sandbox. */
	static const char *const dirs[] = { "upper", "work", "l", GB_ROOT_DIR, "tmp", "shm",
					    "dev", "empty" };

	if (p->disk_bytes)
		snprintf(opts, sizeof(opts), "mode=0755,size=%llu",
			 (unsigned long long)p->disk_bytes);
	else
		snprintf(opts, sizeof(opts), "mode=0755");
	if (mount("gradebox", p->job_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return gb_fail_errno(err, "mount the job tmpfs on %s", p->job_dir);
	if (chdir(p->job_dir) < 0)
		return gb_fail_errno(err, "chdir %s", p->job_dir);
	for (size_t i = 0; i < GB_ARRAY_SIZE(dirs); i++)
		if (mkdir(dirs[i], 0755) < 0)
			return gb_fail_errno(err, "mkdir %s/%s", p->job_dir, dirs[i]);
	/* The merged root takes upper's owner: make it root inside, not nobody.
	 * tmp and shm are world-writable and sticky, as usual. */
	if (chown("upper", p->root_uid, p->root_uid) < 0 ||
	    chown("dev", p->root_uid, p->root_uid) < 0 ||
	    chown("empty", p->root_uid, p->root_uid) < 0 ||
	    chown("tmp", p->root_uid, p->root_uid) < 0 ||
	    chown("shm", p->root_uid, p->root_uid) < 0 || chmod("tmp", 01777) < 0 ||
	    chmod("shm", 01777) < 0)
		return gb_fail_errno(err, "prepare %s", p->job_dir);
	return 0;
}

/* Each layer is an idmapped read-only bind under l/N, so files owned by uid
 * 0 in the image show as root inside the user namespace. Filesystems that
 * cannot idmap get a plain bind (files then show as nobody). */
static int stage_lowers(const struct gb_mount_plan *p, const int *trees, char *opt,
			size_t optlen, gb_error *err)
{
	size_t used = snprintf(opt, optlen, "lowerdir=");

	for (size_t i = 0; i < p->nlowers; i++) {
		int tree = trees[i];
		char name[32];
		uint64_t attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

		snprintf(name, sizeof(name), "l/%zu", i);
		if (p->userns_fd >= 0 &&
		    setattr(tree, attrs | MOUNT_ATTR_IDMAP, 0, p->userns_fd, false) == 0)
			attrs = 0;
		if (attrs && setattr(tree, attrs, 0, -1, false) < 0)
			return gb_fail_errno(err, "make layer %s read-only", p->lowers[i]);
		if (mkdir(name, 0755) < 0)
			return gb_fail_errno(err, "mkdir %s", name);
		if (move_mount(tree, "", AT_FDCWD, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return gb_fail_errno(err, "attach layer %s", p->lowers[i]);
		/* overlay lists the top layer first */
		used += snprintf(opt + used, used < optlen ? optlen - used : 0, "%sl/%zu",
				 i ? ":" : "", p->nlowers - 1 - i);
	}
	used += snprintf(opt + used, used < optlen ? optlen - used : 0,
			 ",upperdir=upper,workdir=work");
	if (used >= optlen)
		return gb_fail(err, E2BIG, "too many layers for one overlay mount");
	return 0;
}

static int mount_proc(int rootfd, gb_error *err)
{
	if (mount_new_in(rootfd, "proc", "proc", NULL,
			 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err) < 0)
		return -1;
	for (size_t i = 0; i < GB_ARRAY_SIZE(masked_paths); i++) {
		_cleanup_close_ int t = openat2_in(rootfd, masked_paths[i], O_PATH);
		struct stat st;

		if (t < 0 && errno == ENOENT)
			continue;
		if (t < 0 || fstat(t, &st) < 0)
			return gb_fail_errno(err, "mask /%s", masked_paths[i]);
		if (S_ISDIR(st.st_mode)) {
			if (bind_into(rootfd, "empty", masked_paths[i],
				      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					      MOUNT_ATTR_NOEXEC,
				      err) < 0)
				return -1;
		} else if (bind_into(rootfd, "/dev/null", masked_paths[i],
				     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
				     err) < 0) {
			return -1;
		}
	}
	for (size_t i = 0; i < GB_ARRAY_SIZE(readonly_paths); i++) {
		_cleanup_close_ int t = openat2_in(rootfd, readonly_paths[i], O_PATH), tree = -1;

		if (t < 0 && errno == ENOENT)
			continue;
		if (t < 0)
			return gb_fail_errno(err, "open /%s", readonly_paths[i]);
		tree = open_tree(t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
						AT_RECURSIVE);
		if (tree < 0 || setattr(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
					0, -1, true) < 0)
			return gb_fail_errno(err, "make /%s read-only", readonly_paths[i]);
		if (attach(tree, t, readonly_paths[i], err) < 0)
			return -1;
	}
	return 0;
}

/* /dev: the job tmpfs's dev directory (owned by root inside), bound without
 * nodev — the one mount where device nodes open; made by host root, so
 * nothing inside can add one. */
static int mount_dev(int rootfd, uid_t root_uid, gb_error *err)
{
	_cleanup_close_ int dev = -1, tree = clone_tree("dev", false, err), target = -1;

	if (tree < 0)
		return -1;
	if (setattr(tree, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NODEV, -1, false) < 0)
		return gb_fail_errno(err, "set attributes of /dev");
	target = mkpath_in(rootfd, "dev", true, err);
	if (target < 0 || attach(tree, target, "dev", err) < 0)
		return gb_context(err, "mount /dev");
	dev = openat2_in(rootfd, "dev", O_DIRECTORY);
	if (dev < 0)
		return gb_fail_errno(err, "open /dev");
	for (size_t i = 0; i < GB_ARRAY_SIZE(dev_nodes); i++) {
		const char *name = dev_nodes[i].name;
		if (mknodat(dev, name, GB_DEV_NODE_MODE,
			    makedev(dev_nodes[i].major, dev_nodes[i].minor)) < 0 ||
		    fchmodat(dev, name, GB_DEV_NODE_MODE & 07777, 0) < 0 ||
		    fchownat(dev, name, root_uid, root_uid, AT_SYMLINK_NOFOLLOW) < 0)
			return gb_fail_errno(err, "make /dev/%s", name);
	}
	for (size_t i = 0; i < GB_ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0 ||
		    fchownat(dev, dev_links[i].name, root_uid, root_uid, AT_SYMLINK_NOFOLLOW) < 0)
			return gb_fail_errno(err, "symlink /dev/%s", dev_links[i].name);
	if (mount_new_in(rootfd, "dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620",
			 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err) < 0)
		return -1;
	return bind_into(rootfd, "shm", "dev/shm", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
}

static int pivot(gb_error *err)
{
	if (chdir(GB_ROOT_DIR) < 0)
		return gb_fail_errno(err, "chdir to the new root");
	/* pivot_root(".", ".") stacks the old root under the new one; detaching
	 * it leaves no path back to the host. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return gb_fail_errno(err, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return gb_fail_errno(err, "detach the old root");
	if (chdir("/") < 0)
		return gb_fail_errno(err, "chdir /");
	return 0;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gb_closep(&fds[i]);
}

int gb_mount_sandbox(const struct gb_mount_plan *p, int *scratch_fd, gb_error *err)
{
	_cleanup_close_ int rootfd = -1;
	int lowers[GB_MOUNT_MAX_LAYERS], binds[GB_MOUNT_MAX_BINDS];
	size_t nl = 0, nb = 0;
	char opts[4096];
	int r = -1;

	if (p->nlowers == 0 || p->nlowers > GB_MOUNT_MAX_LAYERS)
		return gb_fail(err, E2BIG, "an image needs 1 to %d layers, not %zu",
			       GB_MOUNT_MAX_LAYERS, p->nlowers);
	if (p->nbinds > GB_MOUNT_MAX_BINDS)
		return gb_fail(err, E2BIG, "at most %d binds", GB_MOUNT_MAX_BINDS);
	/* Nothing mounted here propagates back to the host, and vice versa. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return gb_fail_errno(err, "make / private");
	/* Take every host source before the job tmpfs hides run_dir: a layer
	 * or bind below it stays reachable. */
	for (; nl < p->nlowers; nl++)
		if ((lowers[nl] = clone_tree(p->lowers[nl], false, err)) < 0)
			goto out;
	for (; nb < p->nbinds; nb++)
		if ((binds[nb] = clone_tree(p->binds[nb].src, true, err)) < 0)
			goto out;
	if (mount_scratch(p, err) < 0)
		goto out;
	*scratch_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*scratch_fd < 0) {
		gb_fail_errno(err, "open the job tmpfs");
		goto out;
	}
	if (stage_lowers(p, lowers, opts, sizeof(opts), err) < 0)
		goto out;
	if (mount("overlay", GB_ROOT_DIR, "overlay", MS_NOSUID | MS_NODEV, opts) < 0) {
		gb_fail_errno(err, "mount the overlay root (%s)", opts);
		goto out;
	}
	rootfd = open(GB_ROOT_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		gb_fail_errno(err, "open the new root");
		goto out;
	}
	if (mount_proc(rootfd, err) < 0 || mount_dev(rootfd, p->root_uid, err) < 0)
		goto out;
	if (bind_into(rootfd, "tmp", "tmp", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err) < 0)
		goto out;
	for (size_t i = 0; i < p->nbinds; i++) {
		const struct gb_bind *b = &p->binds[i];
		uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
		if (!b->rw)
			attrs |= MOUNT_ATTR_RDONLY;
		if (attach_tree(rootfd, binds[i], b->src, b->dst, attrs, err) < 0)
			goto out;
	}
	r = pivot(err);
out:
	close_all(lowers, nl);
	close_all(binds, nb);
	return r;
}
