/* seccomp: see seccomp.h. */
#include "seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "util.h"

#define GB_SECCOMP_PROFILE_MAX (256 * 1024)
#define GB_SECCOMP_BPF_MAX (1024 * 1024)

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EPERM", EPERM },   { "ENOSYS", ENOSYS }, { "EACCES", EACCES },
	{ "EINVAL", EINVAL }, { "ENOENT", ENOENT }, { "EOPNOTSUPP", EOPNOTSUPP },
};

static const unsigned long ns_flags[] = {
	CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,	CLONE_NEWNET,
	CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP,
};

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static int parse_action(const char *word, uint32_t *action)
{
	if (!strcmp(word, "kill")) {
		*action = SCMP_ACT_KILL_PROCESS;
		return 0;
	}
	for (size_t i = 0; i < GB_ARRAY_SIZE(errnos); i++) {
		if (!strcmp(word, errnos[i].name)) {
			*action = SCMP_ACT_ERRNO(errnos[i].value);
			return 0;
		}
	}
	return -1;
}

static int add_line(scmp_filter_ctx ctx, char *line, bool nonroot, gb_error *err)
{
	char *save = NULL, *word = strtok_r(line, " \t", &save);
	uint32_t action;
	int r;

	if (!strcmp(word, "nonroot")) {
		word = strtok_r(NULL, " \t", &save);
		if (!word)
			return gb_fail(err, 0, "'nonroot' needs a rule after it");
		if (!nonroot)
			return 0;
	}
	if (!strcmp(word, "clone-namespaces")) {
		word = strtok_r(NULL, " \t", &save);
		if (!word || parse_action(word, &action) < 0)
			return gb_fail(err, 0, "clone-namespaces needs an action (EPERM, ..., kill)");
		for (size_t i = 0; i < GB_ARRAY_SIZE(ns_flags); i++) {
			r = seccomp_rule_add(ctx, action, SCMP_SYS(clone), 1,
					     SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
			if (r < 0)
				return gb_fail(err, -r, "clone-namespaces rule");
		}
		return 0;
	}
	if (parse_action(word, &action) < 0)
		return gb_fail(err, 0, "unknown action '%s' (an errno name such as EPERM, or kill)",
			       word);
	while ((word = strtok_r(NULL, " \t", &save))) {
		int nr = seccomp_syscall_resolve_name(word);
		if (nr == __NR_SCMP_ERROR)
			return gb_fail(err, 0, "unknown system call '%s'", word);
		r = seccomp_rule_add(ctx, action, nr, 0);
		if (r < 0)
			return gb_fail(err, -r, "rule for %s", word);
	}
	return 0;
}

/* libseccomp 2.5 exports BPF only to an fd: a memfd, which is also how the
 * program travels to init. */
static int export_bpf(scmp_filter_ctx ctx, int *out, gb_error *err)
{
	_cleanup_close_ int fd = memfd_create("gradebox-seccomp", MFD_CLOEXEC);
	int r;

	if (fd < 0)
		return gb_fail_errno(err, "memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return gb_fail(err, -r, "compile seccomp filter");
	*out = gb_steal_fd(&fd);
	return 0;
}

int gb_seccomp_load(int fd, struct gb_seccomp *out, gb_error *err)
{
	_cleanup_free_ struct sock_filter *filter = NULL;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st) < 0)
		return gb_fail_errno(err, "fstat seccomp memfd");
	if (st.st_size <= 0 || st.st_size > GB_SECCOMP_BPF_MAX ||
	    st.st_size % sizeof(struct sock_filter))
		return gb_fail(err, 0, "seccomp filter has a bad size (%lld bytes)",
			       (long long)st.st_size);
	filter = malloc(st.st_size);
	if (!filter)
		return gb_fail(err, ENOMEM, "seccomp filter");
	if (pread(fd, filter, st.st_size, 0) != st.st_size)
		return gb_fail_errno(err, "read seccomp filter");
	out->prog.len = st.st_size / sizeof(struct sock_filter);
	out->prog.filter = gb_steal_ptr(&filter);
	return 0;
}

int gb_seccomp_compile(const char *profile, bool nonroot, int *out, gb_error *err)
{
	__attribute__((cleanup(seccomp_releasep))) scmp_filter_ctx ctx = NULL;
	_cleanup_free_ char *text = NULL;
	char *line;
	int lineno = 0, r;

	*out = -1;
	if (gb_read_file(profile, GB_SECCOMP_PROFILE_MAX, &text, NULL, err) < 0)
		return gb_context(err, "seccomp profile");
	/* API level 3 (kernel 4.14: KILL_PROCESS) is all our actions need, and
	 * we load the BPF ourselves: saying so spares libseccomp probing the
	 * kernel with eight seccomp() calls on the path of every sandbox. */
	if (seccomp_api_set(3) < 0)
		return gb_fail(err, ENOSYS, "libseccomp: API level 3 unsupported");
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return gb_fail(err, ENOMEM, "seccomp_init");
	/* Only the native ABI: a 32-bit or x32 syscall would bypass the rules. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		return gb_fail(err, -r, "seccomp bad-arch action");
	/* A binary tree of syscall numbers instead of a list: the kernel runs
	 * the filter once per syscall number when it is installed (to cache
	 * the always-allowed ones), so a shorter path makes every sandbox start
	 * sooner (~30 us of ~135 here) as well as every filtered call. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return gb_fail(err, -r, "seccomp optimize attribute");
	/* The sandbox sets no_new_privs itself, before installing the filter. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return gb_fail(err, -r, "seccomp NNP attribute");

	for (char *next = text; (line = strsep(&next, "\n"));) {
		char *hash = strchr(line, '#'), *s;

		lineno++;
		if (hash)
			*hash = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		if (!*s)
			continue;
		if (add_line(ctx, s, nonroot, err) < 0)
			return gb_context(err, "%s: line %d", profile, lineno);
	}
	return export_bpf(ctx, out, err);
}

int gb_seccomp_install(const struct gb_seccomp *sc, gb_error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return gb_fail_errno(err, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (!sc->prog.filter)
		return 0;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &sc->prog, 0, 0) < 0)
		return gb_fail_errno(err, "install seccomp filter");
	return 0;
}

void gb_seccomp_free(struct gb_seccomp *sc)
{
	free(sc->prog.filter);
	sc->prog.filter = NULL;
}
