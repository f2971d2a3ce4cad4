/* init: pid 1 of a sandbox, and the command's last steps before execve. */
#ifndef GB_INIT_H
#define GB_INIT_H

#include <sys/types.h>

#include "sandbox.h"

/* init's exit code when setup failed (the supervisor has the message). */
#define GB_INIT_SETUP_FAILED 254

/* Report a setup failure to the supervisor over sock and exit: the one way
 * out for init and for the command before execve. */
__attribute__((noreturn)) void gb_init_fail(int sock, const gb_error *err);
/* Start the command: it takes its stdio, identity, capabilities, limits
 * and seccomp filter, and execs; a failure before execve is reported over
 * sock. Returns once the command has exec'd or failed: its pid, or -1. */
pid_t gb_init_spawn_command(const struct gb_sandbox_spec *s, int sock);
/* Block SIGCHLD and the forwarded signals (before forking the command). */
void gb_init_block_signals(void);
/* pid 1's loop: forward signals to cmd, reap everything, report cmd's
 * wait status over sock. Returns init's exit code. */
int gb_init_reap(pid_t cmd, int sock);

#endif
