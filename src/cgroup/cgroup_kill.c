/* cgroup_kill: emptying and removing a cgroup (see cgroup.h). */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup_fs.h"
#include "util.h"

#define CG_KILL_TIMEOUT_MS 5000 /* SIGKILLed processes normally go in ms */
#define CG_RMDIR_TIMEOUT_MS 1000 /* an emptied cgroup can stay busy briefly */
#define CG_POLL_MS 20 /* re-check even without a notification */
#define CG_FREEZE_ROUNDS 100 /* kill rounds of the freezer fallback */

/* --- kill and remove ------------------------------------------------------ */

/* SIGKILL every process listed in dir/cgroup.procs and below; *seen counts
 * them. A vanished directory is an empty one. */
static int kill_listed(const char *dir, void *seen, gb_error *err)
{
	_cleanup_free_ char *procs = NULL;

	if (gb_cgfs_read_at(dir, "cgroup.procs", &procs, err) < 0)
		return err->errnum == ENOENT ? 0 : -1;
	for (char *p = strtok(procs, "\n"); p; p = strtok(NULL, "\n")) {
		int pid = atoi(p);
		if (pid > 0) {
			kill(pid, SIGKILL);
			(*(unsigned *)seen)++;
		}
	}
	return gb_cgfs_for_each_child(dir, kill_listed, seen, err);
}

/* Kernels before 5.14 lack cgroup.kill: freeze so nobody forks while we
 * read the lists, SIGKILL what is listed, thaw so the killed can die. */
int gb_cg_kill_fallback(const struct gb_cgroup *cg, gb_error *err)
{
	gb_error ignored = { 0 };
	unsigned seen = 1;
	int r = 0;

	/* Without the v2 freezer (< 5.2) the repeated rounds catch forks. */
	gb_cgfs_write_at(cg->v2_path, "cgroup.freeze", "1", &ignored);
	for (int round = 0; round < CG_FREEZE_ROUNDS && seen && r == 0; round++) {
		seen = 0;
		r = kill_listed(cg->v2_path, &seen, err);
		if (r == 0 && cg->mem_path[0])
			r = kill_listed(cg->mem_path, &seen, err);
	}
	gb_cgfs_write_at(cg->v2_path, "cgroup.freeze", "0", &ignored);
	return r;
}

/* Wait until the cgroup is empty: cgroup.events says "populated 0" (poll
 * wakes with POLLPRI when it changes), and on hybrid hosts the v1 lists
 * are empty too; strays found there are SIGKILLed. */
static int wait_empty(const struct gb_cgroup *cg, gb_error *err)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	uint64_t deadline = gb_now_ns() + CG_KILL_TIMEOUT_MS * 1000000ull;

	if (gb_cgfs_join(path, cg->v2_path, "cgroup.events", err) < 0)
		return -1;
	fd = GB_RETRY(open(path, O_RDONLY | O_CLOEXEC));
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };
		unsigned v1 = 0;
		uint64_t now;

		if (cg->mem_path[0] && kill_listed(cg->mem_path, &v1, err) < 0)
			return -1;
		if (cg->pids_path[0] && kill_listed(cg->pids_path, &v1, err) < 0)
			return -1;
		if (!v1 && (fd < 0 || !gb_cgfs_events_populated(fd)))
			return 0;
		now = gb_now_ns();
		if (now >= deadline)
			return gb_fail(err, ETIMEDOUT, "processes of cgroup %s still alive %d s after "
				       "SIGKILL (stuck in the kernel? see its cgroup.procs)",
				       cg->v2_path, CG_KILL_TIMEOUT_MS / 1000);
		if (GB_RETRY(poll(&pfd, fd >= 0, CG_POLL_MS)) < 0)
			return gb_fail_errno(err, "poll %s", path);
	}
}

int gb_cg_kill(const struct gb_cgroup *cg, gb_error *err)
{
	if (!cg->v2_path[0])
		return 0;
	/* Every process of a sandbox is in its v2 cgroup (born there or
	 * attached with v2_too): an unpopulated one has nothing to kill, here
	 * or in the v1 hierarchies. The common case at the end of a run. */
	if (!gb_cg_populated(cg) && gb_cgfs_exists(cg->v2_path))
		return 0;
	if (gb_cgfs_write_at(cg->v2_path, "cgroup.kill", "1", err) < 0) {
		if (err->errnum != ENOENT)
			return gb_context(err, "kill the processes of cgroup %s", cg->v2_path);
		gb_error_clear(err);
		/* No cgroup.kill: an old kernel, or the cgroup is gone. */
		if (gb_cgfs_exists(cg->v2_path) && gb_cg_kill_fallback(cg, err) < 0)
			return gb_context(err, "kill the processes of cgroup %s", cg->v2_path);
	}
	return wait_empty(cg, err);
}

/* rmdir with a short retry: a cgroup just emptied can be busy a moment. */
static int rmdir_retry(int dirfd, const char *name, const char *path, gb_error *err)
{
	uint64_t deadline = gb_now_ns() + CG_RMDIR_TIMEOUT_MS * 1000000ull;
	struct timespec pause = { 0, CG_POLL_MS * 1000000L };

	while (unlinkat(dirfd, name, AT_REMOVEDIR) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY && errno != EINTR)
			return gb_fail_errno(err, "remove cgroup %s", path);
		if (errno == EBUSY && gb_now_ns() >= deadline)
			return gb_fail_errno(err, "remove cgroup %s (processes left in it?)", path);
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* Children first: a cgroup with children cannot go. Its control files are
 * not real files and go with it. */
static int rmdir_tree(const char *path, void *unused, gb_error *err)
{
	/* A leaf (every sandbox cgroup) goes at once, without a listing. */
	if (rmdir(path) == 0 || errno == ENOENT)
		return 0;
	if (gb_cgfs_for_each_child(path, rmdir_tree, NULL, err) < 0)
		return -1;
	return rmdir_retry(AT_FDCWD, path, path, err);
}

int gb_cg_destroy(struct gb_cgroup *cg, gb_error *err)
{
	char *paths[] = { cg->v2_path, cg->mem_path, cg->pids_path };
	gb_error e = { 0 };
	int r = 0;

	/* Keep going after a failure: remove as much as we can, report the first. */
	if (gb_cg_kill(cg, &e) < 0) {
		*err = e;
		r = -1;
	}
	/* A job on a hybrid host: its sandboxes' v1 cgroups are not below it. */
	if (cg->host && (gb_cg_each_v1_sandbox(cg, cg->host->mem_base, rmdir_tree, NULL, &e) < 0 ||
			 gb_cg_each_v1_sandbox(cg, cg->host->pids_base, rmdir_tree, NULL, &e) < 0) &&
	    r == 0) {
		*err = e;
		r = -1;
	}
	for (size_t i = 0; i < GB_ARRAY_SIZE(paths); i++) {
		if (!paths[i][0])
			continue;
		if (rmdir_tree(paths[i], NULL, &e) < 0 && r == 0) {
			*err = e;
			r = -1;
		}
	}
	/* A zeroed struct has fd 0 and no path: that fd is not ours. */
	if (cg->v2_path[0] && cg->v2_fd >= 0)
		close(cg->v2_fd);
	cg->v2_fd = -1;
	for (size_t i = 0; i < GB_ARRAY_SIZE(paths); i++)
		paths[i][0] = '\0';
	return r;
}
