/* image_import: `gradebox image import`. Recognise the source by content,
 * turn it into a plan (the image config and its ordered layer blobs with
 * the digests they must have), extract the layers the store lacks, then
 * write images/<name>.json. The store is held shared throughout, so rm and
 * gc cannot remove a layer this import counts on. */
#include "image.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <time.h>

#include "image_layer.h"
#include "image_source.h"
#include "image_store.h"
#include "util.h"

#define GB_IMPORT_INDEX_DEPTH 2 /* an index may point at one more index */
#define GB_IMPORT_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define GB_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define GB_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define GB_BLOB_DIR "blobs/sha256/"

struct plan_layer {
	char member[PATH_MAX]; /* blob: tar member or file of the source dir */
	char blob[GB_SHA256_HEX_LEN + 1]; /* expected digests, "" if unknown */
	char diff[GB_SHA256_HEX_LEN + 1];
	uint64_t blob_size;
	struct gb_layer_result res;
	bool done;
};

struct import {
	const struct gb_config *cfg;
	const struct gb_image_import_opts *opts;
	struct gb_image_source src;
	struct gb_image_store st;
	const char *format;
	json_t *config;
	char config_hex[GB_SHA256_HEX_LEN + 1];
	char *tag;
	struct plan_layer *layers;
	size_t nlayers;
	uint64_t unpacked, streamed;
	struct gb_image_progress prog;
};

static const char *host_arch(void)
{
	static struct utsname u;

	if (uname(&u) < 0 || !strcmp(u.machine, "x86_64"))
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

static const char *jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int parse_json(const char *text, const char *what, json_t **out, gb_error *err)
{
	json_error_t jerr;

	*out = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out)
		return gb_fail(err, 0, "%s: invalid JSON (line %d: %s)", what, jerr.line, jerr.text);
	return 0;
}

static int read_json(struct import *im, const char *name, json_t **out, gb_error *err)
{
	_cleanup_free_ char *text = NULL;

	if (gb_image_source_read(&im->src, name, &text, NULL, err) < 0)
		return -1;
	return parse_json(text, name, out, err);
}

/* A JSON blob, checked against its digest. */
static int read_blob_json(struct import *im, json_t *desc, json_t **out,
			  char hex[GB_SHA256_HEX_LEN + 1], gb_error *err)
{
	char name[PATH_MAX], got[GB_SHA256_HEX_LEN + 1];
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (!gb_layer_parse_digest(jstr(desc, "digest"), hex))
		return gb_fail(err, 0, "descriptor without a sha256 digest");
	snprintf(name, sizeof(name), GB_BLOB_DIR "%s", hex);
	if (gb_image_source_read(&im->src, name, &text, &len, err) < 0)
		return -1;
	gb_sha256_hex(text, len, got);
	if (strcmp(got, hex))
		return gb_fail(err, 0, "%s: digest mismatch (content is sha256:%.12s…)", name, got);
	return parse_json(text, name, out, err);
}

static int add_layers(struct import *im, size_t n, gb_error *err)
{
	im->layers = calloc(n ? n : 1, sizeof(*im->layers));
	if (!im->layers)
		return gb_fail(err, ENOMEM, "plan");
	im->nlayers = n;
	return 0;
}

/* config.rootfs.diff_ids: one per layer blob, in order. */
static int take_diff_ids(struct import *im, gb_error *err)
{
	json_t *ids = json_object_get(json_object_get(im->config, "rootfs"), "diff_ids");

	if (json_array_size(ids) != im->nlayers)
		return gb_fail(err, 0, "config lists %zu diff_ids for %zu layers",
			       json_array_size(ids), im->nlayers);
	for (size_t i = 0; i < im->nlayers; i++)
		if (!gb_layer_parse_digest(json_string_value(json_array_get(ids, i)),
					   im->layers[i].diff))
			return gb_fail(err, 0, "config: diff_id %zu is not a sha256 digest", i);
	return 0;
}

