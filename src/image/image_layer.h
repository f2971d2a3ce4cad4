/* image_layer: one layer tar → one directory of the store, safely.
 * The tar comes from an untrusted image: every entry is checked (path,
 * type, parents, size) before libarchive writes it with its own secure
 * flags, hard links are made by hand inside the layer only, and OCI
 * whiteouts become overlayfs whiteouts. Layers are extracted into a
 * locked temporary directory and renamed to layers/<diff_id hex> whole.
 * Internal to the image modules (image_*.c). */
#ifndef GB_IMAGE_LAYER_H
#define GB_IMAGE_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "sha256.h"

#define GB_LAYER_TMP_PREFIX ".tmp-"  /* an import in progress (or killed) */
#define GB_LAYER_RM_PREFIX ".rm-"    /* a layer being removed */
#define GB_LAYER_META_SUFFIX ".json" /* layers/<hex>.json: size, entries */
#define GB_OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
/* Set too, so the layers also work for an overlay mounted with userxattr
 * (inside a user namespace). */
#define GB_OVERLAY_OPAQUE_USER_XATTR "user.overlay.opaque"
#define GB_WHITEOUT_PREFIX ".wh."
#define GB_WHITEOUT_META_PREFIX ".wh..wh."
#define GB_WHITEOUT_OPAQUE ".wh..wh..opq"

/* --- pure helpers (unit-tested) --- */

/* Normalise a tar entry name into out: drop "./" and empty components.
 * Refuses absolute paths, ".." components, empty names and names too long.
 * The layer root itself comes out as "". */
int gb_layer_clean_path(const char *in, char *out, size_t outsz, gb_error *err);

enum gb_whiteout {
	GB_WH_NONE,   /* an ordinary entry */
	GB_WH_FILE,   /* ".wh.NAME": target is DIR/NAME to hide */
	GB_WH_OPAQUE, /* ".wh..wh..opq": target is the directory made opaque */
	GB_WH_META,   /* other ".wh..wh.*" (aufs bookkeeping): ignored */
	GB_WH_BAD,    /* ".wh." with no name, or hiding "." / ".." */
};
/* Classify a cleaned path; target gets the path the whiteout acts on. */
enum gb_whiteout gb_layer_whiteout(const char *path, char *target, size_t targetsz);

/* Is s "sha256:" followed by 64 lowercase hex digits? hex gets the digits. */
bool gb_layer_parse_digest(const char *s, char hex[GB_SHA256_HEX_LEN + 1]);
bool gb_layer_is_hex(const char *s);

/* xattrs an image may carry: user.* (but not user.overlay.*); file
 * capabilities, trusted.*, security.* and overlay's own are dropped. */
bool gb_layer_xattr_allowed(const char *name);

/* --- extraction --- */

/* Pull the next bytes of a blob: returns the count, 0 at the end, -1 with
 * err filled. */
typedef ssize_t (*gb_layer_read_fn)(void *arg, void *buf, size_t len, gb_error *err);

struct gb_layer_opts {
	const char *expect_blob;  /* hex digest of the blob as stored, or NULL */
	const char *expect_diff;  /* hex diff_id (uncompressed tar), or NULL */
	uint64_t max_unpacked;    /* bytes, shared by every layer of an import */
	uint64_t *unpacked;       /* running total of file sizes for that limit */
	uint64_t *streamed;       /* running total of uncompressed tar bytes */
	void (*on_bytes)(void *arg, uint64_t n); /* blob bytes read, for progress */
	void *on_bytes_arg;
};

struct gb_layer_result {
	char diff_id[GB_SHA256_HEX_LEN + 1];
	char blob_digest[GB_SHA256_HEX_LEN + 1];
	uint64_t size;     /* bytes of regular files */
	uint64_t entries;
	bool existed;      /* an identical layer was already in the store */
	char **implicit;   /* directories made only because entries lie below */
	size_t nimplicit;
};

/* Extract one blob (plain or gzip/bzip2/xz/zstd tar) into layers_dirfd,
 * verify its digests and rename it into place as <diff_id hex>. Nothing
 * is left behind on failure. Changes the cwd while it runs. */
int gb_layer_extract(int layers_dirfd, gb_layer_read_fn rd, void *rdarg,
		     const struct gb_layer_opts *opts, struct gb_layer_result *res,
		     gb_error *err);

void gb_layer_result_free(struct gb_layer_result *res);

/* Give the directories a layer tar only implied (no entry of their own)
 * the owner, mode and times they have in the image's lower layers (given
 * top first), as umoci and containerd do: a tar that lists data/x/file but
 * not data/x must not reset data/x to root 0755. */
int gb_layer_fix_implicit(int layers_dirfd, const char *hex, char *const *lowers,
			  size_t nlowers, char *const *dirs, size_t ndirs, gb_error *err);

/* Is layers/<hex> present? Reads its size and entry count when it is. */
bool gb_layer_exists(int layers_dirfd, const char *hex, uint64_t *size, uint64_t *entries);

/* Remove temporary directories left by killed imports (those whose owner
 * is gone). Safe while other imports run. */
int gb_layer_clean_stale(int layers_dirfd, gb_error *err);

/* Remove layers/<hex> (renamed away first, so a half-removed layer is
 * never visible). Returns 1 when skipped because a run holds it. */
int gb_layer_remove(int layers_dirfd, const char *hex, gb_error *err);

#endif
