/* cmd_run: `gradebox run` — parse the command line into a sandbox spec and
 * limits, then hand it to the supervisor. Every check on user input is made
 * here, before anything is created. */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "image.h"
#include "mount.h"
#include "outfile.h"
#include "seccomp.h"
#include "supervisor.h"
#include "util.h"

#define GB_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define GB_WORKER_ID 4242
#define GB_HARD_TIME_FACTOR 3
#define GB_MAX_ENV 256
#define GB_MB (1024ull * 1024ull)
/* Print the usage error and fail (-1) where a function returns an index. */
#define USAGE(...) (gb_cli_usage(__VA_ARGS__), -1)

struct run_args {
	const char *rootfs, *image, *cwd, *hostname, *seccomp, *meta, *out_path, *err_path;
	struct gb_bind binds[GB_MOUNT_MAX_BINDS];
	size_t nbinds;
	char *env[GB_MAX_ENV];
	size_t nenv;
	uid_t uid;
	gid_t gid;
	bool root, nested, host_network, hard_time_set;
	struct gb_limits lim;
};

enum {
	OPT_ROOTFS = 256, OPT_IMAGE, OPT_BIND, OPT_ENV, OPT_CWD, OPT_USER, OPT_ROOT,
	OPT_NETWORK, OPT_HOSTNAME, OPT_SECCOMP, OPT_META, OPT_TIME, OPT_HARD_TIME,
	OPT_MEMORY, OPT_PIDS, OPT_DISK, OPT_OUTPUT, OPT_FILE_SIZE, OPT_NOFILE, OPT_STDOUT,
	OPT_STDERR, OPT_NESTED, OPT_HELP,
};

