/* netlink: see netlink.h. One request, one acknowledgement: the kernel
 * answers an NLM_F_ACK request with an NLMSG_ERROR message whose error is
 * 0 on success or a negative errno. */
#include "netlink.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* A fresh net namespace always numbers its loopback 1. */
#define GB_LOOPBACK_IFINDEX 1
#define GB_NETLINK_SEQ 1
/* The kernel's errnos run from 1 to this (MAX_ERRNO). */
#define GB_MAX_ERRNO 4095

struct link_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
};

size_t gb_netlink_link_up_msg(void *buf, size_t len, int ifindex, uint32_t seq)
{
	struct link_req *r = buf;

	if (len < NLMSG_SPACE(sizeof(r->ifi)))
		return 0;
	memset(r, 0, NLMSG_SPACE(sizeof(r->ifi)));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(r->ifi));
	r->nh.nlmsg_type = RTM_NEWLINK;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r->nh.nlmsg_seq = seq;
	r->ifi.ifi_family = AF_UNSPEC;
	r->ifi.ifi_index = ifindex;
	r->ifi.ifi_change = IFF_UP;
	r->ifi.ifi_flags = IFF_UP;
	return r->nh.nlmsg_len;
}

int gb_netlink_check_ack(const void *buf, size_t len, uint32_t seq, gb_error *err)
{
	const struct nlmsghdr *nh = buf;
	const struct nlmsgerr *e;

	if (len < sizeof(*nh) || nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > len)
		return gb_fail(err, EPROTO, "netlink: truncated answer (%zu bytes)", len);
	if (nh->nlmsg_seq != seq)
		return gb_fail(err, EPROTO, "netlink: answer to request %u, not %u",
			       nh->nlmsg_seq, seq);
	if (nh->nlmsg_type != NLMSG_ERROR)
		return gb_fail(err, EPROTO, "netlink: answer of type %u, not an acknowledgement",
			       nh->nlmsg_type);
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return gb_fail(err, EPROTO, "netlink: truncated acknowledgement");
	e = NLMSG_DATA(nh);
	if (e->error > 0 || e->error < -GB_MAX_ERRNO)
		return gb_fail(err, EPROTO, "netlink: acknowledgement with error %d", e->error);
	if (e->error)
		return gb_fail(err, -e->error, "netlink: %s", strerror(-e->error));
	return 0;
}

int gb_netlink_lo_up(gb_error *err)
{
	_cleanup_close_ int fd = -1;
	char buf[GB_NETLINK_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t len = gb_netlink_link_up_msg(buf, sizeof(buf), GB_LOOPBACK_IFINDEX, GB_NETLINK_SEQ);
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return gb_fail_errno(err, "netlink socket");
	if (GB_RETRY(sendto(fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel))) < 0)
		return gb_fail_errno(err, "netlink send RTM_NEWLINK lo up");
	n = GB_RETRY(recv(fd, buf, sizeof(buf), 0));
	if (n < 0)
		return gb_fail_errno(err, "netlink receive");
	if (gb_netlink_check_ack(buf, (size_t)n, GB_NETLINK_SEQ, err) < 0)
		return gb_context(err, "bring loopback up (RTM_NEWLINK)");
	return 0;
}
