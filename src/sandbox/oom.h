/* oom: who the kernel's OOM killer takes first. Without --memory, pages of
 * a sandbox's job tmpfs belong to no process, so the killer could pick the
 * supervisor (or its daemon) that merely watches the sandbox that filled
 * the host. Sandboxes are made the first choice, supervisors a late one. */
#ifndef GB_OOM_H
#define GB_OOM_H

#include "error.h"

/* OOM_SCORE_ADJ_MAX: a sandbox's processes go before anything else. */
#define GB_OOM_ADJ_SANDBOX 1000
/* Below ordinary processes, not at -1000: a supervisor that itself runs
 * away must still be killable. */
#define GB_OOM_ADJ_SUPERVISOR (-500)

/* Set the calling process's oom_score_adj. Called with CAP_SYS_RESOURCE
 * (host root), the kernel also makes it the floor: the process and its
 * children can never lower it again without that capability in the
 * host's user namespace, which no sandbox has. */
int gb_oom_adj_self(int adj, gb_error *err);
/* The same for a lower value, which needs CAP_SYS_RESOURCE: without it
 * (root in a container that dropped it) the process keeps its own score,
 * still below any sandbox's. */
int gb_oom_lower_self(int adj, gb_error *err);

#endif
