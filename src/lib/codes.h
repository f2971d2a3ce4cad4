/* codes: the exit codes of the contract (run, run_student). */
#ifndef GB_CODES_H
#define GB_CODES_H

#define GB_EXIT_NO_STUDENT 251 /* run_student outside a grading sandbox */
#define GB_EXIT_MEMORY 252     /* OOM kill in the sandbox's cgroup */
#define GB_EXIT_TIMEOUT 253    /* CPU-time or wall-time limit */
#define GB_EXIT_FAILURE 254    /* gradebox itself failed: bad input, setup */

#endif
