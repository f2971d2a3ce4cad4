/* netlink: network setup of a sandbox's fresh net namespace over rtnetlink.
 * A new namespace has only `lo`, and it is down.
 *
 * gradebox speaks rtnetlink itself rather than through libmnl: Debian ships
 * libmnl only as a shared object, and `gradebox run` is linked statically
 * because every shared library costs each sandbox start its loading and its
 * copy-on-write faults (see configure.ac). The unit test checks the bytes
 * against libmnl. */
#ifndef GB_NETLINK_H
#define GB_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Room for one request or its acknowledgement (an error echoes the request). */
#define GB_NETLINK_BUF 256

/* Bring the loopback interface of the current net namespace up. */
int gb_netlink_lo_up(gb_error *err);

/* The pieces, for tests: an RTM_NEWLINK request that sets IFF_UP on ifindex
 * (returns its length, 0 if buf is too small), and the check of the
 * kernel's answer to request seq (0, or -1 with err set from the errno the
 * kernel sent back). */
size_t gb_netlink_link_up_msg(void *buf, size_t len, int ifindex, uint32_t seq);
int gb_netlink_check_ack(const void *buf, size_t len, uint32_t seq, gb_error *err);

#endif
