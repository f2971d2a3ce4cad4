/* Unit tests: task.yaml in both INGInious forms, its numbers, defaults and
 * every broken file's message (src/grade/task.c), and the environment
 * parameters JSON of `grade --params`. The fixtures are shaped after
 * public INGInious courses' task.yaml files, written anew. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "task.h"
#include "util.h"

#define SHOWN "t/task.yaml"
#define MIB (UINT64_C(1) << 20)

static gb_error err;

static int parse(const char *yaml, struct gb_task *t)
{
	gb_error_clear(&err);
	return gb_task_parse(yaml, strlen(yaml), SHOWN, t, &err);
}

/* The file fails with exactly this message. */
static bool fails_with(const char *yaml, const char *msg)
{
	struct gb_task t;
	bool ok = parse(yaml, &t) < 0 && !strcmp(err.msg, msg);

	if (!ok)
		printf("# got: %s\n", err.msg);
	gb_task_free(&t);
	return ok;
}

/* The file fails, and the message starts with the file and holds `part`. */
static bool fails_like(const char *yaml, const char *part)
{
	struct gb_task t;
	bool ok = parse(yaml, &t) < 0 && !strncmp(err.msg, SHOWN ":", strlen(SHOWN ":")) &&
		  strstr(err.msg, part);

	if (!ok)
		printf("# got: %s\n", err.msg);
	gb_task_free(&t);
	return ok;
}

/* A bash task of the current form (INGInious >= 0.7), as its editor saves it. */
static const char current_form[] =
	"author: A. Teacher\n"
	"contact_url: ''\n"
	"context: |-\n"
	"    Write a script that finds the bug in ``buggy.sh``.\n"
	"environment_id: default\n"
	"environment_parameters:\n"
	"    limits:\n"
	"        time: '3'\n"
	"        hard_time: ''\n"
	"        memory: '100'\n"
	"    run_cmd: ''\n"
	"environment_type: docker\n"
	"file: ''\n"
	"input_random: 0\n"
	"name: Find the bug\n"
	"network_grading: true\n"
	"problems:\n"
	"    findbug:\n"
	"        type: code\n"
	"        language: bash\n"
	"        default: '#!/bin/bash'\n";

/* A Java task of the legacy form (INGInious 0.4-0.6). */
static const char legacy_form[] =
	"accessible: true\n"
	"author: Two Students\n"
	"context: ''\n"
	"environment: java8\n"
	"groups: false\n"
	"limits:\n"
	"    memory: '150'\n"
	"    output: '4'\n"
	"    time: '20'\n"
	"name: 'Mission 1 : Booleans'\n"
	"network_grading: false\n"
	"problems:\n"
	"    q1:\n"
	"        type: multiple-choice\n"
	"        choices:\n"
	"        -   text: 'true'\n"
	"        -   valid: true\n"
	"            text: 'false'\n"
	"    q2:\n"
	"        type: code-single-line\n"
	"weight: 1.0\n"
	"order: 0\n";

