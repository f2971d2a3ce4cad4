/* image_path: the pure rules for names inside an untrusted layer tar: path
 * normalisation, whiteout names, digests, allowed xattrs. See image_layer.h. */
#include "image_layer.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

int gb_layer_clean_path(const char *in, char *out, size_t outsz, gb_error *err)
{
	size_t used = 0;
	const char *p = in;

	if (!in || !*in)
		return gb_fail(err, 0, "empty name");
	if (*in == '/')
		return gb_fail(err, 0, "absolute path");
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return gb_fail(err, 0, "path goes outside the layer ('..')");
		if (len > NAME_MAX)
			return gb_fail(err, ENAMETOOLONG, "name component too long");
		if (len && !(len == 1 && p[0] == '.')) {
			if (used + len + 2 > outsz)
				return gb_fail(err, ENAMETOOLONG, "path too long");
			if (used)
				out[used++] = '/';
			memcpy(out + used, p, len);
			used += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	if (used + 1 > outsz)
		return gb_fail(err, ENAMETOOLONG, "path too long");
	out[used] = '\0';
	return 0;
}

enum gb_whiteout gb_layer_whiteout(const char *path, char *target, size_t targetsz)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) : 0;
	const char *name;

	if (strncmp(base, GB_WHITEOUT_PREFIX, strlen(GB_WHITEOUT_PREFIX)))
		return GB_WH_NONE;
	if (!strcmp(base, GB_WHITEOUT_OPAQUE)) {
		if (dirlen + 1 > targetsz)
			return GB_WH_BAD;
		memcpy(target, path, dirlen);
		target[dirlen] = '\0';
		return GB_WH_OPAQUE;
	}
	if (!strncmp(base, GB_WHITEOUT_META_PREFIX, strlen(GB_WHITEOUT_META_PREFIX)))
		return GB_WH_META;
	name = base + strlen(GB_WHITEOUT_PREFIX);
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return GB_WH_BAD;
	if (dirlen + 1 + strlen(name) + 1 > targetsz)
		return GB_WH_BAD;
	if (dirlen) {
		memcpy(target, path, dirlen);
		target[dirlen] = '/';
		strcpy(target + dirlen + 1, name);
	} else {
		strcpy(target, name);
	}
	return GB_WH_FILE;
}

bool gb_layer_is_hex(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == GB_SHA256_HEX_LEN;
}

bool gb_layer_parse_digest(const char *s, char hex[GB_SHA256_HEX_LEN + 1])
{
	static const char algo[] = "sha256:";

	if (!s || strncmp(s, algo, strlen(algo)) || !gb_layer_is_hex(s + strlen(algo)))
		return false;
	memcpy(hex, s + strlen(algo), GB_SHA256_HEX_LEN + 1);
	return true;
}

/* File capabilities (security.capability) are dropped too: inside the
 * sandbox they never act (the layers and the overlay are mounted nosuid,
 * which makes exec ignore them, and the command runs with no_new_privs and
 * an empty bounding set), while on the host a layer's cap_setuid+ep file
 * is a root shell for whoever reaches it. Dropping them at import closes
 * that for good, whatever the store's modes. */
bool gb_layer_xattr_allowed(const char *name)
{
	if (!strncmp(name, "user.overlay.", strlen("user.overlay.")))
		return false;
	return !strncmp(name, "user.", strlen("user."));
}
