/* image_stream: see image_stream.h. */
#include "image_stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int ring_alloc(struct gb_layer_ring *r)
{
	for (int i = 0; i < GB_LAYER_RING; i++)
		if (!(r->buf[i] = malloc(GB_LAYER_BUF_SIZE)))
			return -1;
	return 0;
}

static void ring_free(struct gb_layer_ring *r)
{
	for (int i = 0; i < GB_LAYER_RING; i++) {
		free(r->buf[i]);
		r->buf[i] = NULL;
	}
}

/* The next slot, once the hasher is done with what it held. */
static uint8_t *ring_take(struct gb_layer_ring *r, struct gb_image_hasher *h)
{
	gb_image_hasher_sync(h, r->seq[r->next]);
	return r->buf[r->next];
}

static void ring_hash(struct gb_layer_ring *r, struct gb_image_hasher *h,
		      struct gb_sha256 *ctx, size_t n)
{
	r->seq[r->next] = gb_image_hasher_submit(h, ctx, r->buf[r->next], n);
	r->next = (r->next + 1) % GB_LAYER_RING;
}

int gb_layer_limit_error(const struct gb_layer_opts *o, gb_error *err)
{
	return gb_fail(err, 0,
		       "unpacked size exceeds the limit of %llu MB (max_unpacked_mb in "
		       "gradebox.conf, GRADEBOX_MAX_UNPACKED_MB)",
		       (unsigned long long)(o->max_unpacked >> 20));
}

/* Stage 1: the next block of the blob as stored; 0 at the end. */
static ssize_t blob_next(struct gb_layer_stream *s, const void **out)
{
	uint8_t *buf = ring_take(&s->blob_ring, &s->hasher);
	ssize_t n = s->rd(s->rdarg, buf, GB_LAYER_BUF_SIZE, &s->src_err);

	if (n < 0) {
		s->src_failed = true;
		return -1;
	}
	if (n) {
		ring_hash(&s->blob_ring, &s->hasher, &s->blob_sha, n);
		if (s->opts->on_bytes)
			s->opts->on_bytes(s->opts->on_bytes_arg, n);
	}
	*out = buf;
	return n;
}

static la_ssize_t blob_read(struct archive *a, void *arg, const void **out)
{
	struct gb_layer_stream *s = arg;
	ssize_t n = blob_next(s, out);

	if (n < 0)
		archive_set_error(a, EIO, "%s", s->src_err.msg);
	return n;
}

static void hash_diff(struct gb_layer_stream *s, const void *p, size_t n)
{
	if (n > GB_LAYER_BUF_SIZE) { /* rare: hash here, after what is queued */
		gb_image_hasher_sync(&s->hasher, s->hasher.submitted);
		gb_sha256_update(&s->diff_sha, p, n);
		return;
	}
	/* libarchive reuses p at its next call: the hasher gets a copy */
	memcpy(ring_take(&s->diff_ring, &s->hasher), p, n);
	ring_hash(&s->diff_ring, &s->hasher, &s->diff_sha, n);
}

/* Stage 2: the next block of the uncompressed tar; 0 at the end. */
static ssize_t tar_next(struct gb_layer_stream *s, const void **out)
{
	const void *p;
	size_t n;
	la_int64_t off;
	int r;

	if (s->eof)
		return 0;
	r = archive_read_data_block(s->raw, &p, &n, &off);
	if (r == ARCHIVE_EOF) {
		s->eof = true;
		return 0;
	}
	if (r < ARCHIVE_WARN)
		return -1;
	if (s->hash_diff)
		hash_diff(s, p, n);
	*s->opts->streamed += n;
	if (*s->opts->streamed > s->opts->max_unpacked) {
		s->over = true;
		return -1;
	}
	*out = p;
	return n;
}

static la_ssize_t tar_read(struct archive *a, void *arg, const void **out)
{
	struct gb_layer_stream *s = arg;
	ssize_t n = tar_next(s, out);

	if (n < 0)
		archive_set_error(a, EIO, "%s",
				  s->over ? "unpacked size limit" : archive_error_string(s->raw));
	return n;
}

