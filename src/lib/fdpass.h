/* fdpass: one message with file descriptors over a unix socket
 * (SCM_RIGHTS). Dependency-free, so the static helpers link it too. */
#ifndef GB_FDPASS_H
#define GB_FDPASS_H

#include <stddef.h>

#define GB_FDPASS_MAX 8

/* Send buf (len bytes) with nfds (at most GB_FDPASS_MAX) descriptors,
 * retried on EINTR, never raising SIGPIPE. 0, or -1 with errno set. */
int gb_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

#endif