static int write_at(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (gb_write_all(fd, text, strlen(text)) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void test_forms(void)
{
	struct gb_task t;
	int r;

	r = parse(current_form, &t);
	TAP_OK(r == 0 && t.environment_type && !strcmp(t.environment_type, "docker") &&
		       t.environment_id && !strcmp(t.environment_id, "default"),
	       "current form: environment_type and environment_id");
	TAP_OK(r == 0 && t.limits.time == 3 && t.limits.hard_time == 9 &&
		       t.limits.memory_mb == 100 && t.limits.disk_mb == 1024 &&
		       t.limits.output_bytes == 2 * MIB,
	       "current form: string limits, hard_time '' is 3 x time, disk and output default");
	TAP_OK(r == 0 && t.run_cmd == NULL, "current form: run_cmd '' is unset");
	TAP_OK(r == 0 && !t.network_grading,
	       "current form: a top-level network_grading is not the environment's");
	TAP_OK(r == 0 && t.nproblems == 1 && !strcmp(t.problem_ids[0], "findbug") &&
		       t.input_random == 0,
	       "current form: problem ids and input_random");
	gb_task_free(&t);

	r = parse(legacy_form, &t);
	TAP_OK(r == 0 && t.environment_id && !strcmp(t.environment_id, "java8") &&
		       t.environment_type && !strcmp(t.environment_type, "docker"),
	       "legacy form: environment is the environment_id, type docker");
	TAP_OK(r == 0 && t.limits.time == 20 && t.limits.hard_time == 60 &&
		       t.limits.memory_mb == 150 && t.limits.output_bytes == 4 * MIB &&
		       t.limits.disk_mb == 1024,
	       "legacy form: top-level limits as strings, output in MB");
	TAP_OK(r == 0 && t.nproblems == 2 && !strcmp(t.problem_ids[0], "q1") &&
		       !strcmp(t.problem_ids[1], "q2"),
	       "legacy form: problem ids in file order");
	gb_task_free(&t);

	r = parse("environment: cpp\nlimits: {time: 7}\nrun_cmd: ./grade\nnetwork_grading: yes\n"
		  "environment_parameters:\n  limits: {time: 99}\n  run_cmd: other\n",
		  &t);
	TAP_OK(r == 0 && t.limits.time == 7 && t.run_cmd && !strcmp(t.run_cmd, "./grade") &&
		       t.network_grading,
	       "legacy form wins over environment_parameters (INGInious's migration)");
	gb_task_free(&t);
	r = parse("environment: mcq\n", &t);
	TAP_OK(r == 0 && !strcmp(t.environment_type, "mcq"), "legacy environment mcq: type mcq");
	gb_task_free(&t);

	r = parse("name: nothing else\n", &t);
	TAP_OK(r == 0 && !t.environment_type && !t.environment_id && t.limits.time == 30 &&
		       t.limits.hard_time == 90 && t.limits.memory_mb == 200 &&
		       t.limits.disk_mb == 1024 && t.limits.output_bytes == 2 * MIB && !t.run_cmd &&
		       !t.network_grading && t.nproblems == 0 && t.input_random == 0,
	       "no environment fields: INGInious's defaults, the default image");
	gb_task_free(&t);
}

static void test_numbers(void)
{
	struct gb_task t;
	int r;

	r = parse("environment_parameters:\n  limits: {time: 10, memory: 512, disk: 50, output: 1}\n",
		  &t);
	TAP_OK(r == 0 && t.limits.time == 10 && t.limits.hard_time == 30 &&
		       t.limits.memory_mb == 512 && t.limits.disk_mb == 50 &&
		       t.limits.output_bytes == MIB,
	       "integer limits");
	gb_task_free(&t);
	r = parse("environment_parameters:\n  limits: {time: 2.5, memory: 64.9}\n", &t);
	TAP_OK(r == 0 && t.limits.time == 2.5 && t.limits.hard_time == 7.5 &&
		       t.limits.memory_mb == 64,
	       "float limits: fractional seconds kept, MB truncated as int()");
	gb_task_free(&t);
	r = parse("environment_parameters:\n  limits: {time: '1.5', hard_time: '45', memory: ' 1_000 ',"
		  " disk: '2e3'}\n",
		  &t);
	TAP_OK(r == 0 && t.limits.time == 1.5 && t.limits.hard_time == 45 &&
		       t.limits.memory_mb == 1000 && t.limits.disk_mb == 2000,
	       "string limits: fraction, spaces, '_' between digits, exponent; hard_time set");
	gb_task_free(&t);
	r = parse("environment_parameters:\n  limits: {time: ~, hard_time: null, memory: '', disk: }\n",
		  &t);
	TAP_OK(r == 0 && t.limits.time == 30 && t.limits.hard_time == 90 &&
		       t.limits.memory_mb == 200 && t.limits.disk_mb == 1024,
	       "null and '' limits are unset");
	gb_task_free(&t);
	r = parse("environment_parameters:\n  limits: {time: 4, hard_time: 0}\n", &t);
	TAP_OK(r == 0 && t.limits.hard_time == 12,
	       "hard_time 0 is unset, as INGInious's agent (hard_time or 3 x time)");
	gb_task_free(&t);
	r = parse("environment_parameters:\n  limits: {memory: 5}\n", &t);
	TAP_OK(r == 0 && t.limits.memory_mb == GB_TASK_MIN_MEMORY_MB,
	       "memory below 20 MB is raised to 20, as INGInious's agent");
	gb_task_free(&t);
	r = parse("input_random: '3'\n", &t);
	TAP_OK(r == 0 && t.input_random == 3, "input_random as a string");
	gb_task_free(&t);
	r = parse("environment_parameters:\n  limits: &l {time: 4}\nother: *l\n", &t);
	TAP_OK(r == 0 && t.limits.time == 4, "anchors and aliases");
	gb_task_free(&t);

	TAP_OK(fails_with("environment_type: docker\n"
			  "environment_parameters:\n"
			  "  limits:\n"
			  "    time: abc\n",
			  SHOWN ":4:11: environment_parameters.limits.time: 'abc' is not a number"),
	       "a limit that is not a number: file:line:col, field and value");
	TAP_OK(fails_with("limits:\n  memory: '0x10'\nenvironment: c\n",
			  SHOWN ":2:11: limits.memory: '0x10' is not a number"),
	       "legacy form: a hexadecimal limit is refused with the legacy field's path");
	TAP_OK(fails_like("environment_parameters:\n  limits: {time: 0}\n",
			  ":2:18: environment_parameters.limits.time: must be greater than 0"),
	       "a zero time is refused");
	TAP_OK(fails_like("environment_parameters:\n  limits: {hard_time: '-5'}\n",
			  "limits.hard_time: must be greater than 0"),
	       "a negative hard_time is refused");
	TAP_OK(fails_like("environment_parameters:\n  limits: {time: 1e9}\n",
			  "limits.time: 1e+09 is more than gradebox allows"),
	       "an absurd time is refused");
	TAP_OK(fails_like("environment_parameters:\n  limits: {disk: 0.5}\n",
			  "limits.disk: must be at least 1 MB"),
	       "a size under 1 MB is refused");
	TAP_OK(fails_like("environment_parameters:\n  limits: {output: nan}\n",
			  "limits.output: 'nan' is not a number"),
	       "nan is not a number");
	TAP_OK(fails_like("environment_parameters:\n  limits: {memory: {max: 3}}\n",
			  ":2:20: environment_parameters.limits.memory: expected a number, found a "
			  "mapping"),
	       "a mapping where a number goes");
	TAP_OK(fails_like("environment_parameters:\n  limits: [1, 2]\n",
			  ":2:11: environment_parameters.limits: expected a mapping, found a list"),
	       "a list where the limits mapping goes");
	TAP_OK(fails_like("environment_parameters: 3\n",
			  ":1:25: environment_parameters: expected a mapping, found a scalar"),
	       "a scalar where environment_parameters goes");
	TAP_OK(fails_like("input_random: -1\n", ":1:15: input_random: must be a count from 0 to"),
	       "a negative input_random");
	TAP_OK(fails_like("input_random: 100000\n", "input_random: must be a count"),
	       "too many @random floats");
}

static void test_fields(void)
{
	struct gb_task t;
	int r;

	r = parse("environment_parameters:\n  run_cmd: python3 /task/grader.py --all\n"
		  "  network_grading: true\n",
		  &t);
	TAP_OK(r == 0 && t.run_cmd && !strcmp(t.run_cmd, "python3 /task/grader.py --all") &&
		       t.network_grading,
	       "run_cmd and network_grading true");
	gb_task_free(&t);
	r = parse("environment_parameters:\n  run_cmd: '   '\n  network_grading: 'Off'\n", &t);
	TAP_OK(r == 0 && !t.run_cmd && !t.network_grading,
	       "a run_cmd of spaces is unset; YAML 1.1's Off is false");
	gb_task_free(&t);
	r = parse("problems:\n  b: {type: code}\n  a: {type: match}\n  c: {}\n  a: {}\n", &t);
	TAP_OK(r == 0 && t.nproblems == 3 && !strcmp(t.problem_ids[0], "b") &&
		       !strcmp(t.problem_ids[1], "a") && !strcmp(t.problem_ids[2], "c"),
	       "several problems in file order, a repeated id once");
	gb_task_free(&t);
	r = parse("weight: 1.0\nsubmission_limit: {amount: -1, period: -1}\nstored_submissions: 0\n"
		  "evaluate: best\ncategories: []\nenvironment_parameters:\n  ssh_allowed: false\n"
		  "  response_is_html: true\n  limits: {time: 5, cpu_shares: 9}\n",
		  &t);
	TAP_OK(r == 0 && t.limits.time == 5, "unknown fields are ignored");
	gb_task_free(&t);

	TAP_OK(fails_like("environment_parameters:\n  network_grading: maybe\n",
			  ":2:20: environment_parameters.network_grading: 'maybe' is not a boolean"),
	       "a network_grading that is not a boolean");
	TAP_OK(fails_like("environment_parameters:\n  run_cmd: [a, b]\n",
			  ":2:12: environment_parameters.run_cmd: expected a string, found a list"),
	       "a run_cmd that is a list");
	TAP_OK(fails_like("environment_id: {name: x}\n",
			  ":1:17: environment_id: expected a string, found a mapping"),
	       "an environment_id that is a mapping");
	TAP_OK(fails_like("environment: [a]\n", ":1:14: environment: expected a string"),
	       "a legacy environment that is a list");
	TAP_OK(fails_like("problems: [q1, q2]\n",
			  ":1:11: problems: expected a mapping of problem ids, found a list"),
	       "problems that are a list");
	TAP_OK(fails_like("problems:\n  ? [a]\n  : x\n", "problems: a problem id must be a scalar"),
	       "a problem id that is not a scalar");
}

static void test_broken(void)
{
	char deep[GB_TASK_YAML_MAX_DEPTH * 2 + 16];

	TAP_OK(fails_with("name: a: b\n",
			  SHOWN ":1:8: YAML syntax error: mapping values are not allowed in this "
				"context"),
	       "YAML syntax error: libyaml's problem and mark");
	TAP_OK(fails_like("name: 'unclosed\nother: 1\n",
			  ":3:1: YAML syntax error: found unexpected end of stream while scanning a "
			  "quoted scalar"),
	       "an unclosed quote: problem, mark and context");
	TAP_OK(fails_like("a:\n\tb: 1\n", "YAML syntax error: found character that cannot start"),
	       "a tab for indentation");
	TAP_OK(fails_like("limits:\n  time: 3\n time: 4\n", ":3:2: YAML syntax error"),
	       "bad indentation");
	TAP_OK(fails_like("- a\n- b\n", ":1:1: (top level): expected a mapping of task fields, "
					"found a list"),
	       "a list at the top level");
	TAP_OK(fails_like("just words\n", "expected a mapping of task fields, found a scalar"),
	       "a scalar at the top level");
	TAP_OK(fails_with("", SHOWN ": empty: a task.yaml is a mapping of task fields"),
	       "an empty file");
	TAP_OK(fails_with("# only a comment\n", SHOWN ": empty: a task.yaml is a mapping of task "
							"fields"),
	       "a file of comments");
	TAP_OK(fails_like("a: 1\n---\nb: 2\n", ":2:1: more than one YAML document"),
	       "two YAML documents");
	memset(deep, '[', sizeof(deep) - 1);
	memcpy(deep, "a: ", 3);
	deep[sizeof(deep) - 1] = '\0';
	TAP_OK(fails_like(deep, "nested more than 64 levels deep"), "deep nesting is refused");
	TAP_OK(fails_like("a: \"\\xff\"\nb: \"\\q\"\n", "YAML syntax error"),
	       "an unknown escape in a double-quoted scalar");
}

static void test_load(void)
{
	char dir[] = "/tmp/gb-test-task-XXXXXX", path[sizeof(dir) + 32];
	struct gb_task t;
	int dfd, r;
	char *big;

	if (!mkdtemp(dir)) {
		TAP_SKIP_REST("cannot make a temporary directory");
		return;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	r = gb_task_load(dfd, "c/t1/task.yaml", &t, &err);
	TAP_OK(r < 0 && strstr(err.msg, "c/t1/task.yaml: No such file or directory"),
	       "load: a missing task.yaml names the file");
	gb_task_free(&t);

	write_at(dfd, "task.yaml", legacy_form);
	r = gb_task_load(dfd, "c/t1/task.yaml", &t, &err);
	TAP_OK(r == 0 && !strcmp(t.environment_id, "java8") && t.nproblems == 2,
	       "load: task.yaml through the task dir's fd");
	gb_task_free(&t);

	write_at(dfd, "task.yaml", "environment_parameters:\n  limits:\n    time: x\n");
	r = gb_task_load(dfd, "c/t1/task.yaml", &t, &err);
	TAP_OK(r < 0 && !strncmp(err.msg, "c/t1/task.yaml:3:11: ", 21),
	       "load: messages start with the shown path, line and column");
	gb_task_free(&t);

	unlinkat(dfd, "task.yaml", 0);
	write_at(dfd, "real.yaml", legacy_form);
	r = symlinkat("real.yaml", dfd, "task.yaml") < 0
		    ? 0
		    : gb_task_load(dfd, "c/t1/task.yaml", &t, &err);
	TAP_OK(r < 0 && strstr(err.msg, "symbolic link"), "load: a symlinked task.yaml is refused");
	gb_task_free(&t);

	unlinkat(dfd, "task.yaml", 0);
	r = mkfifoat(dfd, "task.yaml", 0600) < 0 ? 0 : gb_task_load(dfd, "c/t1/task.yaml", &t, &err);
	TAP_OK(r < 0 && strstr(err.msg, "not a regular file"),
	       "load: a FIFO is refused without hanging");
	gb_task_free(&t);

	unlinkat(dfd, "task.yaml", 0);
	r = mkdirat(dfd, "task.yaml", 0700) < 0 ? 0 : gb_task_load(dfd, "c/t1/task.yaml", &t, &err);
	TAP_OK(r < 0 && strstr(err.msg, "not a regular file"), "load: a directory is refused");
	gb_task_free(&t);
	unlinkat(dfd, "task.yaml", AT_REMOVEDIR);

	big = malloc(GB_TASK_YAML_MAX + 2);
	memset(big, '#', GB_TASK_YAML_MAX + 1);
	big[GB_TASK_YAML_MAX + 1] = '\0';
	write_at(dfd, "task.yaml", big);
	free(big);
	r = gb_task_load(dfd, "c/t1/task.yaml", &t, &err);
	TAP_OK(r < 0 && strstr(err.msg, "larger than"), "load: an oversized file is refused");
	gb_task_free(&t);

	unlinkat(dfd, "task.yaml", 0);
	unlinkat(dfd, "real.yaml", 0);
	close(dfd);
	snprintf(path, sizeof(path), "%s", dir);
	rmdir(path);
}

static void test_params(void)
{
	struct gb_task t;
	const char *p;
	int r;

	parse(current_form, &t);
	p = "{\"limits\": {\"time\": \"5\", \"memory\": 300, \"output\": 1.0}, \"run_cmd\": \"./x\","
	    " \"network_grading\": true}";
	r = gb_task_apply_params(&t, p, strlen(p), "params.json", &err);
	TAP_OK(r == 0 && t.limits.time == 5 && t.limits.hard_time == 15 &&
		       t.limits.memory_mb == 300 && t.limits.output_bytes == MIB &&
		       t.limits.disk_mb == 1024 && !strcmp(t.run_cmd, "./x") && t.network_grading,
	       "params: JSON limits (strings and numbers), run_cmd, network_grading");
	TAP_OK(!strcmp(t.environment_id, "default") && t.nproblems == 1,
	       "params: environment and problems stay the task.yaml's");
	p = "{\"limits\": {\"hard_time\": \"\"}}";
	r = gb_task_apply_params(&t, p, strlen(p), "params.json", &err);
	TAP_OK(r == 0 && t.limits.time == 30 && t.limits.hard_time == 90 &&
		       t.limits.memory_mb == 200 && !t.run_cmd && !t.network_grading,
	       "params replace everything: absent fields go back to the defaults");

	p = "{\"limits\": {\"time\": \"abc\"}}";
	r = gb_task_apply_params(&t, p, strlen(p), "params.json", &err);
	TAP_OK(r < 0 && !strcmp(err.msg, "params.json: limits.time: 'abc' is not a number") &&
		       t.limits.time == 30,
	       "params: a bad limit names the file and field; the task is unchanged");
	p = "{\"limits\": 3}";
	r = gb_task_apply_params(&t, p, strlen(p), "params.json", &err);
	TAP_OK(r < 0 && !strcmp(err.msg, "params.json: limits: expected a mapping, found a number"),
	       "params: limits that are not an object");
	p = "{\"network_grading\": \"perhaps\"}";
	r = gb_task_apply_params(&t, p, strlen(p), "params.json", &err);
	TAP_OK(r < 0 && strstr(err.msg, "network_grading: 'perhaps' is not a boolean"),
	       "params: a network_grading that is not a boolean");
	p = "{\"limits\": {\"time\": 5,}}";
	r = gb_task_apply_params(&t, p, strlen(p), "params.json", &err);
	TAP_OK(r < 0 && !strncmp(err.msg, "params.json:1:", 14) && strstr(err.msg, "JSON syntax"),
	       "params: a JSON syntax error with line and column");
	p = "[1]";
	r = gb_task_apply_params(&t, p, strlen(p), "params.json", &err);
	TAP_OK(r < 0 && strstr(err.msg, "params.json: expected a JSON object"),
	       "params: not an object");
	gb_task_free(&t);
}

int main(void)
{
	TAP_PLAN(67);
	test_forms();
	test_numbers();
	test_fields();
	test_broken();
	test_load();
	test_params();
	return TAP_DONE();
}
