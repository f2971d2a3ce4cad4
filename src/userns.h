/* userns: the sandbox's user namespace. Made by the supervisor before the
 * sandbox exists, so its fd can both idmap the rootfs layers and be joined
 * by the sandbox's init once all mounts are in place. Inside uid/gid 0 maps
 * to host base, GB_ID_RANGE ids in all: no sandbox id is a host account. */
#ifndef GB_USERNS_H
#define GB_USERNS_H

#include <sys/types.h>

#include "error.h"

#define GB_USERNS_STACK 8192

/* The throwaway child that brings a user namespace into being. It is reaped
 * later (gb_userns_reap), off the path to the sandbox's start. */
struct gb_userns_maker {
	pid_t pid; /* -1: none to reap */
	char stack[GB_USERNS_STACK] __attribute__((aligned(16)));
};

/* Returns an O_CLOEXEC fd of a new user namespace owned by the initial one,
 * mapping 0..range-1 inside to base..base+range-1 outside. mk must stay
 * allocated until gb_userns_reap(mk). */
int gb_userns_create(uid_t base, unsigned range, struct gb_userns_maker *mk, int *fd_out,
		     gb_error *err);
/* Reap the child gb_userns_create left (it exits at once); no-op if none. */
void gb_userns_reap(struct gb_userns_maker *mk);

#endif
