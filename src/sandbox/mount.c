/* mount: see mount.h. Uses the new mount API (open_tree, mount_setattr,
 * move_mount, fsopen): attributes are applied to a detached tree before it
 * is attached, recursively, so no bind is ever visible writable or suid. */
#include "mount.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "util.h"

#define GB_ROOT_DIR "root"

/* Host-wide or sensitive files hidden behind /dev/null or an empty
 * directory (the list Docker and runc use), relative to the proc mount. */
static const char *const masked_paths[] = {
	"kcore", "keys", "timer_list", "sched_debug", "latency_stats", "acpi",
	"scsi", "asound", "interrupts", "sysrq-trigger",
};
static const char *const readonly_paths[] = { "sys", "irq", "bus", "fs" };
/* Where gradebox mounts in the image's root. Each must be a real directory:
 * a symlink there would send the mount wherever the image likes (proc ->
 * tmp/p puts /proc under the later /tmp mount, with its masks). dev/pts
 * and dev/shm lie in gradebox's own /dev and need no check. */
enum { GB_SYS_PROC, GB_SYS_DEV, GB_SYS_TMP, GB_SYS_N };
static const char *const system_dirs[GB_SYS_N] = { "proc", "dev", "tmp" };
#define GB_SYSTEM_DIR_MODE 0755
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
 * missing component of path inside rootfd, owned by `owner` (root inside:
 * not nobody), then return an O_PATH fd of it.
 * Symlinks in an existing component resolve inside the root. */
static int mkpath_in(int rootfd, const char *path, bool dir, uid_t owner, gb_error *err)
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
			if (r >= 0)
				(void)!fchownat(parent, name, owner, owner, AT_SYMLINK_NOFOLLOW);
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
		       uid_t owner, gb_error *err)
{
	_cleanup_close_ int target = -1;
	struct stat st;

	if (fstat(tree, &st) < 0)
		return gb_fail_errno(err, "stat %s", what);
	if (setattr(tree, set, 0, -1, true) < 0)
		return gb_fail_errno(err, "set attributes of bind %s", what);
	target = mkpath_in(rootfd, path, S_ISDIR(st.st_mode), owner, err);
	if (target < 0)
		return gb_context(err, "bind %s on %s", what, path);
	return attach(tree, target, path, err);
}

static int new_fs(const char *type, const char *opts, uint64_t attrs, gb_error *err);

/* An overlay bind asking for ids (its files shown as its owner's). */
static bool b_wants_owner(const struct gb_bind *b)
{
	return b->overlay && b->idmap;
}

/* Idmap a bind's tree (gb_bind.idmap): a filesystem that cannot (tmpfs
 * before Linux 6.3) keeps its plain ids. True when idmapped. */
static bool idmap_tree(const struct gb_mount_plan *p, const struct gb_bind *b)
{
	int ns = b->idmap_fd >= 1 ? b->idmap_fd : p->userns_fd;

	return b->idmap && ns >= 0 && setattr(b->tree, MOUNT_ATTR_IDMAP, 0, ns, false) == 0;
}

/* Where an overlay's lower tree cannot be idmapped (tmpfs before Linux
 * 6.3), its files are given to the overlay's owner the way INGInious does
 * (chown -R), through the overlay: with metacopy only their metadata is
 * copied up, never the data, and the source is not touched. */
#define GB_CHOWN_DEPTH 64
static int chown_tree(int dir, uid_t id, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (fchown(dir, id, id) < 0)
		return -1;
	if (depth > GB_CHOWN_DEPTH)
		return 0;
	fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int sub = -1;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR) {
			if (fchownat(dir, de->d_name, id, id, AT_SYMLINK_NOFOLLOW) < 0)
				return -1;
			continue;
		}
		sub = openat(dir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || chown_tree(sub, id, depth + 1) < 0)
			return -1;
	}
	return 0;
}

/* A writable overlay over bind i (gb_bind.overlay): its tree, attached
 * under the job tmpfs as the only lower layer, upper and work beside it. */
