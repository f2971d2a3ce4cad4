/* seccomp: the sandbox's syscall filter. The profile (runtime/
 * seccomp-default.txt format) is parsed and compiled to BPF by the
 * supervisor, so a bad profile fails before anything is built; the sandbox
 * only installs the ready program right before execve. */
#ifndef GB_SECCOMP_H
#define GB_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>

#include "error.h"

struct gb_seccomp {
	struct sock_fprog prog; /* prog.filter is malloc'ed */
};

int gb_seccomp_compile(const char *profile, bool nonroot, struct gb_seccomp *out,
		       gb_error *err);
/* In the sandbox: no_new_privs, then the filter. */
int gb_seccomp_install(const struct gb_seccomp *sc, gb_error *err);
void gb_seccomp_free(struct gb_seccomp *sc);

#endif
