/* feedback: the run file's /.__output/__feedback.json judged as INGInious's
 * container (job end) and agent (its checks) judge it, inginious-api.md §1
 * "Job end" and §2. gradebox's deliberate differences: a feedback file
 * with NaN or Infinity (which INGInious writes and passes on) is badly
 * formatted -> crash, so that the result stays valid JSON; so is valid JSON
 * that is not an object (INGInious's container fails on it); a lone UTF-16
 * surrogate escape (\udcff, which INGInious's writers produce for a
 * non-UTF-8 argument) is read as U+FFFD; an integer beyond 64 bits (which
 * INGInious's agent cannot send on) makes the file unreadable, as "modified
 * by user". */
#ifndef GB_FEEDBACK_H
#define GB_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

/* The grading sandbox reads at most this much of the feedback file; a
 * larger file is a crash (GB_FEEDBACK_TOO_LARGE). */
#define GB_FEEDBACK_MAX (16u << 20)
/* INGInious's texts, verbatim. */
#define GB_FEEDBACK_NONE "No feedback was given !"
#define GB_FEEDBACK_MODIFIED "Feedback file has been modified by user !"
#define GB_FEEDBACK_UNREADABLE "The grader did not return a readable output : "
#define GB_FEEDBACK_BADLY_FORMATTED "Feedback file is badly formatted."
#define GB_FEEDBACK_TOO_LARGE "Feedback file is larger than 16 MiB."

/* Fill r from the feedback file's bytes buf[0..len) (present: the file
 * existed). Sets result, text, grade (always set: the file's, rounded to 2
 * decimals, or 100/0), problems, tests, custom and state. When the agent's
 * checks fail (crash "The grader did not return a readable output : ..."),
 * r->state is left as it was: INGInious then keeps the submission's
 * previous @state, which the caller puts there first. Never fails. */
void gb_feedback_judge(const char *buf, size_t len, bool present, struct gb_grade_result *r);

#endif
