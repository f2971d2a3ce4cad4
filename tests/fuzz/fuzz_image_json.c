/* fuzz_image_json: the JSON an image carries (docker save manifest.json,
 * OCI index.json, manifests, configs, nested indexes) through
 * gb_image_import. Blobs are named by their sha256, which a fuzzer cannot
 * forge, so the input is a bundle the harness turns into a tar:
 *
 *   --- NAME          one member per "--- " line, its content up to the
 *   CONTENT           next "\n--- " (or the end)
 *
 * In CONTENT, "@N" (N one hex digit) becomes the sha256 hex of member N
 * (0-based), for members after this one: "sha256:@2" is a digest,
 * "blobs/sha256/@2" a path. In NAME, "@N" does the same for any member and
 * a bare "@" stands for the member's own digest: "blobs/sha256/@" is a blob,
 * "@.json" an old docker save config. "NAME -> TARGET" makes a symlink
 * ("NAME -> |" a FIFO, in a directory source).
 * When the first member is named "!dir", the members are laid out as a
 * directory source (an OCI layout or an extracted docker save) instead of
 * a tar. tests/fuzz/make-corpus turns real image layouts into this form. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_common.h"
#include "sha256.h"

#define GB_FUZZ_PARTS 16
#define GB_FUZZ_NAME_MAX 512
#define GB_FUZZ_SEP "\n--- "
#define GB_FUZZ_HEAD "--- "
#define GB_FUZZ_LINK " -> "
#define GB_FUZZ_DIR "!dir"

struct part {
	char name[GB_FUZZ_NAME_MAX];
	const char *link; /* symlink target (inside name), or NULL */
	const uint8_t *raw;
	size_t rawlen;
	char *data; /* after substitution */
	size_t len;
	char hex[GB_SHA256_HEX_LEN + 1];
};

static struct gb_fuzz_import fi;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	gb_fuzz_import_init(&fi, "image_json");
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Copy src[0..len) replacing "@N" by parts[N].hex when first <= N < n, and a
 * bare "@" by self (when not NULL). Returns a fresh buffer (out_len set). */
static char *substitute(const uint8_t *src, size_t len, struct part *parts, size_t first,
			size_t n, const char *self, size_t *out_len)
{
	size_t ats = 0;
	char *out, *o;

	for (size_t i = 0; i < len; i++)
		ats += src[i] == '@';
	out = o = malloc(len + ats * GB_SHA256_HEX_LEN + 1);
	if (!out)
		abort();
	for (size_t i = 0; i < len; i++) {
		int v = i + 1 < len ? hexval(src[i + 1]) : -1;

		if (src[i] == '@' && v >= 0 && (size_t)v >= first && (size_t)v < n) {
			memcpy(o, parts[v].hex, GB_SHA256_HEX_LEN);
			o += GB_SHA256_HEX_LEN;
			i++;
		} else if (src[i] == '@' && v < 0 && self) {
			memcpy(o, self, GB_SHA256_HEX_LEN);
			o += GB_SHA256_HEX_LEN;
		} else {
			*o++ = src[i];
		}
	}
	*o = '\0';
	*out_len = o - out;
	return out;
}

static size_t split_parts(const uint8_t *data, size_t size, struct part *parts,
			  const uint8_t **names, size_t *namelens)
{
	const uint8_t *p = data, *end = data + size;
	size_t n = 0;

	if (size < strlen(GB_FUZZ_HEAD) || memcmp(data, GB_FUZZ_HEAD, strlen(GB_FUZZ_HEAD)))
		return 0;
	while (p < end && n < GB_FUZZ_PARTS) {
		const uint8_t *name = p + strlen(GB_FUZZ_HEAD), *nl, *next;

		if (name > end)
			break;
		nl = memchr(name, '\n', end - name);
		if (!nl)
			nl = end;
		names[n] = name;
		namelens[n] = nl - name;
		parts[n].raw = nl < end ? nl + 1 : end;
		next = memmem(parts[n].raw, end - parts[n].raw, GB_FUZZ_SEP, strlen(GB_FUZZ_SEP));
		parts[n].rawlen = (next ? next : end) - parts[n].raw;
		n++;
		p = next ? next + 1 : end;
	}
	return n;
}

static void write_tar(struct part *parts, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	if (!a || !e || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, fi.source) != ARCHIVE_OK)
		abort();
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_copy_pathname(e, parts[i].name);
		archive_entry_set_filetype(e, parts[i].link ? AE_IFLNK : AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, parts[i].link ? 0 : parts[i].len);
		if (parts[i].link)
			archive_entry_copy_symlink(e, parts[i].link);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			continue; /* a name tar cannot hold */
		if (!parts[i].link && parts[i].len &&
		    archive_write_data(a, parts[i].data, parts[i].len) < 0)
			abort();
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_entry_free(e);
	archive_write_free(a);
}

/* The members as a directory; names that would leave it are skipped. */
static void write_dir(struct part *parts, size_t n)
{
	int fd;

	if (mkdir(fi.srcdir, 0755) < 0)
		abort();
	fd = open(fi.srcdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t i = 1; i < n; i++)
		gb_fuzz_put(fd, parts[i].name, parts[i].data, parts[i].len, parts[i].link);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct part parts[GB_FUZZ_PARTS] = { 0 };
	const uint8_t *names[GB_FUZZ_PARTS];
	size_t namelens[GB_FUZZ_PARTS], n = split_parts(data, size, parts, names, namelens);
	bool as_dir;

	if (n == 0)
		return 0;
	/* Last to first: a member's digest covers the digests it names. */
	for (size_t i = n; i-- > 0;) {
		parts[i].data = substitute(parts[i].raw, parts[i].rawlen, parts, i + 1, n, NULL,
					   &parts[i].len);
		gb_sha256_hex(parts[i].data, parts[i].len, parts[i].hex);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *name = substitute(names[i], namelens[i], parts, 0, n, parts[i].hex, &len);

		char *arrow;

		snprintf(parts[i].name, sizeof(parts[i].name), "%s", name);
		free(name);
		arrow = strstr(parts[i].name, GB_FUZZ_LINK);
		if (arrow) {
			*arrow = '\0';
			parts[i].link = arrow + strlen(GB_FUZZ_LINK);
		}
	}
	as_dir = !strcmp(parts[0].name, GB_FUZZ_DIR);
	if (as_dir)
		write_dir(parts, n);
	else
		write_tar(parts, n);
	for (size_t i = 0; i < n; i++)
		free(parts[i].data);
	gb_fuzz_import_run(&fi, as_dir ? fi.srcdir : fi.source, NULL);
	return 0;
}
