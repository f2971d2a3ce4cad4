/* image_stream: a layer blob read once, through two libarchive readers
 * chained by callbacks, and hashed as it passes (on the other core):
 *   source --> [raw format + decompression] --> [tar] --> entries
 * the first stage hashes the blob as stored (its digest), the second the
 * uncompressed tar (its diff_id). Also counts the uncompressed bytes
 * against the import's size limit. Internal to image_layer.c. */
#ifndef GB_IMAGE_STREAM_H
#define GB_IMAGE_STREAM_H

#include <archive.h>
#include <stdbool.h>

#include "image_hash.h"
#include "image_layer.h"

#define GB_LAYER_BUF_SIZE (1u << 20)
/* Buffers in flight: libarchive reads the newest, the hasher the others. */
#define GB_LAYER_RING 4

struct gb_layer_ring {
	uint8_t *buf[GB_LAYER_RING];
	uint64_t seq[GB_LAYER_RING]; /* hasher sequence that frees each slot */
	unsigned next;
};

struct gb_layer_stream {
	gb_layer_read_fn rd;
	void *rdarg;
	const struct gb_layer_opts *opts;
	struct gb_image_hasher hasher;
	bool hashing;
	struct gb_sha256 blob_sha, diff_sha;
	struct gb_layer_ring blob_ring, diff_ring;
	struct archive *raw; /* stage 1: bytes as stored -> uncompressed */
	struct archive *tar; /* stage 2: entries, read by the caller */
	gb_error src_err;
	bool src_failed;
	bool hash_diff; /* false for an uncompressed blob: diff_id == digest */
	bool over, eof;
};

int gb_layer_stream_open(struct gb_layer_stream *s, gb_layer_read_fn rd, void *rdarg,
			 const struct gb_layer_opts *opts, gb_error *err);
/* Why reading a stops: the source, the size limit, or libarchive's word. */
int gb_layer_stream_error(struct gb_layer_stream *s, struct archive *a, gb_error *err);
/* Read what the tar reader left (padding, trailing data): the digests
 * cover the whole blob. */
int gb_layer_stream_drain(struct gb_layer_stream *s, gb_error *err);
/* Finish hashing; hex digests of the blob and of its uncompressed tar. */
void gb_layer_stream_digests(struct gb_layer_stream *s, char blob[GB_SHA256_HEX_LEN + 1],
			     char diff[GB_SHA256_HEX_LEN + 1]);
void gb_layer_stream_close(struct gb_layer_stream *s);
/* The one message for an import over max_unpacked_mb. */
int gb_layer_limit_error(const struct gb_layer_opts *o, gb_error *err);

#endif
