/* Unit tests: util (number parsing, files, rm_rf that refuses to cross
 * mounts) and error (context chaining). */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "tap.h"
#include "util.h"

static void test_parse(void)
{
	double d;
	uint64_t u;

	TAP_OK(gb_parse_double("1.5", &d) == 0 && d == 1.5, "parse_double reads a fraction");
	TAP_OK(gb_parse_double("abc", &d) < 0, "parse_double refuses junk");
	TAP_OK(gb_parse_double("-1", &d) < 0, "parse_double refuses negatives");
	TAP_OK(gb_parse_double("", &d) < 0, "parse_double refuses empty");
	TAP_OK(gb_parse_u64("4242", &u) == 0 && u == 4242, "parse_u64 reads a number");
	TAP_OK(gb_parse_u64("12x", &u) < 0, "parse_u64 refuses trailing junk");
	TAP_OK(gb_parse_u64("-3", &u) < 0, "parse_u64 refuses a sign");
	TAP_OK(gb_parse_u64("99999999999999999999999", &u) < 0, "parse_u64 refuses overflow");
}

static void test_error(void)
{
	gb_error e = { 0 };

	TAP_OK(gb_fail(&e, ENOENT, "open %s", "/x") == -1, "gb_fail returns -1");
	TAP_OK(!strcmp(e.msg, "open /x: No such file or directory"), "gb_fail appends strerror");
	gb_context(&e, "rootfs");
	TAP_OK(!strcmp(e.msg, "rootfs: open /x: No such file or directory"),
	       "gb_context prefixes the message");
	TAP_OK(e.errnum == ENOENT, "errnum is kept");
}

static void test_files(void)
{
	char dir[] = "/tmp/gb-test-util-XXXXXX", path[256];
	gb_error e = { 0 };
	char *data = NULL;
	size_t len = 0;

	if (!mkdtemp(dir)) {
		TAP_OK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	TAP_OK(gb_mkdir_p(path, 0755, &e) == 0, "mkdir_p creates nested directories");
	snprintf(path, sizeof(path), "%s/a/b/c/f", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	TAP_OK(gb_write_file(path, "hello", &e) == 0, "write_file writes");
	TAP_OK(gb_read_file(path, 100, &data, &len, &e) == 0 && len == 5 && !strcmp(data, "hello"),
	       "read_file reads it back");
	free(data);
	TAP_OK(gb_read_file(path, 2, &data, &len, &e) < 0 && strstr(e.msg, "larger"),
	       "read_file refuses a file over its maximum");
	snprintf(path, sizeof(path), "%s/a/link", dir);
	TAP_OK(symlink("/etc", path) == 0, "symlink to /etc made");

	/* A mount inside the tree must stop rm_rf, never be emptied. */
	snprintf(path, sizeof(path), "%s/a/b/m", dir);
	mkdir(path, 0755);
	if (mount("t", path, "tmpfs", 0, NULL) == 0) {
		char inner[300];
		snprintf(inner, sizeof(inner), "%s/keep", path);
		close(open(inner, O_CREAT | O_WRONLY, 0644));
		TAP_OK(gb_rm_rf(dir, &e) < 0 && strstr(e.msg, "mount"),
		       "rm_rf refuses to cross a mount point");
		TAP_OK(access(inner, F_OK) == 0, "files behind the mount are untouched");
		umount(path);
	} else {
		TAP_SKIP("rm_rf refuses to cross a mount point", "cannot mount tmpfs (not root)");
		TAP_SKIP("files behind the mount are untouched", "cannot mount tmpfs (not root)");
	}
	TAP_OK(gb_rm_rf(dir, &e) == 0 && access(dir, F_OK) < 0, "rm_rf removes the tree");
	TAP_OK(access("/etc/passwd", F_OK) == 0, "rm_rf did not follow the symlink");
	TAP_OK(gb_rm_rf(dir, &e) == 0, "rm_rf of a missing path is not an error");
}

int main(void)
{
	/* One line for each test below; keep it in step. */
	TAP_PLAN(22);
	test_parse();
	test_error();
	test_files();
	return TAP_DONE();
}