static int plan_docker(struct import *im, gb_error *err)
{
	json_t *manifest = NULL, *m, *layers;
	_cleanup_free_ char *text = NULL;
	const char *cfgname;
	char clean[PATH_MAX];
	size_t len;
	int r = -1;

	im->format = "docker-archive";
	if (read_json(im, "manifest.json", &manifest, err) < 0)
		return -1;
	if (!json_is_array(manifest) || json_array_size(manifest) == 0) {
		gb_fail(err, 0, "manifest.json: not a list of images");
		goto out;
	}
	if (json_array_size(manifest) > 1) {
		gb_fail(err, 0, "holds %zu images; save one image per file",
			json_array_size(manifest));
		goto out;
	}
	m = json_array_get(manifest, 0);
	cfgname = jstr(m, "Config");
	layers = json_object_get(m, "Layers");
	if (!cfgname || !json_is_array(layers)) {
		gb_fail(err, 0, "manifest.json: no Config or Layers");
		goto out;
	}
	if (gb_image_source_read(&im->src, cfgname, &text, &len, err) < 0)
		goto out;
	gb_sha256_hex(text, len, im->config_hex);
	/* The name is the digest in every docker save format. */
	if (gb_layer_clean_path(cfgname, clean, sizeof(clean), err) < 0)
		goto out;
	if ((!strncmp(clean, GB_BLOB_DIR, strlen(GB_BLOB_DIR)) &&
	     strcmp(clean + strlen(GB_BLOB_DIR), im->config_hex)) ||
	    (strlen(clean) == GB_SHA256_HEX_LEN + 5 && !strncmp(clean + GB_SHA256_HEX_LEN, ".json", 5) &&
	     strncmp(clean, im->config_hex, GB_SHA256_HEX_LEN))) {
		gb_fail(err, 0, "%s: digest mismatch (content is sha256:%.12s…)", clean,
			im->config_hex);
		goto out;
	}
	if (parse_json(text, cfgname, &im->config, err) < 0 ||
	    add_layers(im, json_array_size(layers), err) < 0)
		goto out;
	for (size_t i = 0; i < im->nlayers; i++) {
		struct plan_layer *l = &im->layers[i];
		const char *name = json_string_value(json_array_get(layers, i));

		if (!name || gb_layer_clean_path(name, l->member, sizeof(l->member), err) < 0) {
			gb_fail(err, 0, "manifest.json: layer %zu has no valid path", i);
			goto out;
		}
		if (!strncmp(l->member, GB_BLOB_DIR, strlen(GB_BLOB_DIR)) &&
		    gb_layer_is_hex(l->member + strlen(GB_BLOB_DIR)))
			strcpy(l->blob, l->member + strlen(GB_BLOB_DIR));
	}
	if (take_diff_ids(im, err) < 0)
		goto out;
	if (json_is_string(json_array_get(json_object_get(m, "RepoTags"), 0)))
		im->tag = strdup(json_string_value(json_array_get(json_object_get(m, "RepoTags"), 0)));
	r = 0;
out:
	json_decref(manifest);
	return r;
}

static bool is_index(const char *mt)
{
	return mt && (!strcmp(mt, GB_MT_OCI_INDEX) || !strcmp(mt, GB_MT_DOCKER_LIST));
}

/* The manifest for this host's platform; an index may nest once. */
static json_t *choose_manifest(struct import *im, json_t *index, int depth, gb_error *err)
{
	json_t *list = json_object_get(index, "manifests"), *d;
	size_t i;

	if (!json_is_array(list))
		return gb_fail(err, 0, "index without manifests"), NULL;
	json_array_foreach(list, i, d) {
		json_t *plat = json_object_get(d, "platform"), *sub, *found;
		char hex[GB_SHA256_HEX_LEN + 1];

		if (plat && (!jstr(plat, "os") || strcmp(jstr(plat, "os"), "linux") ||
			     !jstr(plat, "architecture") ||
			     strcmp(jstr(plat, "architecture"), host_arch())))
			continue;
		if (depth == 0 && !im->tag) {
			json_t *ann = json_object_get(d, "annotations");
			const char *tag = jstr(ann, "io.containerd.image.name");
			if (!tag)
				tag = jstr(ann, "org.opencontainers.image.ref.name");
			if (tag)
				im->tag = strdup(tag);
		}
		if (!is_index(jstr(d, "mediaType"))) {
			json_incref(d);
			return d;
		}
		if (depth >= GB_IMPORT_INDEX_DEPTH || read_blob_json(im, d, &sub, hex, err) < 0)
			return NULL;
		found = choose_manifest(im, sub, depth + 1, err);
		json_decref(sub);
		if (found)
			return found;
	}
	return gb_fail(err, 0, "no linux/%s image in the index", host_arch()), NULL;
}

