/* netlink: see netlink.h. */
#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <time.h>

#include "util.h"

/* A fresh net namespace always numbers its loopback 1. */
#define GB_LOOPBACK_IFINDEX 1

static void mnl_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}

int gb_netlink_lo_up(gb_error *err)
{
	__attribute__((cleanup(mnl_closep))) struct mnl_socket *nl = NULL;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned seq = (unsigned)time(NULL), portid;
	ssize_t n;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return gb_fail_errno(err, "netlink socket");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return gb_fail_errno(err, "netlink bind");
	portid = mnl_socket_get_portid(nl);

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = GB_LOOPBACK_IFINDEX;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return gb_fail_errno(err, "netlink send RTM_NEWLINK lo up");
	n = GB_RETRY(mnl_socket_recvfrom(nl, buf, sizeof(buf)));
	if (n < 0)
		return gb_fail_errno(err, "netlink receive");
	if (mnl_cb_run(buf, n, seq, portid, NULL, NULL) < 0)
		return gb_fail_errno(err, "bring loopback up (RTM_NEWLINK)");
	return 0;
}
