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
/* System calls one rule line may name. */
#define GB_SECCOMP_LINE_CALLS 64
/* Above every x86_64 system call number (the kernel's table ends near 470). */
#define GB_SECCOMP_MAX_NR 1023
/* Arguments a condition may compare: arg0 to arg5. */
#define GB_SECCOMP_ARGS 6
#define GB_SECCOMP_ARG_PREFIX "arg"

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

/* A decimal or 0x hex number at s; returns the end, or NULL. */
static const char *parse_value(const char *s, uint64_t *v)
{
	int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	char *end;

	if (base == 16 ? !isxdigit((unsigned char)s[2]) : !isdigit((unsigned char)s[0]))
		return NULL;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno ? NULL : end;
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

/* One condition word: argN OP VALUE or argN&MASK==VALUE (see the profile's
 * header). Values are decimal or 0x hex. */
static int parse_cond(const char *word, struct scmp_arg_cmp *cmp, gb_error *err)
{
	static const struct {
		const char *text;
		enum scmp_compare op;
	} ops[] = {
		/* two-character operators first: "<=" must not parse as "<" */
		{ "==", SCMP_CMP_EQ }, { "!=", SCMP_CMP_NE }, { "<=", SCMP_CMP_LE },
		{ ">=", SCMP_CMP_GE }, { "<", SCMP_CMP_LT },  { ">", SCMP_CMP_GT },
	};
	const char *s = word + strlen(GB_SECCOMP_ARG_PREFIX);
	uint64_t mask = 0;
	size_t i;

	if (*s < '0' || *s >= '0' + GB_SECCOMP_ARGS)
		return gb_fail(err, 0, "'%s': the argument must be arg0 to arg%d", word,
			       GB_SECCOMP_ARGS - 1);
	memset(cmp, 0, sizeof(*cmp));
	cmp->arg = (unsigned int)(*s++ - '0');
	if (*s == '&') {
		s = parse_value(s + 1, &mask);
		if (!s)
			return gb_fail(err, 0, "'%s': bad mask after '&'", word);
		/* 0 would also read below as "no mask" (found by tests/fuzz). */
		if (!mask)
			return gb_fail(err, 0, "'%s': a mask of 0 leaves nothing to compare", word);
	}
	for (i = 0; i < GB_ARRAY_SIZE(ops); i++)
		if (!strncmp(s, ops[i].text, strlen(ops[i].text)))
			break;
	if (i == GB_ARRAY_SIZE(ops))
		return gb_fail(err, 0, "'%s': expected ==, !=, <, <=, > or >= after arg%u", word,
			       cmp->arg);
	if (mask && ops[i].op != SCMP_CMP_EQ)
		return gb_fail(err, 0, "'%s': a masked argument can only be compared with ==",
			       word);
	s = parse_value(s + strlen(ops[i].text), mask ? &cmp->datum_b : &cmp->datum_a);
	if (!s || *s)
		return gb_fail(err, 0, "'%s': the value must be a decimal or 0x hex number", word);
	if (mask) {
		cmp->op = SCMP_CMP_MASKED_EQ;
		cmp->datum_a = mask;
	} else {
		cmp->op = ops[i].op;
	}
	return 0;
}

static bool is_cond(const char *word)
{
	return !strncmp(word, GB_SECCOMP_ARG_PREFIX, strlen(GB_SECCOMP_ARG_PREFIX)) &&
	       isdigit((unsigned char)word[strlen(GB_SECCOMP_ARG_PREFIX)]);
}

/* A system call by name, or NAME=NR for one newer than libseccomp knows:
 * a deny-list lets through what it cannot name, and libseccomp 2.5 stops
 * at Linux 6.6's calls. Where libseccomp knows NAME, its number must be NR
 * (a typo there would quietly refuse some other call). NR is the native
 * ABI's, the only one the filter lets in. */
static int resolve_call(char *word, int *nr, gb_error *err)
{
	char *eq = strchr(word, '=');
	uint64_t given;
	int known;

	if (eq)
		*eq = '\0';
	known = seccomp_syscall_resolve_name(word);
	if (!eq) {
		if (known == __NR_SCMP_ERROR)
			return gb_fail(err, 0, "unknown system call '%s' (write NAME=NUMBER for "
					       "one newer than libseccomp)", word);
		*nr = known;
		return 0;
	}
	if (gb_parse_u64(eq + 1, &given) < 0 || given > GB_SECCOMP_MAX_NR)
		return gb_fail(err, 0, "'%s=%s': the number must be 0 to %d", word, eq + 1,
			       GB_SECCOMP_MAX_NR);
	if (known != __NR_SCMP_ERROR && (uint64_t)known != given)
		return gb_fail(err, 0, "'%s=%s': %s is system call %d here", word, eq + 1, word,
			       known);
	*nr = (int)given;
	return 0;
}

/* libseccomp 2.5 builds a rule's conditions into a chain by argument
 * number, and merging two chains that share a first comparison other than
 * == (arg0!=0 arg1==5 and arg0!=0 arg2==5) loops forever in
 * seccomp_rule_add (found by tests/fuzz; a 2-line profile hangs it). With
 * only == and &MASK== below a rule's highest argument, none hung: 160
 * random profiles of that shape (up to 200 rules) compiled in < 0.1 s.
 * An inequality on a lower argument can always be a rule of its own. */
static int check_cond_order(const struct scmp_arg_cmp *conds, unsigned n, gb_error *err)
{
	unsigned last = 0;

	for (unsigned i = 1; i < n; i++)
		if (conds[i].arg > conds[last].arg)
			last = i;
	for (unsigned i = 0; i < n; i++)
		if (i != last && conds[i].op != SCMP_CMP_EQ && conds[i].op != SCMP_CMP_MASKED_EQ)
			return gb_fail(err, 0, "arg%u: in a rule with several conditions, only the "
					       "highest argument (arg%u) may use !=, <, <=, > or >= "
					       "(libseccomp 2.5 hangs on the rest): compare arg%u "
					       "with == or &MASK==, or give it a rule of its own",
				       conds[i].arg, conds[last].arg, conds[i].arg);
	return 0;
}

static int add_line(scmp_filter_ctx ctx, char *line, unsigned flags, gb_error *err)
{
	char *save = NULL, *word = strtok_r(line, " \t", &save);
	int nrs[GB_SECCOMP_LINE_CALLS];
	const char *names[GB_SECCOMP_LINE_CALLS];
	struct scmp_arg_cmp conds[GB_SECCOMP_ARGS];
	unsigned seen = 0, ncalls = 0, nconds = 0;
	uint32_t action;
	bool skip = false;
	int r;

	/* A skipped rule is still checked: a profile is valid or not whoever
	 * runs it. */
	for (;;) {
		const char *prefix = word;
		if (!strcmp(word, "nonroot"))
			skip |= !(flags & GB_SECCOMP_NONROOT);
		else if (!strcmp(word, "unless-nested"))
			skip |= !!(flags & GB_SECCOMP_NESTED);
		else
			break;
		word = strtok_r(NULL, " \t", &save);
		if (!word)
			return gb_fail(err, 0, "'%s' needs a rule after it", prefix);
	}
	if (!strcmp(word, "clone-namespaces")) {
		word = strtok_r(NULL, " \t", &save);
		if (!word || parse_action(word, &action) < 0)
			return gb_fail(err, 0, "clone-namespaces needs an action (EPERM, ..., kill)");
		if ((word = strtok_r(NULL, " \t", &save)))
			return gb_fail(err, 0, "'%s' after clone-namespaces' action", word);
		for (size_t i = 0; !skip && i < GB_ARRAY_SIZE(ns_flags); i++) {
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
		if (is_cond(word)) {
			struct scmp_arg_cmp c;
			if (parse_cond(word, &c, err) < 0)
				return -1;
			/* libseccomp 2.5 refuses it (EINVAL): say why here. Also
			 * bounds conds[]: one per argument. */
			if (seen & (1u << c.arg))
				return gb_fail(err, 0, "arg%u is compared twice: a rule compares each "
						       "argument once (write two rules)",
					       c.arg);
			seen |= 1u << c.arg;
			conds[nconds++] = c;
			continue;
		}
		if (nconds)
			return gb_fail(err, 0, "system call '%s' after a condition: conditions come "
					       "last", word);
		if (ncalls == GB_ARRAY_SIZE(nrs))
			return gb_fail(err, 0, "more than %zu system calls in one rule",
				       GB_ARRAY_SIZE(nrs));
		names[ncalls] = word;
		if (resolve_call(word, &nrs[ncalls++], err) < 0)
			return -1;
	}
	if (!ncalls)
		return gb_fail(err, 0, "a rule needs a system call after its action");
	if (check_cond_order(conds, nconds, err) < 0)
		return -1;
	for (unsigned i = 0; !skip && i < ncalls; i++) {
		r = seccomp_rule_add_array(ctx, action, nrs[i], nconds, conds);
		if (r < 0)
			return gb_fail(err, -r, "rule for %s", names[i]);
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

int gb_seccomp_compile(const char *profile, unsigned flags, int *out, gb_error *err)
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
		if (add_line(ctx, s, flags, err) < 0)
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