static int mount_overlay_bind(const struct gb_mount_plan *p, size_t i, int rootfd,
			      bool idmapped, gb_error *err)
{
	bool give = b_wants_owner(&p->binds[i]) && !idmapped;
	const struct gb_bind *b = &p->binds[i];
	char lower[32], upper[32], work[32], opts[128];
	_cleanup_close_ int target = -1, ov = -1;

	snprintf(lower, sizeof(lower), "ovl-%zu", i);
	snprintf(upper, sizeof(upper), "ovu-%zu", i);
	snprintf(work, sizeof(work), "ovw-%zu", i);
	if (setattr(b->tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, -1,
		    true) < 0)
		return gb_fail_errno(err, "make %s read-only", b->src);
	if (mkdir(lower, 0755) < 0 || mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 ||
	    chown(upper, p->root_uid + b->overlay_owner, p->root_uid + b->overlay_owner) < 0)
		return gb_fail_errno(err, "prepare the overlay of %s", b->src);
	if (move_mount(b->tree, "", AT_FDCWD, lower, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return gb_fail_errno(err, "attach %s", b->src);
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s%s", lower, upper, work,
		 give ? ",metacopy=on" : "");
	ov = new_fs("overlay", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
	if (ov < 0)
		return gb_context(err, "overlay of %s", b->src);
	if (give) {
		/* fsmount's fd is O_PATH: chown needs the directory opened */
		_cleanup_close_ int dir = openat(ov, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dir < 0 || chown_tree(dir, p->root_uid + b->overlay_owner, 0) < 0)
			return gb_fail_errno(err, "give the files of %s to its owner", b->src);
	}
	target = mkpath_in(rootfd, b->dst, true, p->root_uid, err);
	if (target < 0)
		return gb_context(err, "overlay of %s on %s", b->src, b->dst);
	return attach(ov, target, b->dst, err);
}

static int mount_bind(const struct gb_mount_plan *p, size_t i, int rootfd, gb_error *err)
{
	const struct gb_bind *b = &p->binds[i];
	uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

	bool idmapped = idmap_tree(p, b);

	if (b->overlay)
		return mount_overlay_bind(p, i, rootfd, idmapped, err);
	if (!b->rw)
		attrs |= MOUNT_ATTR_RDONLY;
	return attach_tree(rootfd, b->tree, b->src, b->dst, attrs, p->root_uid, err);
}

static int clone_tree(const char *src, bool recursive, gb_error *err)
{
	int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						   (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return gb_fail_errno(err, "bind %s", src);
	return tree;
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

	if (p->scratch_ready) {
		/* the job's tmpfs, made by the supervisor: only our directory */
		struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
					.resolve = RESOLVE_NO_SYMLINKS };
		_cleanup_close_ int dir = (int)GB_RETRY(syscall(SYS_openat2, AT_FDCWD, p->job_dir,
								&how, sizeof(how)));
		if (dir < 0 || fchdir(dir) < 0)
			return gb_fail_errno(err, "enter the job directory %s", p->job_dir);
		goto made;
	}
	if (p->disk_bytes) {
		uint64_t inodes = p->disk_bytes / GB_MOUNT_BYTES_PER_INODE;
		snprintf(opts, sizeof(opts), "mode=0755,size=%llu,nr_inodes=%llu",
			 (unsigned long long)p->disk_bytes,
			 (unsigned long long)(inodes > GB_MOUNT_MIN_INODES ? inodes
									   : GB_MOUNT_MIN_INODES));
	} else
		snprintf(opts, sizeof(opts), "mode=0755");
	if (mount("gradebox", p->job_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return gb_fail_errno(err, "mount the job tmpfs on %s", p->job_dir);
	if (chdir(p->job_dir) < 0)
		return gb_fail_errno(err, "chdir %s", p->job_dir);
made:
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

/* Open the root's directory `name` without following a symlink. Where the
 * image has a symlink, a file or nothing there, put an empty directory in
 * its place: in the overlay, so only this sandbox's upper layer changes.
 * Replacing rather than refusing keeps images that ship /tmp as a symlink
 * (or no /proc) working, at no cost for the usual ones. */
static int system_dir(int rootfd, const char *name, uid_t root_uid, gb_error *err)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV,
	};
	int fd = (int)GB_RETRY(syscall(SYS_openat2, rootfd, name, &how, sizeof(how)));

	if (fd >= 0)
		return fd;
	if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
		return gb_fail_errno(err, "open the image's /%s", name);
	if (errno != ENOENT && unlinkat(rootfd, name, 0) < 0)
		return gb_fail_errno(err, "replace the image's /%s (not a directory)", name);
	if (mkdirat(rootfd, name, GB_SYSTEM_DIR_MODE) < 0 ||
	    fchownat(rootfd, name, root_uid, root_uid, AT_SYMLINK_NOFOLLOW) < 0)
		return gb_fail_errno(err, "make the directory /%s", name);
	fd = (int)GB_RETRY(syscall(SYS_openat2, rootfd, name, &how, sizeof(how)));
	if (fd < 0)
		return gb_fail_errno(err, "open the new directory /%s", name);
	return fd;
}

/* An entry of the mounted proc itself: never through a symlink or another
 * mount, whatever the image's tree looks like. */
static int proc_entry(int procfd, const char *name)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV,
	};
	return (int)GB_RETRY(syscall(SYS_openat2, procfd, name, &how, sizeof(how)));
}

/* A fresh proc on target (a real directory, see system_dir), mounted last
 * so no later mount can cover it, then its masks, applied from the fd of
 * the proc mount itself. A mask that cannot be applied is an error; an
 * entry this kernel's procfs lacks needs none. */
static int mount_proc(int target, gb_error *err)
{
	_cleanup_close_ int proc = new_fs("proc", NULL,
					  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
					  err);

	if (proc < 0)
		return gb_context(err, "mount /proc");
	if (attach(proc, target, "/proc", err) < 0)
		return -1;
	for (size_t i = 0; i < GB_ARRAY_SIZE(masked_paths); i++) {
		_cleanup_close_ int t = proc_entry(proc, masked_paths[i]), tree = -1;
		struct stat st;
		bool dir;

		if (t < 0 && errno == ENOENT)
			continue;
		if (t < 0 || fstat(t, &st) < 0)
			return gb_fail_errno(err, "mask /proc/%s", masked_paths[i]);
		dir = S_ISDIR(st.st_mode);
		tree = clone_tree(dir ? "empty" : "/dev/null", false, err);
		/* A file reads as /dev/null, which needs its node to open: no
		 * nodev there (the node is the host's, made by no sandbox). */
		if (tree < 0 || setattr(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						      MOUNT_ATTR_NOEXEC | (dir ? MOUNT_ATTR_NODEV : 0),
					0, -1, false) < 0)
			return gb_fail_errno(err, "mask /proc/%s", masked_paths[i]);
		if (attach(tree, t, masked_paths[i], err) < 0)
			return gb_context(err, "mask /proc");
	}
	for (size_t i = 0; i < GB_ARRAY_SIZE(readonly_paths); i++) {
		_cleanup_close_ int t = proc_entry(proc, readonly_paths[i]), tree = -1;

		if (t < 0 && errno == ENOENT)
			continue;
		if (t < 0)
			return gb_fail_errno(err, "open /proc/%s", readonly_paths[i]);
		tree = open_tree(t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
						AT_RECURSIVE);
		if (tree < 0 || setattr(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
					0, -1, true) < 0)
			return gb_fail_errno(err, "make /proc/%s read-only", readonly_paths[i]);
		if (attach(tree, t, readonly_paths[i], err) < 0)
			return gb_context(err, "make /proc read-only");
	}
	return 0;
}

/* A subdirectory of the mounted tree `tree` (one of gradebox's own). */
static int own_subdir(int tree, const char *name, gb_error *err)
{
	int fd = openat(tree, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return gb_fail_errno(err, "open /dev/%s", name);
	return fd;
}

/* /dev: the job tmpfs's dev directory (owned by root inside), filled while
 * only gradebox can reach it, then bound on target without nodev — the one
 * mount where device nodes open; made by host root, so nothing inside can
 * add one. */
static int mount_dev(int target, uid_t root_uid, gb_error *err)
{
	_cleanup_close_ int dev = open("dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int tree = -1, pts = -1, m = -1, shm = -1, shm_tree = -1;

	if (dev < 0)
		return gb_fail_errno(err, "open the job's dev directory");
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
	if (mkdirat(dev, "pts", GB_SYSTEM_DIR_MODE) < 0 ||
	    mkdirat(dev, "shm", GB_SYSTEM_DIR_MODE) < 0)
		return gb_fail_errno(err, "make /dev/pts and /dev/shm");
	tree = clone_tree("dev", false, err);
	if (tree < 0)
		return -1;
	if (setattr(tree, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NODEV, -1, false) < 0)
		return gb_fail_errno(err, "set attributes of /dev");
	if (attach(tree, target, "dev", err) < 0)
		return gb_context(err, "mount /dev");
	/* tree is now the attached /dev: mount below it, not by path */
	pts = own_subdir(tree, "pts", err);
	if (pts < 0)
		return -1;
	m = new_fs("devpts", "newinstance,ptmxmode=0666,mode=0620",
		   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
	if (m < 0 || attach(m, pts, "dev/pts", err) < 0)
		return gb_context(err, "mount /dev/pts");
	shm = own_subdir(tree, "shm", err);
	shm_tree = shm < 0 ? -1 : clone_tree("shm", false, err);
	if (shm_tree < 0)
		return -1;
	if (setattr(shm_tree, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, -1, false) < 0)
		return gb_fail_errno(err, "set attributes of /dev/shm");
	return attach(shm_tree, shm, "dev/shm", err);
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

int gb_mount_take_tree(const char *src, bool recursive, gb_error *err)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = (int)GB_RETRY(syscall(SYS_openat2, AT_FDCWD, src, &how,
							sizeof(how)));
	struct mount_attr attr = { .propagation = MS_PRIVATE };
	int tree;

	if (fd < 0)
		return gb_fail_errno(err, "%s", src);
	tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
					 (recursive ? AT_RECURSIVE : 0));
	if (tree < 0 && errno == EPERM)
		return gb_fail_errno(err, "clone %s (gradebox needs real root in the host's user "
				     "namespace; see gradebox check)", src);
	if (tree < 0)
		return gb_fail_errno(err, "clone %s", src);
	/* A copy of a shared mount is its peer: what init mounts below the
	 * bind (a nested bind) must not appear on the host. */
	if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0) {
		gb_fail_errno(err, "make the copy of %s private", src);
		close(tree);
		return -1;
	}
	return tree;
}

int gb_mount_idmap(int tree, int userns_fd)
{
	return setattr(tree, MOUNT_ATTR_IDMAP, 0, userns_fd, false);
}

int gb_mount_check_rw_binds(const struct gb_bind *binds, size_t nbinds, uint64_t disk_bytes,
			    gb_error *err)
{
	for (size_t i = 0; i < nbinds && disk_bytes; i++) {
		struct statfs st;
		uint64_t avail;

		if (!binds[i].rw)
			continue;
		if (fstatfs(binds[i].tree, &st) < 0)
			return gb_fail_errno(err, "statfs %s", binds[i].src);
		avail = (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
		if (avail > disk_bytes)
			return gb_fail(err, 0, "--bind %s:%s:rw: its filesystem has %llu MB free and "
					       "writes there are not counted in --disk (%llu MB): "
					       "bind a directory of a filesystem with at most that "
					       "much free (such as a tmpfs of its own), or bind it "
					       "read-only",
				       binds[i].src, binds[i].dst,
				       (unsigned long long)(avail >> 20),
				       (unsigned long long)(disk_bytes >> 20));
	}
	return 0;
}

int gb_mount_sandbox(const struct gb_mount_plan *p, int *scratch_fd, gb_error *err)
{
	_cleanup_close_ int rootfd = -1, tmp_tree = -1;
	int lowers[GB_MOUNT_MAX_LAYERS], sys[GB_SYS_N];
	size_t nl = 0, ns = 0;
	char opts[4096];
	int r = -1;

	if (p->nlowers == 0 || p->nlowers > GB_MOUNT_MAX_LAYERS)
		return gb_fail(err, E2BIG, "an image needs 1 to %d layers, not %zu",
			       GB_MOUNT_MAX_LAYERS, p->nlowers);
	if (p->nbinds > GB_MOUNT_MAX_BINDS)
		return gb_fail(err, E2BIG, "at most %d binds", GB_MOUNT_MAX_BINDS);
	/* Nothing mounted here propagates back to the host, and vice versa
	 * (clones of a private mount are private too). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return gb_fail_errno(err, "make / private");
	/* Take every host source before the job tmpfs hides run_dir: a layer
	 * below it stays reachable. */
	for (; nl < p->nlowers; nl++)
		if ((lowers[nl] = p->lower_trees ? p->lower_trees[nl]
						 : clone_tree(p->lowers[nl], false, err)) < 0)
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
	/* Every mount point is fixed before anything is mounted, and /proc
	 * comes last: a bind (whose destination may go through the image's
	 * symlinks) lands below it, never on top. */
	for (; ns < GB_SYS_N; ns++)
		if ((sys[ns] = system_dir(rootfd, system_dirs[ns], p->root_uid, err)) < 0)
			goto out;
	if (mount_dev(sys[GB_SYS_DEV], p->root_uid, err) < 0)
		goto out;
	tmp_tree = clone_tree("tmp", false, err);
	if (tmp_tree < 0)
		goto out;
	if (setattr(tmp_tree, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, -1, false) < 0) {
		gb_fail_errno(err, "set attributes of /tmp");
		goto out;
	}
	if (attach(tmp_tree, sys[GB_SYS_TMP], "/tmp", err) < 0)
		goto out;
	for (size_t i = 0; i < p->nbinds; i++)
		if (mount_bind(p, i, rootfd, err) < 0)
			goto out;
	if (mount_proc(sys[GB_SYS_PROC], err) < 0)
		goto out;
	r = pivot(err);
out:
	close_all(lowers, nl);
	close_all(sys, ns);
	for (size_t i = 0; i < p->nbinds; i++)
		close(p->binds[i].tree);
	return r;
}
