/* image_layer_store: layer directories once extracted: presence, removal,
 * leftovers of killed imports, and the metadata of directories a layer tar
 * only implies. See image_layer.h. */
#include "image_layer.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util.h"

bool gb_layer_exists(int layers_dirfd, const char *hex, uint64_t *size, uint64_t *entries)
{
	char name[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	struct stat st;
	unsigned long long s = 0, n = 1;

	if (fstatat(layers_dirfd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return false;
	snprintf(name, sizeof(name), "%s%s", hex, GB_LAYER_META_SUFFIX);
	if (gb_read_file_at(layers_dirfd, name, 4096, &data, NULL) == 0)
		sscanf(data, "{\"size\": %llu, \"entries\": %llu}", &s, &n);
	if (size)
		*size = s;
	if (entries)
		*entries = n;
	return true;
}

/* Leftovers are locked while their owner works on them; a temporary one
 * also names its owner, since the lock comes just after mkdir. */
static bool stale(int dirfd, const char *name, int *lockfd)
{
	int pid = 0;

	*lockfd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*lockfd < 0 || flock(*lockfd, LOCK_EX | LOCK_NB) < 0)
		return false;
	if (!strncmp(name, GB_LAYER_TMP_PREFIX, strlen(GB_LAYER_TMP_PREFIX)) &&
	    sscanf(name + strlen(GB_LAYER_TMP_PREFIX), "%d", &pid) == 1 &&
	    (kill(pid, 0) == 0 || errno != ESRCH))
		return false;
	return true;
}

int gb_layer_clean_stale(int layers_dirfd, gb_error *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	/* a fresh open: a dup would share (and move) the directory offset */
	int fd = openat(layers_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return gb_fail_errno(err, "read the layer store");
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int lock = -1;

		if (strncmp(de->d_name, GB_LAYER_TMP_PREFIX, strlen(GB_LAYER_TMP_PREFIX)) &&
		    strncmp(de->d_name, GB_LAYER_RM_PREFIX, strlen(GB_LAYER_RM_PREFIX)))
			continue;
		if (stale(layers_dirfd, de->d_name, &lock))
			gb_rm_rf_at(layers_dirfd, de->d_name, NULL);
	}
	return 0;
}

int gb_layer_remove(int layers_dirfd, const char *hex, gb_error *err)
{
	char gone[PATH_MAX], meta[PATH_MAX];
	_cleanup_close_ int fd = openat(layers_dirfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
								   O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : gb_fail_errno(err, "open layer %s", hex);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 1;
		return gb_fail_errno(err, "lock layer %s", hex);
	}
	snprintf(gone, sizeof(gone), GB_LAYER_RM_PREFIX "%s-%d", hex, (int)getpid());
	snprintf(meta, sizeof(meta), "%s%s", hex, GB_LAYER_META_SUFFIX);
	if (renameat(layers_dirfd, hex, layers_dirfd, gone) < 0)
		return gb_fail_errno(err, "remove layer %s", hex);
	if (unlinkat(layers_dirfd, meta, 0) < 0 && errno != ENOENT)
		return gb_fail_errno(err, "remove %s", meta);
	return gb_rm_rf_at(layers_dirfd, gone, err);
}

static int open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return GB_RETRY((int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

int gb_layer_fix_implicit(int layers_dirfd, const char *hex, char *const *lowers,
			  size_t nlowers, char *const *dirs, size_t ndirs, gb_error *err)
{
	_cleanup_close_ int top = openat(layers_dirfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
								    O_CLOEXEC);

	if (top < 0)
		return gb_fail_errno(err, "open layer %.12s", hex);
	for (size_t i = 0; i < ndirs; i++) {
		_cleanup_close_ int d = open_beneath(top, dirs[i], O_RDONLY);

		if (d < 0)
			continue; /* replaced later in the same layer */
		for (size_t l = 0; l < nlowers; l++) {
			_cleanup_close_ int lower = openat(layers_dirfd, lowers[l],
							   O_PATH | O_DIRECTORY | O_CLOEXEC);
			_cleanup_close_ int ld = lower < 0 ? -1 : open_beneath(lower, dirs[i], O_PATH);
			struct stat st;

			if (ld < 0 && (lower < 0 || errno == ENOENT))
				continue; /* not in this layer: look below */
			if (ld < 0)
				break; /* hidden or replaced by a non-directory */
			if (fstat(ld, &st) < 0 || fchown(d, st.st_uid, st.st_gid) < 0 ||
			    fchmod(d, st.st_mode & 07777) < 0 ||
			    futimens(d, (struct timespec[2]){ st.st_atim, st.st_mtim }) < 0)
				return gb_fail_errno(err, "layer %.12s: copy the metadata of %s", hex,
						     dirs[i]);
			break;
		}
	}
	return 0;
}
