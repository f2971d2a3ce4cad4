/* Shared by the image import harnesses: a scratch state_dir and one call
 * of gb_image_import on a source file, then the canary check and a clean
 * store for the next input. */
#ifndef GB_FUZZ_IMAGE_COMMON_H
#define GB_FUZZ_IMAGE_COMMON_H

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
}

/* Import the source file written by the harness, as `--name name`; with
 * NULL the name comes from the image (label or tag), so the name checks
 * are fuzzed too. */
static inline void gb_fuzz_import_run(struct gb_fuzz_import *fi, const char *as)
{
	struct gb_image_import_opts opts = { .name = as };
	char *name = NULL;
	gb_error err;

	int r = gb_image_import(&fi->cfg, fi->source, &opts, &name, &err);

	if (getenv("GB_FUZZ_VERBOSE"))
		fprintf(stderr, "gb-fuzz: import: %s\n", r == 0 ? name : err.msg);
	if (r == 0 && (!name || !*name || strchr(name, '\n')))
		abort(); /* an imported image always has a usable name */
	free(name);
	gb_fuzz_canary_check(&fi->scratch);
	gb_fuzz_scratch_clear(&fi->scratch);
}

#endif
