/* image_source: what `image import` was given, read without trusting it:
 * a directory (OCI layout, extracted docker save, or a rootfs) or a tar
 * (docker save, oci-archive, or a rootfs, maybe compressed). A first pass
 * over a tar records its members and keeps the small ones (manifests,
 * configs) in memory; layer blobs are streamed later. Internal. */
#ifndef GB_IMAGE_SOURCE_H
#define GB_IMAGE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "image_layer.h"

struct gb_image_member {
	char *name;     /* cleaned path inside the tar */
	uint64_t size;
	char *data;     /* contents when small, else NULL */
	bool dup;       /* the name appears more than once */
};

struct gb_image_source {
	const char *path;
	bool is_dir;
	bool image_like; /* only names an image archive has (else a rootfs) */
	int dirfd;
	struct gb_image_member *m;
	size_t nm, capm;
	uint64_t small_total;
};

int gb_image_source_open(struct gb_image_source *src, const char *path, gb_error *err);
void gb_image_source_close(struct gb_image_source *src);
bool gb_image_source_has(struct gb_image_source *src, const char *name, uint64_t *size);
/* A small file (JSON) of the source, NUL-terminated, freshly allocated. */
int gb_image_source_read(struct gb_image_source *src, const char *name, char **data,
			 size_t *len, gb_error *err);

/* Streams of blob bytes for gb_layer_extract (gb_layer_read_fn). */
struct gb_image_fd_reader {
	int fd;
	const char *name;
};
ssize_t gb_image_read_fd(void *arg, void *buf, size_t len, gb_error *err);
struct gb_image_mem_reader {
	const char *p;
	size_t left;
};
ssize_t gb_image_read_mem(void *arg, void *buf, size_t len, gb_error *err);

/* Call fn for each member of a tar source whose name want() accepts, with
 * a reader positioned on its data (second pass). */
typedef int (*gb_image_member_fn)(void *arg, const char *name, gb_layer_read_fn rd,
				  void *rdarg, gb_error *err);
int gb_image_source_stream(struct gb_image_source *src, bool (*want)(void *arg, const char *name),
			   gb_image_member_fn fn, void *arg, gb_error *err);

/* Open a file of a directory source, never leaving the directory. */
int gb_image_source_open_file(struct gb_image_source *src, const char *name, gb_error *err);

/* Stream a directory as a tar (a child process writing into a pipe). */
struct gb_image_dir_tar {
	pid_t pid;
	int fd;      /* read end */
	int errfd;   /* the child's error message, if it fails */
};
int gb_image_dir_tar_start(const char *dir, struct gb_image_dir_tar *t, gb_error *err);
/* Wait for the child; ok says whether the reader got everything. */
int gb_image_dir_tar_finish(struct gb_image_dir_tar *t, bool ok, gb_error *err);

#endif
