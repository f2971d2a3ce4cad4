/* image: the content-addressed image store (state_dir/layers, state_dir/images)
 * and what `gradebox run --image` needs from it.
 *
 * layers/<diff_id hex>/  one extracted layer (an overlay lower dir), shared
 *                        by every image that lists it; <hex>.json beside it
 *                        holds its size
 * images/<name>.json     name -> ordered layers, config, id, created
 * lock                   flock: shared by imports and runs, exclusive by
 *                        rm and gc while they delete
 * state_dir, layers/ and images/ are root's and 0700 (fixed at every open):
 * layers keep their owners and setuid bits, so no other host user may
 * reach them. Layer roots are root 0755 whatever the tar says; file
 * capabilities are dropped at import (gb_layer_xattr_allowed).
 * Runs hold a shared flock on the image file and on each layer directory
 * (gb_image_open) so neither rm nor gc pulls them away; rm of an image in
 * use is refused. */
#ifndef GB_IMAGE_H
#define GB_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

/* An image opened for running: held (shared lock) until gb_image_ref_free,
 * so `image rm` cannot pull its layers away under a running sandbox. */
struct gb_image_ref {
	char **layers;   /* absolute layer directories, lowest (base) first */
	size_t nlayers;
	char **env;      /* "KEY=VALUE" from the image config */
	size_t nenv;
	char *workdir;   /* image WorkingDir or NULL */
	char *user;      /* image User or NULL */
	int lock_fd;     /* images/<name>.json, flocked shared */
	/* added for the image store */
	char *name;      /* the name found (NAME or NAME:latest) */
	char *id;        /* "sha256:<config digest>" */
	int *layer_fds;  /* each layer directory, flocked shared */
};

int gb_image_open(const struct gb_config *cfg, const char *name, struct gb_image_ref *ref,
		  gb_error *err);
void gb_image_ref_free(struct gb_image_ref *ref);

struct json_t;

struct gb_image_progress {
	uint64_t done, total;  /* blob bytes read / to read (total 0: unknown) */
	size_t layer, nlayers; /* layer being read (1-based) / layers to read */
};

struct gb_image_import_opts {
	const char *name; /* --name, or NULL: label, then repository tag */
	void (*progress)(void *arg, const struct gb_image_progress *p);
	void *progress_arg;
};

/* Import a docker save tar, OCI layout dir, oci-archive, rootfs tar or
 * rootfs dir (detected by content). *name_out gets the image's name. */
int gb_image_import(const struct gb_config *cfg, const char *path,
		    const struct gb_image_import_opts *opts, char **name_out, gb_error *err);
/* Every image: a JSON array of {name, id, created, size, layers}. */
int gb_image_list(const struct gb_config *cfg, struct json_t **out, gb_error *err);
/* The stored description of one image (layers, config, labels). */
int gb_image_inspect(const struct gb_config *cfg, const char *name, struct json_t **out,
		     gb_error *err);
/* Remove an image and the layers no other image uses; refused while a run
 * holds the image. */
int gb_image_rm(const struct gb_config *cfg, const char *name, size_t *layers_removed,
		gb_error *err);
/* Remove what killed imports and removals left, and unreferenced layers
 * (for `gradebox gc`). Does nothing to layers while an import runs. */
int gb_image_gc(const struct gb_config *cfg, gb_error *err);

#endif
