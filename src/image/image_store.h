/* image_store: the store's directories and its lock, internal to the image
 * modules. state_dir/lock is flocked shared by imports and runs while they
 * read or add, exclusively by rm and gc while they delete. */
#ifndef GB_IMAGE_STORE_H
#define GB_IMAGE_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"
#include "error.h"

#define GB_IMAGE_LAYERS_DIR "layers"
#define GB_IMAGE_IMAGES_DIR "images"
#define GB_IMAGE_LOCK_FILE "lock"
#define GB_IMAGE_NAME_MAX 128
#define GB_IMAGE_JSON_MAX (16u << 20)
#define GB_IMAGE_LABEL_NAME "org.inginious.grading.name"

struct gb_image_store {
	int lock_fd;
	int layers_fd;
	int images_fd;
	char layers_path[PATH_MAX];
};

#define GB_IMAGE_STORE_BUSY 1
#define GB_IMAGE_STORE_MISSING 2
/* Open (creating when create) the store and flock it with lock_op
 * (LOCK_SH, LOCK_EX, optionally | LOCK_NB; 0 for none). Returns
 * GB_IMAGE_STORE_BUSY when LOCK_NB was given and the lock is busy,
 * GB_IMAGE_STORE_MISSING (err filled) when there is no store and !create,
 * -1 on error. */
int gb_image_store_open(const struct gb_config *cfg, struct gb_image_store *st, int lock_op,
			bool create, gb_error *err);
void gb_image_store_close(struct gb_image_store *st);

/* snprintf that fails (ENAMETOOLONG) instead of truncating. */
int gb_image_fmt(char *buf, size_t size, gb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Image names: letters, digits, '.', '_', '-', ':', '/', not starting with
 * a dot; stored as images/<name with '/' as '+'>.json. */
int gb_image_name_check(const char *name, gb_error *err);
void gb_image_name_file(const char *name, char *out, size_t outsz);

/* Atomically (re)place images/<name>.json. */
int gb_image_store_write(struct gb_image_store *st, const char *name, json_t *image,
			 gb_error *err);
/* Remove layers no image references and no run holds; needs LOCK_EX. */
int gb_image_store_prune(struct gb_image_store *st, size_t *removed, gb_error *err);

#endif