static int plan_oci(struct import *im, gb_error *err)
{
	json_t *index = NULL, *desc = NULL, *manifest = NULL, *layers;
	char hex[GB_SHA256_HEX_LEN + 1];
	int r = -1;

	im->format = im->src.is_dir ? "oci-layout" : "oci-archive";
	if (read_json(im, "index.json", &index, err) < 0)
		return -1;
	desc = choose_manifest(im, index, 0, err);
	if (!desc || read_blob_json(im, desc, &manifest, hex, err) < 0)
		goto out;
	if (read_blob_json(im, json_object_get(manifest, "config"), &im->config, im->config_hex,
			   err) < 0) {
		gb_context(err, "config");
		goto out;
	}
	layers = json_object_get(manifest, "layers");
	if (!json_is_array(layers) || add_layers(im, json_array_size(layers), err) < 0) {
		gb_fail(err, 0, "manifest sha256:%.12s…: no layers", hex);
		goto out;
	}
	for (size_t i = 0; i < im->nlayers; i++) {
		json_t *l = json_array_get(layers, i);
		const char *mt = jstr(l, "mediaType");

		if (mt && strstr(mt, "encrypted")) {
			gb_fail(err, 0, "layer %zu is encrypted (%s)", i + 1, mt);
			goto out;
		}
		if (!gb_layer_parse_digest(jstr(l, "digest"), im->layers[i].blob)) {
			gb_fail(err, 0, "layer %zu: no sha256 digest", i + 1);
			goto out;
		}
		snprintf(im->layers[i].member, sizeof(im->layers[i].member), GB_BLOB_DIR "%s",
			 im->layers[i].blob);
	}
	r = take_diff_ids(im, err);
out:
	json_decref(index);
	json_decref(desc);
	json_decref(manifest);
	return r;
}

/* A rootfs carries no config: make one (its digest names the image). */
static int plan_rootfs(struct import *im, gb_error *err)
{
	im->format = im->src.is_dir ? "rootfs-dir" : "rootfs-tar";
	im->config = json_pack("{s:s, s:s, s:{s:[s]}, s:{s:s, s:[]}}", "architecture",
			       host_arch(), "os", "linux", "config", "Env", GB_IMPORT_DEFAULT_PATH,
			       "rootfs", "type", "layers", "diff_ids");
	if (!im->config || add_layers(im, 1, err) < 0)
		return gb_fail(err, ENOMEM, "plan");
	snprintf(im->layers[0].member, sizeof(im->layers[0].member), "%s", im->src.path);
	return 0;
}

static void on_bytes(void *arg, uint64_t n)
{
	struct import *im = arg;

	im->prog.done += n;
	if (im->opts->progress)
		im->opts->progress(im->opts->progress_arg, &im->prog);
}

static int extract(struct import *im, struct plan_layer *l, gb_layer_read_fn rd, void *rdarg,
		   gb_error *err)
{
	struct gb_layer_opts o = {
		.expect_blob = l->blob[0] ? l->blob : NULL,
		.expect_diff = l->diff[0] ? l->diff : NULL,
		.max_unpacked = im->cfg->max_unpacked_mb << 20,
		.unpacked = &im->unpacked,
		.streamed = &im->streamed,
		.on_bytes = on_bytes,
		.on_bytes_arg = im,
	};

	im->prog.layer++;
	if (gb_layer_extract(im->st.layers_fd, rd, rdarg, &o, &l->res, err) < 0)
		return strncmp(im->format, "rootfs", strlen("rootfs"))
			       ? gb_context(err, "layer %zu/%zu (%s)",
					    (size_t)(l - im->layers) + 1, im->nlayers, l->member)
			       : -1;
	/* The same blob listed twice is read once. */
	for (size_t i = 0; i < im->nlayers; i++)
		if (&im->layers[i] != l && !im->layers[i].done &&
		    !strcmp(im->layers[i].member, l->member)) {
			im->layers[i].res = l->res;
			im->layers[i].res.implicit = NULL;
			im->layers[i].res.nimplicit = 0;
			im->layers[i].done = true;
		}
	l->done = true;
	return 0;
}

