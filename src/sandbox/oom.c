/* oom: see oom.h. */
#include "oom.h"

#include <errno.h>
#include <stdio.h>

#include "util.h"

#define GB_OOM_ADJ_FILE "/proc/self/oom_score_adj"

int gb_oom_adj_self(int adj, gb_error *err)
{
	char value[16];

	snprintf(value, sizeof(value), "%d", adj);
	if (gb_write_file(GB_OOM_ADJ_FILE, value, err) < 0)
		return gb_context(err, "set the OOM killer's preference");
	return 0;
}

int gb_oom_lower_self(int adj, gb_error *err)
{
	if (gb_oom_adj_self(adj, err) == 0)
		return 0;
	if (err->errnum != EACCES)
		return -1;
	gb_error_clear(err);
	return 0;
}
