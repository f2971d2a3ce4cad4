/* cmd_image: `gradebox image import|list|inspect|rm`, the only place the
 * image store's results and errors are printed. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image.h"
#include "util.h"

#define GB_PROGRESS_INTERVAL_NS 100000000ull /* redraw at most 10 times a second */
#define GB_PROGRESS_WIDTH 30
#define GB_ID_SHOWN 12

static const char image_usage[] =
	"usage: gradebox image import FILE|DIR [--name NAME]\n"
	"       gradebox image list [--json]\n"
	"       gradebox image inspect NAME\n"
	"       gradebox image rm NAME...\n";

struct progress {
	uint64_t last_ns;
	bool drawn;
};

static void human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1000 && u + 1 < GB_ARRAY_SIZE(units))
		v /= 1000, u++;
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void draw_progress(void *arg, const struct gb_image_progress *p)
{
	struct progress *pr = arg;
	uint64_t now = gb_now_ns();
	char done[32], total[32], bar[GB_PROGRESS_WIDTH + 1];
	int fill;

	if (pr->drawn && now - pr->last_ns < GB_PROGRESS_INTERVAL_NS)
		return;
	pr->last_ns = now;
	pr->drawn = true;
	human(p->done, done, sizeof(done));
	if (!p->total) {
		fprintf(stderr, "\r\033[Kimporting: %s read", done);
		return;
	}
	human(p->total, total, sizeof(total));
	fill = (int)(GB_PROGRESS_WIDTH * (p->done > p->total ? 1.0 : (double)p->done / p->total));
	memset(bar, '#', fill);
	memset(bar + fill, '.', GB_PROGRESS_WIDTH - fill);
	bar[GB_PROGRESS_WIDTH] = '\0';
	fprintf(stderr, "\r\033[K[%s] %3d%%  %s / %s  layer %zu/%zu", bar,
		(int)(100.0 * fill / GB_PROGRESS_WIDTH), done, total, p->layer, p->nlayers);
}

static int cmd_import(int argc, char **argv, struct gb_config *cfg)
{
	struct progress pr = { 0 };
	struct gb_image_import_opts opts = { 0 };
	const char *path = NULL;
	_cleanup_free_ char *name = NULL;
	gb_error err = { 0 };
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--name")) {
			if (++i == argc)
				return gb_cli_usage("image import: --name needs a value");
			opts.name = argv[i];
		} else if (!strncmp(argv[i], "--name=", 7)) {
			opts.name = argv[i] + 7;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return gb_cli_usage("image import: unknown option '%s'", argv[i]);
		} else if (path) {
			return gb_cli_usage("image import: one FILE or DIR at a time");
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return gb_cli_usage("image import: missing FILE or DIR");
	if (isatty(STDERR_FILENO)) {
		opts.progress = draw_progress;
		opts.progress_arg = &pr;
	}
	r = gb_image_import(cfg, path, &opts, &name, &err);
	if (pr.drawn)
		fputs("\r\033[K", stderr);
	if (r < 0)
		return gb_cli_error(&err);
	printf("imported %s\n", name);
	return 0;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int cmd_list(int argc, char **argv, struct gb_config *cfg)
{
	bool as_json = argc == 2 && !strcmp(argv[1], "--json");
	gb_error err = { 0 };
	json_t *rows, *row;
	size_t i;

	if (argc > 1 && !as_json)
		return gb_cli_usage("image list: unexpected argument '%s'", argv[1]);
	if (gb_image_list(cfg, &rows, &err) < 0)
		return gb_cli_error(&err);
	if (as_json) {
		json_dumpf(rows, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(rows);
		return 0;
	}
	printf("%-32s %-12s %10s %6s  %s\n", "NAME", "ID", "SIZE", "LAYERS", "CREATED");
	json_array_foreach(rows, i, row) {
		const char *id = str(row, "id");
		char size[32];

		if (!strncmp(id, "sha256:", 7))
			id += 7;
		human((uint64_t)json_integer_value(json_object_get(row, "size")), size,
		      sizeof(size));
		printf("%-32s %-12.*s %10s %6lld  %s\n", str(row, "name"), GB_ID_SHOWN, id, size,
		       (long long)json_integer_value(json_object_get(row, "layers")),
		       str(row, "created"));
	}
	json_decref(rows);
	return 0;
}

static int cmd_inspect(int argc, char **argv, struct gb_config *cfg)
{
	gb_error err = { 0 };
	json_t *img;

	if (argc != 2)
		return gb_cli_usage("image inspect: give one NAME");
	if (gb_image_inspect(cfg, argv[1], &img, &err) < 0)
		return gb_cli_error(&err);
	json_dumpf(img, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(img);
	return 0;
}

static int cmd_rm(int argc, char **argv, struct gb_config *cfg)
{
	int rc = 0;

	if (argc < 2)
		return gb_cli_usage("image rm: give the NAME of an image");
	for (int i = 1; i < argc; i++) {
		gb_error err = { 0 };
		size_t freed = 0;

		if (gb_image_rm(cfg, argv[i], &freed, &err) < 0)
			rc = gb_cli_error(&err);
		else
			printf("removed %s (%zu layer%s freed)\n", argv[i], freed,
			       freed == 1 ? "" : "s");
	}
	return rc;
}

int gb_cmd_image_main(int argc, char **argv, struct gb_config *cfg)
{
	static const struct gb_command subs[] = {
		{ "import", cmd_import },
		{ "list", cmd_list },
		{ "ls", cmd_list },
		{ "inspect", cmd_inspect },
		{ "rm", cmd_rm },
	};
	const struct gb_command *sub;

	if (argc < 2)
		return gb_cli_usage("image: missing subcommand (import, list, inspect, rm)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(image_usage, stdout);
		return 0;
	}
	sub = gb_cli_find(subs, GB_ARRAY_SIZE(subs), argv[1]);
	if (!sub)
		return gb_cli_usage("image: unknown subcommand '%s'", argv[1]);
	return sub->fn(argc - 1, argv + 1, cfg);
}
