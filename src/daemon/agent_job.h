/* agent_job: one INGInious job on this agent: the checks a BackendNewJob
 * must pass before it is graded, the files `gradebox grade` reads (input,
 * environment parameters) and writes (result) in the agent's work
 * directory, and the pid file that lets a restarted agent stop a grader
 * its killed predecessor left running. */
#ifndef GB_AGENT_JOB_H
#define GB_AGENT_JOB_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "agent_msg.h"
#include "error.h"
#include "runner.h"

/* INGInious course and task ids: letters, digits, '_' and '-' (its
 * id_checker), which also keeps them single path components. */
#define GB_AGENT_ID_MAX 255
/* The course's common files, as INGInious names the folder. */
#define GB_AGENT_COMMON_DIR "$common"

struct gb_agent_job {
	struct gb_agent_job *next;
	void *owner;             /* the agent, for the runner's callback */
	char *job_id;
	char course_id[GB_AGENT_ID_MAX + 1], task_id[GB_AGENT_ID_MAX + 1];
	unsigned seq;            /* names the job's files in the work dir */
	struct gb_run *run;      /* NULL once finished */
	char *kill_state;        /* BackendKillJob's state, when killed */
	bool started;            /* AgentJobStarted sent */
};

/* Why a job is not graded, as INGInious would tell the teacher. */
struct gb_agent_refusal {
	const char *result;      /* "crash" or "error" */
	char text[GB_ERROR_MAX];
};

/* Check msg (course/task ids, environment type and name, debug mode) and
 * fill req with the task directory and the environment. envs is the
 * hello's environment map. 0, or 1 with *why filled (the job is answered
 * with that result), or -1 with err (the agent's own failure). */
int gb_agent_job_check(const char *tasks_dir, json_t *envs, const struct gb_agent_msg *msg,
		       struct gb_agent_job *job, struct gb_agent_refusal *why);

/* The work directory: <state_dir>/agent, held and locked for this agent.
 * Not below run_dir: each job mounts its own tmpfs there, and its grader
 * would not see the files. */
int gb_agent_workdir_open(const char *state_dir, char *path, size_t size, int *fd,
			  gb_error *err);
/* Stop graders left by a killed agent (from their pid files), then empty
 * the work directory. Returns how many graders it stopped. */
int gb_agent_workdir_recover(int dirfd, gb_error *err);

/* Write the job's input ({"input": inputdata}) and parameters files and
 * name its result file, in req. paths holds the three paths. */
struct gb_agent_paths {
	char input[PATH_MAX], params[PATH_MAX], result[PATH_MAX];
};
int gb_agent_job_files(int dirfd, const char *dir, const struct gb_agent_job *job,
		       const struct gb_agent_msg *msg, struct gb_agent_paths *paths,
		       gb_error *err);
/* Record the running grader's pid (and start time) for recovery. */
int gb_agent_job_pidfile(int dirfd, const struct gb_agent_job *job, pid_t pid, gb_error *err);
/* Remove the job's files. */
void gb_agent_job_cleanup(int dirfd, const struct gb_agent_job *job);

#endif