static bool want_member(void *arg, const char *name)
{
	struct import *im = arg;

	for (size_t i = 0; i < im->nlayers; i++)
		if (!im->layers[i].done && !strcmp(im->layers[i].member, name))
			return true;
	return false;
}

static bool want_member_any(struct import *im)
{
	for (size_t i = 0; i < im->nlayers; i++)
		if (!im->layers[i].done)
			return true;
	return false;
}

static int extract_member(void *arg, const char *name, gb_layer_read_fn rd, void *rdarg,
			  gb_error *err)
{
	struct import *im = arg;

	for (size_t i = 0; i < im->nlayers; i++)
		if (!im->layers[i].done && !strcmp(im->layers[i].member, name))
			return extract(im, &im->layers[i], rd, rdarg, err);
	return 0;
}

static int extract_rootfs(struct import *im, gb_error *err)
{
	struct plan_layer *l = &im->layers[0];
	struct gb_image_fd_reader r = { .name = im->src.path };
	struct gb_image_dir_tar t;
	int ret;

	if (!im->src.is_dir) {
		_cleanup_close_ int fd = open(im->src.path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return gb_fail_errno(err, "open");
		r.fd = fd;
		return extract(im, l, gb_image_read_fd, &r, err);
	}
	if (gb_image_dir_tar_start(im->src.path, &t, err) < 0)
		return -1;
	r.fd = t.fd;
	ret = extract(im, l, gb_image_read_fd, &r, err);
	return gb_image_dir_tar_finish(&t, ret == 0, err) < 0 ? -1 : 0;
}

/* Once every layer is in place (a tar may hold them in any order), the
 * directories a layer only implied take their metadata from below. */
static int fix_implicit(struct import *im, gb_error *err)
{
	_cleanup_free_ char **lowers = calloc(im->nlayers + 1, sizeof(char *));

	if (!lowers)
		return gb_fail(err, ENOMEM, "layers");
	for (size_t i = 0; i < im->nlayers; i++) {
		struct gb_layer_result *r = &im->layers[i].res;

		for (size_t j = 0; j < i; j++)
			lowers[j] = im->layers[i - 1 - j].res.diff_id;
		if (r->nimplicit && gb_layer_fix_implicit(im->st.layers_fd, r->diff_id, lowers, i,
							  r->implicit, r->nimplicit, err) < 0)
			return -1;
	}
	return 0;
}

static int extract_layers(struct import *im, gb_error *err)
{
	for (size_t i = 0; i < im->nlayers; i++) {
		struct plan_layer *l = &im->layers[i];
		bool counted = false;

		if (l->diff[0] && gb_layer_exists(im->st.layers_fd, l->diff, &l->res.size,
						  &l->res.entries)) {
			memcpy(l->res.diff_id, l->diff, sizeof(l->res.diff_id));
			l->res.existed = l->done = true;
			continue;
		}
		if (!l->diff[0])
			continue;
		for (size_t j = 0; j < i; j++)
			counted |= !im->layers[j].done && !strcmp(im->layers[j].member, l->member);
		if (!gb_image_source_has(&im->src, l->member, &l->blob_size))
			return gb_fail(err, 0, "layer %zu/%zu: %s is missing or listed twice",
				       i + 1, im->nlayers, l->member);
		if (!counted) {
			im->prog.total += l->blob_size;
			im->prog.nlayers++;
		}
	}
	if (!strncmp(im->format, "rootfs", strlen("rootfs")))
		return extract_rootfs(im, err);
	for (size_t i = 0; i < im->nlayers; i++) {
		struct plan_layer *l = &im->layers[i];

		if (l->done)
			continue;
		if (im->src.is_dir) {
			_cleanup_close_ int fd = gb_image_source_open_file(&im->src, l->member, err);
			struct gb_image_fd_reader r = { .fd = fd, .name = l->member };
			if (fd < 0 || extract(im, l, gb_image_read_fd, &r, err) < 0)
				return -1;
		} else {
			/* small blobs were kept from the first pass */
			_cleanup_free_ char *data = NULL;
			size_t len;
			struct gb_image_mem_reader r;

			if (gb_image_source_read(&im->src, l->member, &data, &len, NULL) < 0)
				continue;
			r = (struct gb_image_mem_reader){ .p = data, .left = len };
			if (extract(im, l, gb_image_read_mem, &r, err) < 0)
				return -1;
		}
	}
	if (!im->src.is_dir && want_member_any(im) &&
	    gb_image_source_stream(&im->src, want_member, extract_member, im, err) < 0)
		return -1;
	for (size_t i = 0; i < im->nlayers; i++)
		if (!im->layers[i].done)
			return gb_fail(err, 0, "layer %zu/%zu: %s is missing", i + 1, im->nlayers,
				       im->layers[i].member);
	return fix_implicit(im, err);
}

static int pick_name(struct import *im, char **name, gb_error *err)
{
	const char *label = jstr(json_object_get(json_object_get(im->config, "config"), "Labels"),
				 GB_IMAGE_LABEL_NAME);
	const char *n = im->opts->name ? im->opts->name : label ? label : im->tag;

	if (!n)
		return gb_fail(err, 0, "the image has no name (no %s label, no repository tag): "
				       "give one with --name NAME", GB_IMAGE_LABEL_NAME);
	if (gb_image_name_check(n, err) < 0)
		return -1;
	*name = strdup(n);
	return *name ? 0 : gb_fail(err, ENOMEM, "name");
}

static int check_platform(struct import *im, gb_error *err)
{
	const char *arch = jstr(im->config, "architecture"), *os = jstr(im->config, "os");

	if (!json_is_object(im->config))
		return gb_fail(err, 0, "the image config is not an object");
	if ((arch && strcmp(arch, host_arch())) || (os && strcmp(os, "linux")))
		return gb_fail(err, 0, "the image is for %s/%s; this host runs linux/%s",
			       os ? os : "?", arch ? arch : "?", host_arch());
	return 0;
}

static void now_rfc3339(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Layers as the store lists them: a blob listed twice is kept at its
 * topmost place only (overlay refuses a directory twice, and the upper
 * copy hides the lower one anyway); empty layers are dropped. */
static json_t *layer_list(struct import *im, uint64_t *total)
{
	json_t *list = json_array();

	*total = 0;
	for (size_t i = 0; list && i < im->nlayers; i++) {
		struct gb_layer_result *r = &im->layers[i].res;
		bool later = false;
		char digest[GB_SHA256_HEX_LEN + 8];

		for (size_t j = i + 1; j < im->nlayers; j++)
			later |= !strcmp(im->layers[j].res.diff_id, r->diff_id);
		/* keep the last one even if empty: an image has a layer */
		if (later || (r->entries == 0 && (json_array_size(list) || i + 1 < im->nlayers)))
			continue;
		snprintf(digest, sizeof(digest), "sha256:%s", r->diff_id);
		json_array_append_new(list, json_pack("{s:s, s:I}", "diff_id", digest, "size",
						      (json_int_t)r->size));
		*total += r->size;
	}
	return list;
}

/* What runs use from the config, as the OCI config names it. */
static json_t *run_config(struct import *im)
{
	static const char *const keys[] = { "Env", "WorkingDir", "User", "Cmd", "Entrypoint",
					    "Labels" };
	json_t *c = json_object_get(im->config, "config"), *out = json_object();

	for (size_t i = 0; out && i < GB_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(c, keys[i]);
		if (v && !json_is_null(v))
			json_object_set(out, keys[i], v);
	}
	return out;
}

static int record(struct import *im, const char *name, gb_error *err)
{
	char id[GB_SHA256_HEX_LEN + 8], now[32], src[PATH_MAX];
	const char *created = jstr(im->config, "created");
	uint64_t total;
	json_t *img, *layers = layer_list(im, &total);
	int r;

	if (!strncmp(im->format, "rootfs", strlen("rootfs"))) {
		_cleanup_free_ char *text = NULL;
		char digest[GB_SHA256_HEX_LEN + 8];

		snprintf(digest, sizeof(digest), "sha256:%s", im->layers[0].res.diff_id);
		json_array_append_new(json_object_get(json_object_get(im->config, "rootfs"),
						      "diff_ids"),
				      json_string(digest));
		text = json_dumps(im->config, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			return gb_fail(err, ENOMEM, "config");
		gb_sha256_hex(text, strlen(text), im->config_hex);
	}
	now_rfc3339(now, sizeof(now));
	if (!realpath(im->src.path, src))
		snprintf(src, sizeof(src), "%s", im->src.path);
	snprintf(id, sizeof(id), "sha256:%s", im->config_hex);
	img = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "name", name,
			"id", id, "created", created ? created : now, "imported", now, "format",
			im->format, "source", src, "architecture", host_arch(), "os", "linux",
			"size", (json_int_t)total, "layers", layers, "config", run_config(im));
	if (!img)
		return gb_fail(err, ENOMEM, "image description");
	r = gb_image_store_write(&im->st, name, img, err);
	json_decref(img);
	return r;
}

int gb_image_import(const struct gb_config *cfg, const char *path,
		    const struct gb_image_import_opts *opts, char **name_out, gb_error *err)
{
	struct import im = { .cfg = cfg, .opts = opts };
	_cleanup_free_ char *name = NULL;
	char file[PATH_MAX];
	bool replacing;
	int r = -1;

	*name_out = NULL;
	if (geteuid() != 0)
		return gb_fail(err, EPERM, "image import needs root: it keeps the owners of the "
					   "image's files");
	if (gb_image_source_open(&im.src, path, err) < 0)
		return -1;
	if (gb_image_store_open(cfg, &im.st, LOCK_SH, true, err) != 0)
		goto out;
	gb_layer_clean_stale(im.st.layers_fd, NULL);
	if (im.src.is_dir ? gb_image_source_has(&im.src, "oci-layout", NULL) &&
				    gb_image_source_has(&im.src, "index.json", NULL)
			  : im.src.image_like && gb_image_source_has(&im.src, "oci-layout", NULL) &&
				    !gb_image_source_has(&im.src, "manifest.json", NULL))
		r = plan_oci(&im, err);
	else if (gb_image_source_has(&im.src, "manifest.json", NULL) &&
		 (im.src.is_dir || im.src.image_like))
		r = plan_docker(&im, err);
	else
		r = plan_rootfs(&im, err);
	if (r == 0)
		r = check_platform(&im, err);
	if (r == 0)
		r = pick_name(&im, &name, err);
	if (r == 0)
		r = extract_layers(&im, err);
	if (r < 0) {
		gb_context(err, "%s", path);
		goto out;
	}
	gb_image_name_file(name, file, sizeof(file));
	replacing = faccessat(im.st.images_fd, file, F_OK, 0) == 0;
	r = record(&im, name, err);
	/* The replaced image's layers go now if nothing else runs; else gc. */
	if (r == 0 && replacing && flock(im.st.lock_fd, LOCK_EX | LOCK_NB) == 0)
		gb_image_store_prune(&im.st, NULL, NULL);
	if (r == 0)
		*name_out = gb_steal_ptr(&name);
out:
	gb_image_store_close(&im.st);
	gb_image_source_close(&im.src);
	json_decref(im.config);
	free(im.tag);
	for (size_t i = 0; i < im.nlayers; i++)
		gb_layer_result_free(&im.layers[i].res);
	free(im.layers);
	return r;
}
