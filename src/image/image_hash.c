/* image_hash: see image_hash.h. */
#include "image_hash.h"

#include <string.h>

static void *hasher_main(void *arg)
{
	struct gb_image_hasher *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->done == h->submitted && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->done == h->submitted)
			break;
		size_t slot = h->done % GB_HASHER_QUEUE;
		struct gb_sha256 *ctx = h->q[slot].ctx;
		const void *p = h->q[slot].p;
		size_t n = h->q[slot].n;

		pthread_mutex_unlock(&h->mu);
		gb_sha256_update(ctx, p, n);
		pthread_mutex_lock(&h->mu);
		h->done++;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

void gb_image_hasher_start(struct gb_image_hasher *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->threaded = pthread_create(&h->thread, NULL, hasher_main, h) == 0;
}

uint64_t gb_image_hasher_submit(struct gb_image_hasher *h, struct gb_sha256 *ctx,
				const void *p, size_t n)
{
	uint64_t seq;

	if (!h->threaded) {
		gb_sha256_update(ctx, p, n);
		return ++h->submitted;
	}
	pthread_mutex_lock(&h->mu);
	while (h->submitted - h->done == GB_HASHER_QUEUE)
		pthread_cond_wait(&h->cv, &h->mu);
	h->q[h->submitted % GB_HASHER_QUEUE].ctx = ctx;
	h->q[h->submitted % GB_HASHER_QUEUE].p = p;
	h->q[h->submitted % GB_HASHER_QUEUE].n = n;
	seq = ++h->submitted;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return seq;
}

void gb_image_hasher_sync(struct gb_image_hasher *h, uint64_t seq)
{
	if (!h->threaded)
		return;
	pthread_mutex_lock(&h->mu);
	while (h->done < seq)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

void gb_image_hasher_stop(struct gb_image_hasher *h)
{
	if (h->threaded) {
		pthread_mutex_lock(&h->mu);
		h->stop = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thread, NULL);
		h->threaded = false;
	}
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
}
