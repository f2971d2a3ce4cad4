/* netns: a sandbox's network namespace, made by the supervisor while the
 * sandbox's init builds the filesystem on another CPU.
 *
 * A fresh net namespace is the dearest part of a sandbox: about half a
 * millisecond of kernel time (setup_net), more than every other namespace
 * together. Made by clone3(CLONE_NEWNET) it would sit on the critical path
 * before init can even start; made here after the clone, it overlaps with
 * init's mount work, and init only setns()es into it (sandbox.c). The
 * supervisor steps into the new namespace just long enough to bring `lo` up
 * over netlink and keep an fd, then steps back. Either way the namespace is
 * owned by the host's user namespace (the supervisor is host root), so
 * nothing in the sandbox can reconfigure it.
 *
 * Not a thread: init is clone3()d while this runs, and a raw clone of a
 * process whose other thread holds a libc lock would inherit it held. */
#ifndef GB_NETNS_H
#define GB_NETNS_H

#include "error.h"

/* A new net namespace with `lo` up; *fd keeps it (close-on-exec). */
int gb_netns_make(int *fd, gb_error *err);

#endif
