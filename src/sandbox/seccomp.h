/* seccomp: the sandbox's syscall filter. The profile (runtime/
 * seccomp-default.txt format) is parsed and compiled to BPF by the
 * supervisor while init builds the filesystem (a bad profile fails the
 * sandbox before the command exists); the BPF goes to init in a memfd and
 * the command installs it right before execve. */
#ifndef GB_SECCOMP_H
#define GB_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>

#include "error.h"

struct gb_seccomp {
	struct sock_fprog prog; /* prog.filter is malloc'ed */
};

/* What the sandbox is, for the profile's rule prefixes. */
enum {
	GB_SECCOMP_NONROOT = 1, /* the user is not root: `nonroot` rules apply */
	GB_SECCOMP_NESTED = 2,  /* nested containers allowed: `unless-nested` rules do not */
};

/* Compile profile into a memfd holding the BPF program (*fd, close-on-exec).
 * flags: GB_SECCOMP_*. */
int gb_seccomp_compile(const char *profile, unsigned flags, int *fd, gb_error *err);
/* Read a compiled program back from such a memfd. */
int gb_seccomp_load(int fd, struct gb_seccomp *out, gb_error *err);
/* In the sandbox: no_new_privs, then the filter. */
int gb_seccomp_install(const struct gb_seccomp *sc, gb_error *err);
void gb_seccomp_free(struct gb_seccomp *sc);

#endif
