/* fuzz_seccomp: the seccomp profile parser, through its public entry point
 * gb_seccomp_compile (the profile is a file, as the admin's config names
 * it). Each profile is compiled twice: with no flag (--root: `nonroot`
 * rules skipped) and with every flag set (a default-user sandbox, and any
 * rule prefix a flag turns off). 0 and ~0u mean that both for the bool
 * `nonroot` parameter and for a flags word. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "seccomp.h"

static struct gb_fuzz_scratch scratch;
static char profile[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	gb_fuzz_scratch_init(&scratch, "seccomp");
	snprintf(profile, sizeof(profile), "%s/profile.txt", scratch.work);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gb_error err;
	int fd;

	gb_fuzz_write_file(profile, data, size);
	for (int i = 0; i < 2; i++) {
		struct gb_seccomp sc;

		if (gb_seccomp_compile(profile, i ? ~0u : 0u, &fd, &err) < 0)
			continue;
		/* What the supervisor hands init must read back whole. */
		if (gb_seccomp_load(fd, &sc, &err) < 0)
			abort();
		gb_seccomp_free(&sc);
		close(fd);
	}
	return 0;
}
