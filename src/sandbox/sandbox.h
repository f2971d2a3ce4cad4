/* sandbox: creates one sandbox (the process tree is described at the top of
 * sandbox.c) and talks to its init over a socket. */
#ifndef GB_SANDBOX_H
#define GB_SANDBOX_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "mount.h"
#include "seccomp.h"
#include "userns.h"

#define GB_DEFAULT_HOSTNAME "gradebox"

struct gb_sandbox_spec {
	struct gb_mount_plan mount;  /* userns_fd and root_uid are filled in */
	char *const *argv;
	char *const *envp;
	const char *cwd;             /* inside; NULL = "/" */
	uid_t uid;                   /* inside ids */
	gid_t gid;
	bool root;                   /* keep root's capabilities (inside the userns) */
	bool nested;                 /* may make namespaces and mount (nested containers) */
	bool host_network;
	const int *netns_fd;         /* join this net namespace (run_student
				      * --share-network); NULL = a new one */
	const char *hostname;
	const char *seccomp_profile; /* compiled by the supervisor; NULL = no filter */
	struct gb_seccomp seccomp;   /* filled in (in init): the compiled filter */
	int stdio[3];                /* the command's stdin, stdout, stderr */
	uint64_t fsize_bytes;        /* RLIMIT_FSIZE, 0 = unchanged */
	uint64_t nofile;             /* RLIMIT_NOFILE, 0 = unchanged */
	uid_t uid_base;              /* host id of uid 0 inside slot 0 (userns.h) */
	unsigned uid_slots;          /* id ranges to take a free one from */
	const struct gb_userns *userns; /* NULL: take a uid slot and make a user
				      * namespace; else use this one (the caller
				      * keeps it: a grading job shares its ids
				      * with the files it prepares) */
	int cgroup_fd;               /* clone into this v2 cgroup, -1 = stay */
	int cg_attach_fds[2];        /* v1 `tasks` files init writes itself into */
	cpu_set_t cpus;              /* filled in: the CPUs the command may use */
};

enum gb_msg_type {
	GB_MSG_ERROR = 1,      /* init or command -> supervisor: setup failed, text */
	GB_MSG_READY,     /* init -> supervisor: command started; carries scratch fd */
	GB_MSG_STATUS,    /* init -> supervisor: command's wait status */
	GB_MSG_GO,        /* supervisor -> init: value = GB_GO_* bits, fds in that order */
};

enum {
	GB_GO_NETNS = 1,   /* the net namespace to join (else the host's) */
	GB_GO_SECCOMP = 2, /* memfd with the command's seccomp filter */
};
#define GB_MSG_MAX_FDS 4

struct gb_msg {
	int type;
	int value;
	char text[GB_ERROR_MAX];
};

struct gb_sandbox {
	pid_t pid;        /* init, in the host's pid namespace */
	int pidfd;
	int sock;         /* SOCK_SEQPACKET to init */
	struct gb_userns userns;     /* with the uid slot it holds */
};

/* A sandbox with nothing started yet: what gb_sandbox_close may always close. */
void gb_sandbox_init(struct gb_sandbox *sb);
/* Clone the sandbox's init, which builds the sandbox's filesystem and then
 * waits for gb_sandbox_go() before it starts the command. */
int gb_sandbox_spawn(struct gb_sandbox_spec *spec, struct gb_sandbox *sb, gb_error *err);
/* Let init go on: netns_fd is the net namespace it joins (-1: the host's),
 * seccomp_fd the compiled filter (-1: none). */
int gb_sandbox_go(struct gb_sandbox *sb, int netns_fd, int seccomp_fd, gb_error *err);
/* Receive one message (and an fd with READY). 0 = EOF (init gone). */
int gb_sandbox_recv(struct gb_sandbox *sb, struct gb_msg *msg, int *fd, gb_error *err);
void gb_sandbox_close(struct gb_sandbox *sb);

/* Messages on the sandbox socket, with up to GB_MSG_MAX_FDS fds. recv:
 * 1 = a message, 0 = EOF; fds beyond nfds are closed. */
int gb_msg_send_fds(int sock, int type, int value, const char *text, const int *fds,
		    size_t nfds);
int gb_msg_send(int sock, int type, int value, const char *text, int fd);
int gb_msg_recv(int sock, struct gb_msg *msg, int *fds, size_t nfds, gb_error *err);

#endif
