/* image_hash: SHA-256 on a second core while the import extracts. Blocks
 * are queued in order with the context they feed; a slot of the caller's
 * buffer ring is reused only once its hash is done (gb_image_hasher_sync).
 * Without threads it hashes inline. Internal to the image modules. */
#ifndef GB_IMAGE_HASH_H
#define GB_IMAGE_HASH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define GB_HASHER_QUEUE 16

struct gb_image_hasher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool threaded, stop;
	struct {
		struct gb_sha256 *ctx;
		const void *p;
		size_t n;
	} q[GB_HASHER_QUEUE];
	uint64_t submitted, done; /* sequence numbers */
};

void gb_image_hasher_start(struct gb_image_hasher *h);
/* Queue a block; returns its sequence number. */
uint64_t gb_image_hasher_submit(struct gb_image_hasher *h, struct gb_sha256 *ctx,
				const void *p, size_t n);
/* Wait until block seq (and all before it) is hashed. */
void gb_image_hasher_sync(struct gb_image_hasher *h, uint64_t seq);
/* Finish every queued block and stop the thread. */
void gb_image_hasher_stop(struct gb_image_hasher *h);

#endif
