/* cgroup_fs: the small file operations every cgroup module uses (paths,
 * reading and writing control files). Internal to src/cgroup*.c. */
#ifndef GB_CGROUP_FS_H
#define GB_CGROUP_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct gb_cgroup;

#define CG_FILE_MAX (1024 * 1024) /* cgroup.procs of a big tree */

int gb_cgfs_join(char *out, const char *a, const char *b, gb_error *err);
bool gb_cgfs_is_fs(const char *path, unsigned long magic);
bool gb_cgfs_exists(const char *path);
/* Is word one of the space-separated words of list? */
bool gb_cgfs_has_word(const char *list, const char *word);
int gb_cgfs_read_at(const char *dir, const char *name, char **out, gb_error *err);
int gb_cgfs_write_at(const char *dir, const char *name, const char *data, gb_error *err);
int gb_cgfs_read_u64_at(const char *dir, const char *name, uint64_t *out, gb_error *err);
/* The value of "key N" in a flat keyed file (cpu.stat, memory.events...);
 * *out = 0 when the key is absent (older kernels). */
int gb_cgfs_read_key_at(const char *dir, const char *name, const char *key, uint64_t *out,
			gb_error *err);
/* Call fn(child path) for every child cgroup directory of dir (not
 * recursive: fn recurses when it wants the whole tree). A vanished dir has
 * no children. Stops at the first fn failure. */
int gb_cgfs_for_each_child(const char *dir, int (*fn)(const char *sub, void *arg, gb_error *err),
			   void *arg, gb_error *err);
/* The same for the child directories whose name starts with prefix. */
int gb_cgfs_for_each_prefixed(const char *dir, const char *prefix,
			      int (*fn)(const char *sub, void *arg, gb_error *err), void *arg,
			      gb_error *err);
/* Hybrid hosts: fn on each v1 cgroup (<job>.<sandbox>) of the sandboxes of a
 * job, in the v1 hierarchy whose base is `base`. Nothing for anything else
 * (a sandbox, or any cgroup on a pure v2 host). */
int gb_cg_each_v1_sandbox(const struct gb_cgroup *job, const char *base,
			  int (*fn)(const char *sub, void *arg, gb_error *err), void *arg,
			  gb_error *err);
/* "populated 1" in an open cgroup.events? */
bool gb_cgfs_events_populated(int fd);

#endif