static const struct option options[] = {
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "cwd", required_argument, NULL, OPT_CWD },
	{ "user", required_argument, NULL, OPT_USER },
	{ "root", no_argument, NULL, OPT_ROOT },
	{ "nested", no_argument, NULL, OPT_NESTED },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "meta", required_argument, NULL, OPT_META },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "hard-time", required_argument, NULL, OPT_HARD_TIME },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "file-size", required_argument, NULL, OPT_FILE_SIZE },
	{ "nofile", required_argument, NULL, OPT_NOFILE },
	{ "stdout", required_argument, NULL, OPT_STDOUT },
	{ "stderr", required_argument, NULL, OPT_STDERR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char run_usage[] =
	"usage: gradebox run [--rootfs DIR | --image NAME] [options] -- CMD ARG...\n"
	"  --bind SRC:DST[:rw]   bind a host path (read-only unless :rw)\n"
	"  --env K=V             set an environment variable (repeatable)\n"
	"  --cwd DIR             working directory inside (default /)\n"
	"  --user UID[:GID]      run as this uid inside (default 4242:4242)\n"
	"  --root                run as root inside the user namespace\n"
	"  --nested              allow namespaces and mounts inside (nested containers)\n"
	"  --network none|host   no network but loopback (default), or the host's\n"
	"  --hostname H          hostname inside (default gradebox)\n"
	"  --seccomp FILE        replace the default seccomp profile\n"
	"  --time S --hard-time S --memory MB --pids N --disk MB --output BYTES\n"
	"  --file-size MB --nofile N       limits (see gradebox(1))\n"
	"  --stdout FILE --stderr FILE     capture output (capped by --output)\n"
	"  --meta FILE           write the run's outcome as JSON\n";

static int parse_seconds(const char *opt, const char *v, double *out)
{
	if (gb_parse_double(v, out) < 0 || *out <= 0)
		return gb_cli_usage("%s: '%s' is not a positive number of seconds", opt, v);
	return 0;
}

static int parse_count(const char *opt, const char *v, uint64_t scale, uint64_t *out)
{
	uint64_t n;

	if (gb_parse_u64(v, &n) < 0 || n == 0 || n > UINT64_MAX / scale)
		return gb_cli_usage("%s: '%s' is not a positive whole number", opt, v);
	*out = n * scale;
	return 0;
}

static int parse_user(const char *v, struct run_args *a)
{
	char buf[64], *colon;
	uint64_t uid, gid;

	snprintf(buf, sizeof(buf), "%s", v);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (gb_parse_u64(buf, &uid) < 0 || uid >= GB_ID_RANGE)
		return gb_cli_usage("--user: '%s' is not a uid between 0 and %u", buf,
				    GB_ID_RANGE - 1);
	gid = uid;
	if (colon && (gb_parse_u64(colon + 1, &gid) < 0 || gid >= GB_ID_RANGE))
		return gb_cli_usage("--user: '%s' is not a gid between 0 and %u", colon + 1,
				    GB_ID_RANGE - 1);
	a->uid = (uid_t)uid;
	a->gid = (gid_t)gid;
	a->root = (uid == 0);
	return 0;
}

static int parse_bind(char *v, struct run_args *a)
{
	struct gb_bind *b;
	char *dst, *mode;
	gb_error err = { 0 };
	int tree;

	if (a->nbinds == GB_MOUNT_MAX_BINDS)
		return gb_cli_usage("--bind: at most %d binds", GB_MOUNT_MAX_BINDS);
	dst = strchr(v, ':');
	if (!dst || dst == v)
		return gb_cli_usage("--bind: '%s' is not SRC:DST[:rw]", v);
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode)
		*mode++ = '\0';
	if (dst[0] != '/')
		return gb_cli_usage("--bind: destination '%s' must be an absolute path", dst);
	/* over the root, a bind would hide /proc, /dev and the image */
	if (dst[strspn(dst, "/.")] == '\0')
		return gb_cli_usage("--bind: destination '%s' is the sandbox's root", dst);
	if (mode && strcmp(mode, "rw") && strcmp(mode, "ro"))
		return gb_cli_usage("--bind: mode '%s' must be rw or ro", mode);
	/* Taken once, here, without following symlinks: see gb_bind.tree. */
	tree = gb_mount_take_tree(v, true, &err);
	if (tree < 0 && err.errnum == ELOOP)
		return gb_cli_usage("--bind: source %s has a symlink in its path: give the "
				    "resolved path (realpath %s)", v, v);
	if (tree < 0 && err.errnum == ENOENT)
		return gb_cli_usage("--bind: source %s", err.msg);
	if (tree < 0) {
		gb_context(&err, "--bind: source");
		return gb_cli_error(&err);
	}
	b = &a->binds[a->nbinds];
	b->src = strdup(v);
	if (!b->src) {
		close(tree);
		return gb_cli_usage("--bind: out of memory");
	}
	a->nbinds++;
	b->tree = tree;
	b->dst = dst;
	b->rw = mode && !strcmp(mode, "rw");
	return 0;
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
	int c;

	a->uid = a->gid = GB_WORKER_ID;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case OPT_ROOTFS: a->rootfs = optarg; break;
		case OPT_IMAGE: a->image = optarg; break;
		case OPT_BIND: if (parse_bind(optarg, a)) return -1; break;
		case OPT_ENV:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return USAGE("--env: '%s' is not KEY=VALUE", optarg);
			if (a->nenv == GB_MAX_ENV)
				return USAGE("--env: at most %d variables", GB_MAX_ENV);
			a->env[a->nenv++] = optarg;
			break;
		case OPT_CWD:
			if (optarg[0] != '/')
				return USAGE("--cwd: '%s' must be an absolute path", optarg);
			a->cwd = optarg;
			break;
		case OPT_USER: if (parse_user(optarg, a)) return -1; break;
		case OPT_ROOT: a->root = true; a->uid = a->gid = 0; break;
		case OPT_NESTED: a->nested = true; break;
		case OPT_NETWORK:
			if (strcmp(optarg, "none") && strcmp(optarg, "host"))
				return USAGE("--network: '%s' must be none or host", optarg);
			a->host_network = !strcmp(optarg, "host");
			break;
		case OPT_HOSTNAME:
			if (!*optarg || strlen(optarg) > 64)
				return USAGE("--hostname: '%s' must be 1 to 64 characters", optarg);
			a->hostname = optarg;
			break;
		case OPT_SECCOMP: a->seccomp = optarg; break;
		case OPT_META: a->meta = optarg; break;
		case OPT_STDOUT: a->out_path = optarg; break;
		case OPT_STDERR: a->err_path = optarg; break;
		case OPT_TIME: if (parse_seconds("--time", optarg, &a->lim.cpu_time)) return -1; break;
		case OPT_HARD_TIME:
			if (parse_seconds("--hard-time", optarg, &a->lim.wall_time))
				return -1;
			a->hard_time_set = true;
			break;
		case OPT_MEMORY: if (parse_count("--memory", optarg, GB_MB, &a->lim.memory_bytes)) return -1; break;
		case OPT_PIDS: if (parse_count("--pids", optarg, 1, &a->lim.pids)) return -1; break;
		case OPT_DISK: if (parse_count("--disk", optarg, GB_MB, &a->lim.disk_bytes)) return -1; break;
		case OPT_OUTPUT: if (parse_count("--output", optarg, 1, &a->lim.output_bytes)) return -1; break;
		case OPT_FILE_SIZE: if (parse_count("--file-size", optarg, GB_MB, &a->lim.fsize_bytes)) return -1; break;
		case OPT_NOFILE: if (parse_count("--nofile", optarg, 1, &a->lim.nofile)) return -1; break;
		case OPT_HELP: case 'h': fputs(run_usage, stdout); exit(0);
		case ':': return USAGE("run: %s needs a value", argv[optind - 1]);
		default: return USAGE("run: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (a->rootfs && a->image)
		return USAGE("run: give --rootfs or --image, not both");
	if (optind >= argc)
		return USAGE("run: missing command (gradebox run [options] -- CMD ARG...)");
	if (!a->hard_time_set && a->lim.cpu_time > 0)
		a->lim.wall_time = GB_HARD_TIME_FACTOR * a->lim.cpu_time;
	return optind;
}

/* What the command line left unset takes the configured default (config.h
 * says why each). Without --hard-time, --time still gives 3 x time. */
static void apply_default_limits(struct gb_limits *l, const struct gb_config *cfg)
{
	if (!l->cpu_time)
		l->cpu_time = cfg->default_time;
	if (!l->wall_time)
		l->wall_time = cfg->default_hard_time ? cfg->default_hard_time
						      : GB_HARD_TIME_FACTOR * l->cpu_time;
	if (!l->memory_bytes)
		l->memory_bytes = cfg->default_memory_mb * GB_MB;
	if (!l->pids)
		l->pids = cfg->default_pids;
	if (!l->disk_bytes)
		l->disk_bytes = cfg->default_disk_mb * GB_MB;
	if (!l->output_bytes)
		l->output_bytes = cfg->default_output;
}

/* PATH, HOME, TERM=dumb, then the image's Env, then --env (last wins). */
static char **build_env(const struct run_args *a, const struct gb_image_ref *img)
{
	size_t n = 3 + (img ? img->nenv : 0) + a->nenv, k = 0;
	char **env = calloc(n + 1, sizeof(*env));

	if (!env)
		return NULL;
	env[k++] = "PATH=" GB_DEFAULT_PATH;
	env[k++] = a->root ? "HOME=/root" : "HOME=/tmp";
	env[k++] = "TERM=dumb";
	for (size_t i = 0; img && i < img->nenv; i++)
		env[k++] = img->env[i];
	for (size_t i = 0; i < a->nenv; i++)
		env[k++] = a->env[i];
	/* later entries override earlier ones with the same key */
	for (size_t i = 0; i < k; i++) {
		size_t klen = strcspn(env[i], "=");
		for (size_t j = i + 1; j < k; j++) {
			if (!strncmp(env[i], env[j], klen) && env[j][klen] == '=') {
				memmove(&env[i], &env[i + 1], (k - i - 1) * sizeof(*env));
				k--;
				env[k] = NULL;
				i--;
				break;
			}
		}
	}
	return env;
}

/* Host outputs, in the order of outs[] below. */
enum { OUT_STDOUT, OUT_STDERR, OUT_META, OUT_N };

/* Check every output before creating any (a refused one leaves nothing
 * behind), then create --stdout and --stderr into fds; --meta stays
 * prepared until the run's end (outfile.h says what is checked). */
static int open_outputs(const struct run_args *a, uid_t sandbox_ids,
			struct gb_outfile outs[OUT_N], int fds[2], gb_error *err)
{
	static const char *const flags[OUT_N] = { "--stdout", "--stderr", "--meta" };
	const char *paths[OUT_N] = { a->out_path, a->err_path, a->meta };

	outs[OUT_META].replace = true;
	for (size_t i = 0; i < OUT_N; i++)
		if (paths[i] && gb_outfile_prepare(&outs[i], paths[i], sandbox_ids, err) < 0)
			return gb_context(err, "%s", flags[i]);
	for (size_t i = OUT_STDOUT; i <= OUT_STDERR; i++)
		if (paths[i] && (fds[i] = gb_outfile_open(&outs[i], err)) < 0)
			return gb_context(err, "%s", flags[i]);
	return 0;
}

int gb_cmd_run(int argc, char **argv, struct gb_config *cfg)
{
	struct run_args a = { 0 };
	struct gb_image_ref img = { .lock_fd = -1 };
	struct gb_sandbox_spec spec = { 0 };
	struct gb_box_io io = { .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2 };
	struct gb_outfile outs[OUT_N] = { { .dirfd = -1 }, { .dirfd = -1 }, { .dirfd = -1 } };
	int out_fds[2] = { -1, -1 };
	struct gb_result res;
	struct gb_job job;
	gb_error err = { 0 };
	char *rootfs_lower[1] = { NULL };
	int rootfs_tree = -1;
	_cleanup_free_ char **env = NULL;
	int cmd, rc;

	cmd = parse_args(argc, argv, &a);
	if (cmd < 0)
		return GB_EXIT_FAILURE;
	/* an explicit --disk only: see gb_mount_check_rw_binds */
	if (gb_mount_check_rw_binds(a.binds, a.nbinds, a.lim.disk_bytes, &err) < 0)
		return gb_cli_usage("%s", err.msg);
	apply_default_limits(&a.lim, cfg);

	if (a.rootfs) {
		struct stat st;
		if (stat(a.rootfs, &st) < 0)
			return gb_cli_usage("--rootfs %s: %s (build one with rootfs/busybox/build.sh, "
					    "or use --image)", a.rootfs, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return gb_cli_usage("--rootfs %s: not a directory", a.rootfs);
		/* a tree, not a path: the rootfs's parent may be a :rw bind */
		rootfs_tree = gb_mount_take_tree(a.rootfs, false, &err);
		if (rootfs_tree < 0 && err.errnum == ELOOP)
			return gb_cli_usage("--rootfs %s has a symlink in its path: give the "
					    "resolved path (realpath %s)", a.rootfs, a.rootfs);
		if (rootfs_tree < 0) {
			gb_context(&err, "--rootfs");
			return gb_cli_error(&err);
		}
		rootfs_lower[0] = (char *)a.rootfs;
		spec.mount.lowers = rootfs_lower;
		spec.mount.lower_trees = &rootfs_tree;
		spec.mount.nlowers = 1;
	} else {
		if (gb_image_open(cfg, a.image ? a.image : cfg->default_image, &img, &err) < 0)
			return gb_cli_error(&err);
		spec.mount.lowers = img.layers;
		spec.mount.nlowers = img.nlayers;
		if (!a.cwd && img.workdir && img.workdir[0] == '/')
			a.cwd = img.workdir;
	}
	env = build_env(&a, a.rootfs ? NULL : &img);
	if (!env) {
		rc = gb_cli_usage("out of memory");
		goto out;
	}
	if (open_outputs(&a, cfg->uid_base, outs, out_fds, &err) < 0) {
		rc = gb_cli_error(&err);
		goto out;
	}
	if (out_fds[OUT_STDOUT] >= 0)
		io.stdout_fd = out_fds[OUT_STDOUT];
	if (out_fds[OUT_STDERR] >= 0)
		io.stderr_fd = out_fds[OUT_STDERR];

	spec.mount.binds = a.binds;
	spec.mount.nbinds = a.nbinds;
	spec.argv = argv + cmd;
	spec.envp = env;
	spec.cwd = a.cwd;
	spec.uid = a.uid;
	spec.gid = a.gid;
	spec.root = a.root;
	spec.nested = a.nested ||
		      (!a.rootfs && gb_config_nested_image(cfg, a.image ? a.image : cfg->default_image));
	spec.host_network = a.host_network;
	spec.hostname = a.hostname;
	spec.seccomp_profile = a.seccomp ? a.seccomp : cfg->seccomp_profile;

	if (gb_job_open(&job, cfg, &err) < 0) {
		rc = gb_cli_error(&err);
		goto out;
	}
	gb_job_run_box(&job, &spec, &a.lim, &io, &res);
	if (gb_job_close(&job, &err) < 0 && res.status != GB_STATUS_ERROR) {
		res.status = GB_STATUS_ERROR;
		res.exit_code = GB_EXIT_FAILURE;
		snprintf(res.message, sizeof(res.message), "cleanup: %s", err.msg);
	}
	rc = res.exit_code;
	if (res.status == GB_STATUS_ERROR)
		fprintf(stderr, "gradebox: %s\n", res.message);
	if (a.meta && gb_meta_write(&outs[OUT_META], &res, &err) < 0)
		rc = gb_cli_error(&err);
out:
	for (size_t i = 0; i < OUT_N; i++)
		gb_outfile_close(&outs[i]);
	gb_closep(&out_fds[OUT_STDOUT]);
	gb_closep(&out_fds[OUT_STDERR]);
	gb_image_ref_free(&img);
	gb_closep(&rootfs_tree);
	for (size_t i = 0; i < a.nbinds; i++) {
		free(a.binds[i].src);
		close(a.binds[i].tree);
	}
	return rc;
}
