/* gradebox-api: the INGInious container API commands as one static
 * multi-call binary. helpers/bin/ holds it and one symlink per command
 * name; the name it was started as picks the command (or the first
 * argument: `gradebox-api feedback-result success`). Static, libc only, so
 * the same file runs in busybox, Alpine and Debian images. */
#include <stdio.h>
#include <string.h>

#include "api.h"

/* INGInious's exit code when run_student cannot reach a student container
 * (gradebox: outside a grading sandbox). */
#define API_STUDENT_UNAVAILABLE 251

/* The run_student helper's client (helpers/api/run_student.c) replaces
 * these at link time; without it the commands say why they cannot run. */
__attribute__((weak)) int gb_api_run_student(int argc, char **argv)
{
	fputs("run_student: no student container can be started here (not inside a gradebox grading "
	      "sandbox, or this gradebox-api was built without run_student)\n",
	      stderr);
	return API_STUDENT_UNAVAILABLE;
}

__attribute__((weak)) int gb_api_ssh_student(int argc, char **argv)
{
	fputs("ssh_student: no student container can be started here (not inside a gradebox grading "
	      "sandbox, or this gradebox-api was built without run_student)\n",
	      stderr);
	return API_STUDENT_UNAVAILABLE;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} api_commands[] = {
	{"feedback-result", api_cmd_feedback_result},
	{"feedback-grade", api_cmd_feedback_grade},
	{"feedback-msg", api_cmd_feedback_msg},
	{"feedback-msg-tpl", api_cmd_feedback_msg_tpl},
	{"feedback-custom", api_cmd_feedback_custom},
	{"feedback-state", api_cmd_feedback_state},
	{"feedback", api_cmd_feedback},
	{"tag-set", api_cmd_tag_set},
	{"tag", api_cmd_tag},
	{"getinput", api_cmd_getinput},
	{"parsetemplate", api_cmd_parsetemplate},
	{"rst-code", api_cmd_rst_code},
	{"rst-image", api_cmd_rst_image},
	{"rst-msgblock", api_cmd_rst_msgblock},
	{"rst-indent", api_cmd_rst_indent},
	{"archive", api_cmd_archive},
	{"run_student", gb_api_run_student},
	{"ssh_student", gb_api_ssh_student},
};

static int dispatch(const char *name, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(api_commands) / sizeof(api_commands[0]); i++)
		if (!strcmp(name, api_commands[i].name))
			return api_commands[i].fn(argc, argv);
	return -1;
}

int main(int argc, char **argv)
{
	const char *self = argc > 0 ? argv[0] : "gradebox-api";
	const char *base = strrchr(self, '/');
	base = base ? base + 1 : self;
	int rc = dispatch(base, argc, argv);
	if (rc >= 0)
		return rc;
	if (argc > 1 && (rc = dispatch(argv[1], argc - 1, argv + 1)) >= 0)
		return rc;
	fprintf(stderr, "gradebox-api: unknown command %s; the commands:", argc > 1 ? argv[1] : "(none)");
	for (size_t i = 0; i < sizeof(api_commands) / sizeof(api_commands[0]); i++)
		fprintf(stderr, " %s", api_commands[i].name);
	fputc('\n', stderr);
	return 2;
}
