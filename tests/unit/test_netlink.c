/* Unit tests: netlink. gradebox builds its rtnetlink request and reads the
 * kernel's acknowledgement itself; libmnl, the reference, builds the same
 * request and the acknowledgements here, and the live test brings `lo` up in
 * a fresh net namespace. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netlink.h"
#include "tap.h"

#define SEQ 7
#define BUF 8192

/* The request as libmnl builds it (what gradebox sent when it used libmnl). */
static size_t mnl_request(char *buf, int ifindex, uint32_t seq)
{
	struct nlmsghdr *nh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nh->nlmsg_type = RTM_NEWLINK;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	return nh->nlmsg_len;
}

/* An acknowledgement as the kernel sends it: NLMSG_ERROR echoing the
 * request's header. */
static size_t mnl_ack(char *buf, const char *req, uint32_t seq, int error)
{
	struct nlmsghdr *nh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nh->nlmsg_type = NLMSG_ERROR;
	nh->nlmsg_seq = seq;
	e = mnl_nlmsg_put_extra_header(nh, sizeof(*e));
	e->error = error;
	memcpy(&e->msg, req, sizeof(e->msg));
	return nh->nlmsg_len;
}

static void test_encoding(void)
{
	char ours[BUF] = { 0 }, ref[BUF] = { 0 };
	size_t n = gb_netlink_link_up_msg(ours, sizeof(ours), 3, SEQ);
	size_t m = mnl_request(ref, 3, SEQ);

	TAP_OK(n == m && !memcmp(ours, ref, n), "the RTM_NEWLINK request is byte for byte libmnl's");
	TAP_OK(gb_netlink_link_up_msg(ours, 8, 3, SEQ) == 0, "a buffer too small gets no request");
}

static void test_ack(void)
{
	char req[GB_NETLINK_BUF] = { 0 }, ack[BUF] = { 0 };
	gb_error e = { 0 };
	size_t n;

	gb_netlink_link_up_msg(req, sizeof(req), 1, SEQ);
	n = mnl_ack(ack, req, SEQ, 0);
	TAP_OK(mnl_cb_run(ack, n, SEQ, 0, NULL, NULL) >= 0 &&
		       gb_netlink_check_ack(ack, n, SEQ, &e) == 0,
	       "a zero acknowledgement is success, for libmnl and for us");

	n = mnl_ack(ack, req, SEQ, -EPERM);
	errno = 0;
	TAP_OK(mnl_cb_run(ack, n, SEQ, 0, NULL, NULL) < 0 && errno == EPERM &&
		       gb_netlink_check_ack(ack, n, SEQ, &e) < 0 && e.errnum == EPERM &&
		       strstr(e.msg, "Operation not permitted"),
	       "an error acknowledgement gives the kernel's errno");

	n = mnl_ack(ack, req, SEQ + 1, 0);
	TAP_OK(gb_netlink_check_ack(ack, n, SEQ, &e) < 0 && e.errnum == EPROTO,
	       "an answer to another request is refused");
	TAP_OK(gb_netlink_check_ack(ack, 10, SEQ, &e) < 0 && strstr(e.msg, "truncated"),
	       "a truncated answer is refused");
	n = mnl_ack(ack, req, SEQ, 0);
	((struct nlmsghdr *)ack)->nlmsg_type = RTM_NEWLINK;
	TAP_OK(gb_netlink_check_ack(ack, n, SEQ, &e) < 0 && strstr(e.msg, "not an acknowledgement"),
	       "an answer that is not an acknowledgement is refused");
}

/* In a child with a net namespace of its own: 0 if lo came up, 1 if
 * gb_netlink_lo_up failed, 2 if lo is still down, 3 if no namespace. */
static int lo_up_in_new_netns(void)
{
	struct ifreq ifr = { 0 };
	gb_error e = { 0 };
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		return 3;
	if (gb_netlink_lo_up(&e) < 0)
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return 2;
	return (ifr.ifr_flags & IFF_UP) ? 0 : 2;
}

static void test_live(void)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(lo_up_in_new_netns());
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
		TAP_SKIP("lo comes up in a fresh net namespace", "no CAP_SYS_ADMIN for a net namespace");
		return;
	}
	TAP_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "lo comes up in a fresh net namespace");
}

int main(void)
{
	/* One line for each test below; keep it in step. */
	TAP_PLAN(8);
	test_encoding();
	test_ack();
	test_live();
	return TAP_DONE();
}
