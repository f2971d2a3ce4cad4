/* student: the supervisor's side of run_student (the wire protocol and its
 * theory of operation: student_proto.h). One server per grading sandbox:
 *
 *   struct gb_student_server srv;
 *   struct gb_student_env env = { .cfg, .lim = &grading_lim, .image or
 *       .rootfs, .seccomp_profile, .sock_dir_fd, .task_student_fd,
 *       .course_student_fd, .grading_res = &grading_res, .userns };
 *   gb_student_server_open(&srv, &job, &env, &err);  -> DIR/sock listens
 *   bind DIR/sock into the grading sandbox at /.gradebox/sock (grade.c binds
 *   the socket file itself: a mount point cannot be replaced); start it with
 *   gb_job_start_box(..., &grading_res); gb_job_wait(&job, &grading_res);
 *   gb_student_server_close(&srv);   -> every student sandbox killed, reaped
 *   srv.stats.runs, srv.stats.cpu_time  -> result's stats
 *
 * The server lives in the job's loop (gb_job_watch on one epoll fd): each
 * call is served between the boxes' events. A student sandbox is a box of
 * the same job: its cgroup is below the job's, it dies with the job. */
#ifndef GB_STUDENT_H
#define GB_STUDENT_H

#include "image.h"
#include "student_proto.h"
#include "supervisor.h"

/* Connections held at once (running, waiting or sending their request);
 * past it the listening socket is not served: further connects wait in
 * the kernel's backlog, then in connect() itself. Each holds at most four
 * fds in the supervisor (the connection and the three stdio). */
#define GB_STUDENT_MAX_CONNS 64
#define GB_STUDENT_SOCK_NAME "sock"
#define GB_STUDENT_SOCK_DST "/" GB_STUDENT_SOCK_PATH
/* What the grading sandbox's /task/student and /course/common/student
 * are in a student sandbox; nothing else of /task is there. */
#define GB_STUDENT_DIR "/task/student"
#define GB_STUDENT_COURSE_DIR "/course/common/student"
#define GB_STUDENT_UID 4242

struct gb_student_env {
	const struct gb_config *cfg;         /* student_parallel, image store */
	const struct gb_limits *lim;         /* the grading sandbox's limits */
	const char *image;                   /* its image (the default --container) */
	const char *rootfs;                  /* or its --rootfs directory (image NULL) */
	char *const *envp;                   /* base environment; NULL = PATH only */
	const char *seccomp_profile;
	const char *hostname;
	int sock_dir_fd;                     /* host dir the socket is made in */
	/* fds opened in the supervisor's mount namespace as it is when the
	 * boxes start (after gb_job_scratch): trees are cloned from them */
	int task_student_fd;                 /* the dir shown as /task/student (rw) */
	int course_student_fd;               /* /course/common/student (ro), -1 = none */
	const struct gb_result *grading_res; /* the grading box (--share-network) */
	/* NULL: each student sandbox takes a uid slot of its own and sees
	 * /task/student through an idmapped bind. Where the directory's
	 * filesystem cannot be idmapped (tmpfs before Linux 6.3), the grading
	 * sandbox's user namespace, shared so that both see the same owners. */
	const struct gb_userns *userns;
};

struct gb_student_stats {
	unsigned runs;      /* student sandboxes started */
	unsigned refused;   /* calls answered 254 before a sandbox started */
	double cpu_time;    /* their CPU seconds, all together */
	unsigned max_parallel; /* most running at once */
};

struct gb_student_call;

struct gb_student_server {
	struct gb_job *job;
	const struct gb_student_env *env;
	int listen_fd, epfd;
	char addr[108];       /* the path it was bound with (sun_path) */
	bool accepting;
	bool closing;         /* no call starts any more */
	unsigned nconns, nrunning;
	uint64_t next_seq;
	struct gb_student_call *calls[GB_STUDENT_MAX_CONNS];
	struct gb_image_ref img; /* env->image, held while the server is open */
	struct gb_student_stats stats;
};

/* Listen on env->sock_dir_fd/sock (mode 0666: the sandbox's users connect)
 * and serve it from the job's loop. env must live until close. */
int gb_student_server_open(struct gb_student_server *srv, struct gb_job *job,
			   const struct gb_student_env *env, gb_error *err);
/* Stop serving: every student sandbox is killed and reaped, every call
 * closed (its run_student gets 254 or a closed socket), the socket file
 * removed. Safe on a server that failed to open or is already closed. */
void gb_student_server_close(struct gb_student_server *srv);

/* Is fd acceptable as a student's stdin/stdout/stderr? Regular files,
 * character devices, pipes and sockets, but no directory, O_PATH fd, kernel
 * object (pidfd, namespace, /proc or cgroup file) or connection to the
 * supervisor itself. NULL, or why not. */
const char *gb_student_check_fd(int fd);

#endif
