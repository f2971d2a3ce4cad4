/* cgroup_gc: job cgroup names and the removal of the job cgroups that a
 * killed supervisor left behind (see cgroup.h). Only the public cgroup
 * interface is used here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgroup.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* base/name into out; "" stays "" (a hierarchy the backend does not use). */
static int join(char *out, const char *base, const char *name, gb_error *err)
{
	int n;

	if (!base[0]) {
		out[0] = '\0';
		return 0;
	}
	n = snprintf(out, PATH_MAX, "%s/%s", base, name);
	if (n < 0 || n >= PATH_MAX)
		return gb_fail(err, ENAMETOOLONG, "cgroup path %s/%s", base, name);
	return 0;
}

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot, which
 * tells a live supervisor from a recycled pid. */
static int start_time(pid_t pid, unsigned long long *out, gb_error *err)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (gb_read_file(path, 4096, &buf, NULL, err) < 0)
		return -1;
	p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", out) != 1)
		return gb_fail(err, 0, "%s: unexpected format", path);
	return 0;
}

int gb_cg_job_name(pid_t pid, char *buf, size_t size, gb_error *err)
{
	unsigned long long st;
	int n;

	if (start_time(pid, &st, err) < 0)
		return -1;
	n = snprintf(buf, size, GB_CG_JOB_PREFIX "%d-%llu", (int)pid, st);
	if (n < 0 || (size_t)n >= size)
		return gb_fail(err, ENAMETOOLONG, "job cgroup name");
	return 0;
}

bool gb_cg_job_alive(const char *job_name)
{
	unsigned long long want, have;
	int pid, end = 0;
	gb_error err = { 0 };

	/* A job, or a sandbox's v1 cgroup <job>.<sandbox> (hybrid hosts). */
	if (sscanf(job_name, GB_CG_JOB_PREFIX "%d-%llu%n", &pid, &want, &end) != 2 ||
	    (job_name[end] && job_name[end] != '.') || pid <= 0)
		return true; /* not ours to judge: keep it */
	if (start_time(pid, &have, &err) < 0)
		return err.errnum != ENOENT && err.errnum != ESRCH;
	return have == want;
}

int gb_cg_gc(const struct gb_cg_host *host, bool (*alive)(const char *job_name),
	     gb_error *err)
{
	const char *bases[] = { host->v2_base, host->mem_base, host->pids_base };
	gb_error e = { 0 };
	int removed = 0, r = 0;

	if (!alive)
		alive = gb_cg_job_alive;
	for (size_t b = 0; b < GB_ARRAY_SIZE(bases); b++) {
		_cleanup_closedir_ DIR *d = NULL;
		_cleanup_free_ char *names = NULL;
		size_t len = 0, cap = 0;
		struct dirent *de;

		if (!bases[b][0] || !(d = opendir(bases[b])))
			continue;
		/* Collect first: removing while reading a directory may skip entries. */
		while ((de = readdir(d))) {
			size_t n = strlen(de->d_name) + 1;
			if (de->d_type != DT_DIR || strncmp(de->d_name, GB_CG_JOB_PREFIX,
							    strlen(GB_CG_JOB_PREFIX)))
				continue;
			if (len + n > cap) {
				char *nn = realloc(names, cap = 2 * (cap + n));
				if (!nn)
					return gb_fail(err, ENOMEM, "gc %s", bases[b]);
				names = nn;
			}
			memcpy(names + len, de->d_name, n);
			len += n;
		}
		for (size_t off = 0; off < len; off += strlen(names + off) + 1) {
			const char *name = names + off;
			struct gb_cgroup cg = { .host = host, .v2_fd = -1 };

			if (alive(name))
				continue;
			if (join(cg.v2_path, host->v2_base, name, &e) < 0 ||
			    join(cg.mem_path, host->mem_base, name, &e) < 0 ||
			    join(cg.pids_path, host->pids_base, name, &e) < 0 ||
			    gb_cg_destroy(&cg, &e) < 0) {
				if (r == 0)
					*err = e;
				r = -1;
				continue;
			}
			removed++;
		}
	}
	return r < 0 ? -1 : removed;
}
