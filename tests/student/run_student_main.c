/* The run_student client alone, as a static program for the tests, until
 * helpers/bin/gradebox-api (the apic helper's multi-call binary) links it:
 * run_student or ssh_student by the name it is called. */
#include <string.h>

int gb_api_run_student(int argc, char **argv);
int gb_api_ssh_student(int argc, char **argv);

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "ssh_student"))
		return gb_api_ssh_student(argc, argv);
	return gb_api_run_student(argc, argv);
}
