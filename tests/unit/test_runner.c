/* Unit tests: runner (grade children and the slot scheduler), against a
 * stand-in grader (the GRADEBOX_GRADE_EXEC testing hook): a shell script
 * whose behaviour the task name picks. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "runner.h"
#include "tap.h"
#include "util.h"

/* A hang kills the test instead of the suite waiting forever. */
#define HANG_GUARD_S 60
#define JOBS 6
#define SLOTS 2

/* task "ok": success after a short sleep, its arguments as the text;
 * "crash": exit 3 with no result; "term": wait, a `killed` result on
 * SIGTERM; "stubborn": ignores SIGTERM. */
static const char stand_in[] =
	"#!/bin/sh\n"
	"res= task=\n"
	"args=\"$*\"\n"
	"while [ $# -gt 0 ]; do case $1 in --result) res=$2; shift;; --task) task=$2; shift;; esac; shift; done\n"
	"out() { printf '{\"result\": \"%s\", \"text\": \"%s\"}' \"$1\" \"$2\" >\"$res.t\" && mv \"$res.t\" \"$res\"; }\n"
	"case ${task##*/} in\n"
	"ok) sleep 0.2; out success \"$args\";;\n"
	"crash) exit 3;;\n"
	"term) trap 'out killed bye; exit 1' TERM; while :; do sleep 0.05; done;;\n"
	"stubborn) trap '' TERM; while :; do sleep 0.05; done;;\n"
	"esac\n";

static char dir[] = "/tmp/gb-test-runner.XXXXXX";
static struct gb_runner *the_runner;
static unsigned running, max_running, finished, order_ok = 1, next_expected;
static char last_name[32], last_text[512];
static bool last_synth, last_killed;

static void on_event(struct gb_run *run, enum gb_run_event ev, const struct gb_run_outcome *oc,
		     void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;

	if (ev == GB_RUN_STARTED) {
		if (idx != next_expected++)
			order_ok = 0;
		/* the runner's own count: a slot's next job starts before the
		 * previous one's FINISHED callback */
		running = gb_runner_running(the_runner);
		if (running > max_running)
			max_running = running;
		return;
	}
	finished++;
	snprintf(last_name, sizeof(last_name), "%s", oc->result_name);
	snprintf(last_text, sizeof(last_text), "%s",
		 json_string_value(json_object_get(oc->result, "text")) ?: "");
	last_synth = oc->synthesized;
	last_killed = oc->killed;
}

static void loop_until(struct gb_runner *r, unsigned want)
{
	struct pollfd p = { .fd = gb_runner_fd(r), .events = POLLIN };

	while (finished < want) {
		poll(&p, 1, 1000);
		gb_runner_dispatch(r);
	}
}

static void req_for(struct gb_grade_req *q, const char *task, char *res, size_t size, int i)
{
	static char taskpath[256], input[256];

	snprintf(taskpath, sizeof(taskpath), "%s/%s", dir, task);
	snprintf(input, sizeof(input), "%s/input.json", dir);
	snprintf(res, size, "%s/result-%d.json", dir, i);
	memset(q, 0, sizeof(*q));
	q->task_dir = taskpath;
	q->input_file = input;
	q->result_file = res;
}

int main(void)
{
	struct gb_config cfg;
	gb_error err = { 0 };
	struct gb_runner *r = NULL;
	struct gb_grade_req q;
	struct gb_run *run;
	char exe[300], res[300];
	FILE *f;

	TAP_PLAN(10);
	alarm(HANG_GUARD_S);
	if (!mkdtemp(dir) || gb_config_load(&cfg, &err) < 0) {
		TAP_SKIP_REST("no temp dir or config");
		return tap_done();
	}
	snprintf(exe, sizeof(exe), "%s/grade.sh", dir);
	f = fopen(exe, "w");
	fputs(stand_in, f);
	fclose(f);
	chmod(exe, 0755);
	setenv("GRADEBOX_GRADE_EXEC", exe, 1);
	TAP_OK(gb_runner_new(&cfg, SLOTS, &r, &err) == 0, "runner with 2 slots");
	the_runner = r;

	for (int i = 0; i < JOBS; i++) {
		req_for(&q, "ok", res, sizeof(res), i);
		if (i == 0) {
			q.time = 1.5;
			q.memory_mb = 100;
			q.image = "default";
		}
		gb_runner_submit(r, &q, on_event, (void *)(uintptr_t)i, NULL, &err);
	}
	TAP_OK(gb_runner_running(r) == SLOTS && gb_runner_queued(r) == JOBS - SLOTS,
	       "jobs past the slots wait in the queue");
	loop_until(r, JOBS);
	TAP_OK(max_running == SLOTS, "never more jobs at once than slots");
	TAP_OK(order_ok, "jobs start in submission order");
	TAP_OK(!strcmp(last_name, "success") && !last_synth, "the grader's result is read back");
	{
		/* the first job's text holds its arguments */
		_cleanup_free_ char *text = NULL;
		snprintf(res, sizeof(res), "%s/result-0.json", dir);
		gb_read_file(res, 4096, &text, NULL, &err);
		TAP_OK(text && strstr(text, "grade --task") && strstr(text, "--time 1.5") &&
			       strstr(text, "--memory 100") && strstr(text, "--image default") &&
			       strstr(text, "--json"),
		       "grade gets the task, the limits, the image and --json");
	}

	finished = 0;
	next_expected = 100;
	req_for(&q, "crash", res, sizeof(res), 10);
	gb_runner_submit(r, &q, on_event, (void *)(uintptr_t)100, NULL, &err);
	loop_until(r, 1);
	TAP_OK(!strcmp(last_name, "error") && last_synth &&
		       strstr(last_text, "the grading supervisor crashed"),
	       "a grader that dies without a result gives an error result");

	finished = 0;
	next_expected = 101;
	req_for(&q, "term", res, sizeof(res), 11);
	gb_runner_submit(r, &q, on_event, (void *)(uintptr_t)101, &run, &err);
	usleep(200000);
	gb_run_kill(run);
	loop_until(r, 1);
	TAP_OK(!strcmp(last_name, "killed") && !last_synth && last_killed,
	       "a killed job gets SIGTERM and the grader's killed result");

	finished = 0;
	next_expected = 102;
	gb_runner_hold(r, true);
	req_for(&q, "ok", res, sizeof(res), 12);
	gb_runner_submit(r, &q, on_event, (void *)(uintptr_t)102, &run, &err);
	gb_run_kill(run);
	TAP_OK(finished == 1 && !strcmp(last_name, "killed") && last_synth,
	       "a queued job killed ends at once, never started");
	gb_runner_hold(r, false);

	finished = 0;
	next_expected = 103;
	req_for(&q, "stubborn", res, sizeof(res), 13);
	gb_runner_submit(r, &q, on_event, (void *)(uintptr_t)103, &run, &err);
	usleep(200000);
	gb_run_kill(run);
	loop_until(r, 1);
	TAP_OK(!strcmp(last_name, "killed") && last_synth,
	       "a grader that ignores SIGTERM is SIGKILLed after the grace");

	gb_runner_free(r);
	{
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
