/* netns: see netns.h. */
#include "netns.h"

#include <fcntl.h>
#include <sched.h>

#include "netlink.h"
#include "util.h"

int gb_netns_make(int *fd, gb_error *err)
{
	_cleanup_close_ int home = -1, made = -1;
	int r = -1;

	*fd = -1;
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return gb_fail_errno(err, "open /proc/thread-self/ns/net");
	if (unshare(CLONE_NEWNET) < 0)
		return gb_fail_errno(err, "cannot create a network namespace (check "
				     "/proc/sys/user/max_net_namespaces, or use --network host)");
	made = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (made < 0)
		gb_fail_errno(err, "open the new network namespace");
	else if (gb_netlink_lo_up(err) < 0)
		gb_context(err, "sandbox network");
	else
		r = 0;
	/* Back home whatever happened: the supervisor must not stay here. */
	if (setns(home, CLONE_NEWNET) < 0)
		return gb_fail_errno(err, "return to the supervisor's network namespace");
	if (r == 0) {
		*fd = made;
		made = -1;
	}
	return r;
}
