/* Unit tests: config file, environment overrides and their errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static int write_conf(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(void)
{
	char path[] = "/tmp/gb-test-conf-XXXXXX";
	struct gb_config c;
	gb_error e = { 0 };
	int fd = mkstemp(path);

	/* One line for each test below; keep it in step. */
	TAP_PLAN(22);

	close(fd);
	unsetenv("GRADEBOX_STATE_DIR");
	unsetenv("GRADEBOX_RUN_DIR");
	unsetenv("GRADEBOX_UID_BASE");
	unsetenv("GRADEBOX_UID_SLOTS");
	unsetenv("GRADEBOX_DEFAULT_PIDS");
	setenv("GRADEBOX_CONFIG", path, 1);

	write_conf(path, "# comment\nstate_dir = /srv/gb\nuid_base=3000000\n\n");
	TAP_OK(gb_config_load(&c, &e) == 0, "a valid config file loads");
	TAP_OK(!strcmp(c.state_dir, "/srv/gb"), "state_dir comes from the file");
	TAP_OK(c.uid_base == 3000000, "uid_base comes from the file");
	TAP_OK(!strcmp(c.run_dir, GB_DEFAULT_RUN_DIR), "unset keys keep their default");

	setenv("GRADEBOX_STATE_DIR", "/tmp/elsewhere", 1);
	TAP_OK(gb_config_load(&c, &e) == 0 && !strcmp(c.state_dir, "/tmp/elsewhere"),
	       "GRADEBOX_STATE_DIR overrides the file");
	unsetenv("GRADEBOX_STATE_DIR");

	write_conf(path, "state_dir = /a\nbogus = 1\n");
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, ":2:") && strstr(e.msg, "bogus"),
	       "an unknown key names the file, line and key");
	write_conf(path, "state_dir = relative\n");
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "absolute"),
	       "a relative path is refused");
	write_conf(path, "uid_base = 0\n");
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "uid_base"), "uid_base 0 is refused");
	write_conf(path, "no equals sign\n");
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "key = value"),
	       "a line without '=' is refused");

	write_conf(path, "");
	setenv("GRADEBOX_UID_BASE", "x", 1);
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "GRADEBOX_UID_BASE"),
	       "a bad environment override names the variable");
	unsetenv("GRADEBOX_UID_BASE");

	write_conf(path, "nested_images =  docker-in-docker\tkind  \n");
	TAP_OK(gb_config_load(&c, &e) == 0 && gb_config_nested_image(&c, "kind") &&
		       gb_config_nested_image(&c, "docker-in-docker"),
	       "nested_images lists names separated by spaces or tabs");
	TAP_OK(!gb_config_nested_image(&c, "docker") && !gb_config_nested_image(&c, "kinder") &&
		       !gb_config_nested_image(&c, ""),
	       "nested_images matches a name whole, never a prefix");
	write_conf(path, "");
	TAP_OK(gb_config_load(&c, &e) == 0 && !gb_config_nested_image(&c, "default"),
	       "no image is nested by default");
	setenv("GRADEBOX_NESTED_IMAGES", " \tkind", 1);
	TAP_OK(gb_config_load(&c, &e) == 0 && gb_config_nested_image(&c, "kind") &&
		       !gb_config_nested_image(&c, ""),
	       "GRADEBOX_NESTED_IMAGES sets nested_images; leading blanks name no image");
	unsetenv("GRADEBOX_NESTED_IMAGES");
	write_conf(path, "");
	TAP_OK(gb_config_load(&c, &e) == 0 && c.uid_slots == GB_DEFAULT_UID_SLOTS &&
	       c.default_time == 0 && c.default_hard_time == 600 && c.default_memory_mb == 1024 &&
	       c.default_pids == 512 && c.default_disk_mb == 1024 && c.default_output == 0,
	       "default limits: no CPU limit, 600 s wall, 1024 MB memory, 512 pids, 1024 MB disk");
	write_conf(path, "uid_slots = 40000\n");
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "uid_slots") && strstr(e.msg, "uid_base"),
	       "uid_slots whose ranges pass the last uid are refused");
	write_conf(path, "uid_slots = 40000\nuid_base = 1000000\n");
	TAP_OK(gb_config_load(&c, &e) == 0 && c.uid_slots == 40000,
	       "uid_slots and uid_base are checked together, in any order");
	write_conf(path, "uid_slots = 0\n");
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "uid_slots"), "uid_slots 0 is refused");
	write_conf(path, "default_memory_mb = 0\ndefault_pids = 64\ndefault_hard_time = 2.5\n");
	setenv("GRADEBOX_DEFAULT_PIDS", "99", 1);
	TAP_OK(gb_config_load(&c, &e) == 0 && c.default_memory_mb == 0 && c.default_pids == 99 &&
	       c.default_hard_time == 2.5,
	       "default limits come from the file (0 = none), the environment overrides it");
	unsetenv("GRADEBOX_DEFAULT_PIDS");
	write_conf(path, "default_hard_time = -1\n");
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "default_hard_time"),
	       "a negative default time is refused");
	write_conf(path, "default_disk_mb = lots\n");
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "default_disk_mb"),
	       "a default limit that is not a number is refused");

	setenv("GRADEBOX_CONFIG", "/nonexistent/gradebox.conf", 1);
	TAP_OK(gb_config_load(&c, &e) < 0 && strstr(e.msg, "/nonexistent/gradebox.conf"),
	       "an explicit config file that is missing is an error");
	unlink(path);
	return TAP_DONE();
}
