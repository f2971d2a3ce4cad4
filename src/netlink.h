/* netlink: network setup of a sandbox's fresh net namespace over rtnetlink
 * (libmnl). A new namespace has only `lo`, and it is down. */
#ifndef GB_NETLINK_H
#define GB_NETLINK_H

#include "error.h"

/* Bring the loopback interface of the current net namespace up. */
int gb_netlink_lo_up(gb_error *err);

#endif
