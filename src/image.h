/* image: the content-addressed image store (state_dir/layers, state_dir/images)
 * and what `gradebox run --image` needs from it. */
#ifndef GB_IMAGE_H
#define GB_IMAGE_H

#include <stddef.h>

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
	int lock_fd;
};

int gb_image_open(const struct gb_config *cfg, const char *name, struct gb_image_ref *ref,
		  gb_error *err);
void gb_image_ref_free(struct gb_image_ref *ref);

#endif
