/* Shared by the image import harnesses: a scratch state_dir and one call
 * of gb_image_import on a source file, then the canary check and a clean
 * store for the next input. */
#ifndef GB_FUZZ_IMAGE_COMMON_H
#define GB_FUZZ_IMAGE_COMMON_H

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "image.h"

/* Small enough that a mutated size field cannot fill the disk. */
#define GB_FUZZ_IMPORT_MAX_MB 64

struct gb_fuzz_import {
	struct gb_fuzz_scratch scratch;
	struct gb_config cfg;
	char source[PATH_MAX]; /* work/source.tar */
	char srcdir[PATH_MAX]; /* work/source: a directory source */
};

static inline void gb_fuzz_import_init(struct gb_fuzz_import *fi, const char *name)
{
	gb_fuzz_scratch_init(&fi->scratch, name);
	/* jansson seeds its hash tables from /dev/urandom: fix the seed so an
	 * input always takes the same path. */
	json_object_seed(1);
	memset(&fi->cfg, 0, sizeof(fi->cfg));
	snprintf(fi->cfg.state_dir, sizeof(fi->cfg.state_dir), "%s/state", fi->scratch.work);
	snprintf(fi->cfg.run_dir, sizeof(fi->cfg.run_dir), "%s/run", fi->scratch.work);
	fi->cfg.uid_base = GB_DEFAULT_UID_BASE;
	fi->cfg.max_unpacked_mb = GB_FUZZ_IMPORT_MAX_MB;
	snprintf(fi->source, sizeof(fi->source), "%s/source.tar", fi->scratch.work);
	snprintf(fi->srcdir, sizeof(fi->srcdir), "%s/source", fi->scratch.work);
}

static inline void gb_fuzz_import_fail(const char *what, const char *name, const gb_error *err)
{
	fprintf(stderr, "gb-fuzz: %s of the imported image '%s' failed: %s\n", what, name,
		err->msg);
	abort();
}

/* What an import stored, a run can open and `image rm` can remove, layers
 * and all (the image is alone in the store). */
static inline void gb_fuzz_import_check(struct gb_fuzz_import *fi, const char *name)
{
	struct gb_image_ref ref;
	size_t removed = 0;
	char layers[PATH_MAX];
	struct dirent *e;
	json_t *list;
	DIR *d;
	gb_error err;

	if (gb_image_open(&fi->cfg, name, &ref, &err) < 0)
		gb_fuzz_import_fail("gb_image_open", name, &err);
	gb_image_ref_free(&ref);
	if (gb_image_list(&fi->cfg, &list, &err) < 0)
		gb_fuzz_import_fail("gb_image_list", name, &err);
	if (json_array_size(list) != 1)
		abort();
	json_decref(list);
	if (gb_image_rm(&fi->cfg, name, &removed, &err) < 0)
		gb_fuzz_import_fail("gb_image_rm", name, &err);
	/* No layer the image does not list stays behind. */
	snprintf(layers, sizeof(layers), "%s/layers", fi->cfg.state_dir);
	d = opendir(layers);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "lock")) {
			fprintf(stderr, "gb-fuzz: layers/%s left after image rm\n", e->d_name);
			abort();
		}
	if (d)
		closedir(d);
}

/* Import path (fi->source or fi->srcdir) as `--name as`; with
 * NULL the name comes from the image (label or tag), so the name checks
 * are fuzzed too. */
static inline void gb_fuzz_import_run(struct gb_fuzz_import *fi, const char *path,
				      const char *as)
{
	struct gb_image_import_opts opts = { .name = as };
	char *name = NULL;
	gb_error err;

	int r = gb_image_import(&fi->cfg, path, &opts, &name, &err);

	if (getenv("GB_FUZZ_VERBOSE"))
		fprintf(stderr, "gb-fuzz: import: %s\n", r == 0 ? name : err.msg);
	if (r == 0 && (!name || !*name || strchr(name, '\n')))
		abort(); /* an imported image always has a usable name */
	if (r == 0)
		gb_fuzz_import_check(fi, name);
	free(name);
	gb_fuzz_canary_check(&fi->scratch);
	gb_fuzz_scratch_clear(&fi->scratch);
}

#endif