int gb_layer_stream_error(struct gb_layer_stream *s, struct archive *a, gb_error *err)
{
	if (s->src_failed) {
		*err = s->src_err;
		return -1;
	}
	if (s->over)
		return gb_layer_limit_error(s->opts, err);
	return gb_fail(err, 0, "%s",
		       archive_error_string(a) ? archive_error_string(a) : "unreadable tar stream");
}

int gb_layer_stream_open(struct gb_layer_stream *s, gb_layer_read_fn rd, void *rdarg,
			 const struct gb_layer_opts *opts, gb_error *err)
{
	struct archive_entry *e;
	int r;

	memset(s, 0, sizeof(*s));
	s->rd = rd;
	s->rdarg = rdarg;
	s->opts = opts;
	gb_sha256_init(&s->blob_sha);
	gb_sha256_init(&s->diff_sha);
	s->raw = archive_read_new();
	s->tar = archive_read_new();
	if (!s->raw || !s->tar || ring_alloc(&s->blob_ring) < 0 || ring_alloc(&s->diff_ring) < 0)
		return gb_fail(err, ENOMEM, "start extracting");
	gb_image_hasher_start(&s->hasher);
	s->hashing = true;
	/* Only in-process decompressors: never an external program. */
	archive_read_support_filter_gzip(s->raw);
	archive_read_support_filter_bzip2(s->raw);
	archive_read_support_filter_xz(s->raw);
	archive_read_support_filter_lzma(s->raw);
	archive_read_support_filter_zstd(s->raw);
	archive_read_support_format_raw(s->raw);
	archive_read_support_format_empty(s->raw);
	archive_read_support_format_tar(s->tar);
	archive_read_support_format_empty(s->tar);
	if (archive_read_open(s->raw, s, NULL, blob_read, NULL) != ARCHIVE_OK)
		return gb_layer_stream_error(s, s->raw, err);
	r = archive_read_next_header(s->raw, &e);
	if (r == ARCHIVE_EOF)
		s->eof = true;
	else if (r < ARCHIVE_WARN)
		return gb_layer_stream_error(s, s->raw, err);
	s->hash_diff = archive_filter_count(s->raw) > 1;
	if (archive_read_open(s->tar, s, NULL, tar_read, NULL) != ARCHIVE_OK)
		return gb_layer_stream_error(s, s->tar, err);
	return 0;
}

int gb_layer_stream_drain(struct gb_layer_stream *s, gb_error *err)
{
	const void *p;
	ssize_t n;

	while ((n = tar_next(s, &p)) > 0)
		;
	if (n < 0)
		return gb_layer_stream_error(s, s->raw, err);
	while ((n = blob_next(s, &p)) > 0)
		;
	if (n < 0)
		return gb_layer_stream_error(s, s->raw, err);
	return 0;
}

static void stop_hashing(struct gb_layer_stream *s)
{
	if (s->hashing)
		gb_image_hasher_stop(&s->hasher);
	s->hashing = false;
}

void gb_layer_stream_digests(struct gb_layer_stream *s, char blob[GB_SHA256_HEX_LEN + 1],
			     char diff[GB_SHA256_HEX_LEN + 1])
{
	stop_hashing(s);
	gb_sha256_final_hex(&s->blob_sha, blob);
	if (s->hash_diff)
		gb_sha256_final_hex(&s->diff_sha, diff);
	else
		memcpy(diff, blob, GB_SHA256_HEX_LEN + 1);
}

void gb_layer_stream_close(struct gb_layer_stream *s)
{
	stop_hashing(s);
	if (s->tar)
		archive_read_free(s->tar);
	if (s->raw)
		archive_read_free(s->raw);
	s->tar = s->raw = NULL;
	ring_free(&s->blob_ring);
	ring_free(&s->diff_ring);
}
