/* Unit tests for the image store's pure rules: SHA-256, tar entry paths,
 * whiteout names, digests, xattrs, image names. */
#include <stdlib.h>
#include <string.h>

#include "image_layer.h"
#include "image_store.h"
#include "sha256.h"
#include "tap.h"

static const char *hex_of(const char *s, size_t len, int portable)
{
	static char out[GB_SHA256_HEX_LEN + 1];

	gb_sha256_force_portable(portable);
	gb_sha256_hex(s, len, out);
	gb_sha256_force_portable(0);
	return out;
}

static void test_sha256_vectors(void)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	for (int p = 0; p < 2; p++) {
		TAP_OK(!strcmp(hex_of("", 0, p), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
		       p ? "sha256 of \"\" (portable)" : "sha256 of \"\"");
		TAP_OK(!strcmp(hex_of("abc", 3, p), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
		       p ? "sha256 of abc (portable)" : "sha256 of abc");
		TAP_OK(!strcmp(hex_of(two_blocks, strlen(two_blocks), p),
			       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
		       p ? "sha256 of the 448-bit vector (portable)" : "sha256 of the 448-bit vector");
	}
}

static void test_sha256_million_a(void)
{
	char *a = malloc(1000000);
	struct gb_sha256 c;
	char out[GB_SHA256_HEX_LEN + 1];

	memset(a, 'a', 1000000);
	gb_sha256_init(&c);
	/* odd-sized pieces cross block boundaries */
	for (size_t off = 0; off < 1000000; off += 999)
		gb_sha256_update(&c, a + off, off + 999 > 1000000 ? 1000000 - off : 999);
	gb_sha256_final_hex(&c, out);
	TAP_OK(!strcmp(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	       "sha256 of a million 'a' fed in pieces");
	free(a);
}

static void test_sha256_paths_agree(void)
{
	char *buf = malloc(70000);
	int same = 1;

	for (size_t i = 0; i < 70000; i++)
		buf[i] = (char)(i * 131 + 7);
	for (size_t len = 0; len < 70000 && same; len += 997) {
		char a[GB_SHA256_HEX_LEN + 1];
		strcpy(a, hex_of(buf, len, 0));
		same = !strcmp(a, hex_of(buf, len, 1));
	}
	TAP_OK(same, "sha256: CPU-accelerated and portable code agree");
	free(buf);
}

static int clean(const char *in, char *out)
{
	gb_error err = { 0 };

	return gb_layer_clean_path(in, out, PATH_MAX, &err);
}

static void test_clean_path(void)
{
	char out[PATH_MAX], big[PATH_MAX + 10];

	TAP_OK(clean("etc/passwd", out) == 0 && !strcmp(out, "etc/passwd"), "plain path kept");
	TAP_OK(clean("./etc//x/./y/", out) == 0 && !strcmp(out, "etc/x/y"), "./, // and trailing / dropped");
	TAP_OK(clean("./", out) == 0 && !strcmp(out, ""), "./ is the layer root");
	TAP_OK(clean("/etc/passwd", out) < 0, "absolute path refused");
	TAP_OK(clean("../x", out) < 0, "leading .. refused");
	TAP_OK(clean("a/../../x", out) < 0, ".. inside refused");
	TAP_OK(clean("a/..", out) < 0, "trailing .. refused");
	TAP_OK(clean("a/..b/c", out) == 0 && !strcmp(out, "a/..b/c"), "..b is an ordinary name");
	TAP_OK(clean("", out) < 0, "empty name refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	TAP_OK(clean(big, out) < 0, "overlong component refused");
	for (size_t i = 100; i < sizeof(big) - 1; i += 101)
		big[i] = '/';
	TAP_OK(clean(big, out) < 0, "path longer than PATH_MAX refused");
}

static void test_whiteouts(void)
{
	char t[PATH_MAX];

	TAP_OK(gb_layer_whiteout("etc/passwd", t, sizeof(t)) == GB_WH_NONE, "ordinary name");
	TAP_OK(gb_layer_whiteout("etc/.wh.passwd", t, sizeof(t)) == GB_WH_FILE && !strcmp(t, "etc/passwd"),
	       ".wh.NAME hides DIR/NAME");
	TAP_OK(gb_layer_whiteout(".wh.top", t, sizeof(t)) == GB_WH_FILE && !strcmp(t, "top"),
	       "whiteout at the root");
	TAP_OK(gb_layer_whiteout("a/b/.wh..wh..opq", t, sizeof(t)) == GB_WH_OPAQUE && !strcmp(t, "a/b"),
	       "opaque marker names its directory");
	TAP_OK(gb_layer_whiteout(".wh..wh..opq", t, sizeof(t)) == GB_WH_OPAQUE && !strcmp(t, ""),
	       "opaque root");
	TAP_OK(gb_layer_whiteout("a/.wh..wh.plnk", t, sizeof(t)) == GB_WH_META, "aufs metadata ignored");
	TAP_OK(gb_layer_whiteout("a/.wh.", t, sizeof(t)) == GB_WH_BAD, "empty whiteout refused");
	TAP_OK(gb_layer_whiteout("a/.wh...", t, sizeof(t)) == GB_WH_BAD, "whiteout of .. refused");
	TAP_OK(gb_layer_whiteout("a/x.wh.y", t, sizeof(t)) == GB_WH_NONE, ".wh. must start the name");
	TAP_OK(gb_layer_whiteout("a/.wh.b", t, 3) == GB_WH_BAD, "target too long for the buffer");
}

static void test_digests_xattrs_names(void)
{
	char hex[GB_SHA256_HEX_LEN + 1], f[PATH_MAX];
	const char *good = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	gb_error err = { 0 };

	TAP_OK(gb_layer_parse_digest(good, hex) && !strcmp(hex, good + 7), "sha256 digest parsed");
	TAP_OK(!gb_layer_parse_digest("sha512:abcd", hex), "other algorithms refused");
	TAP_OK(!gb_layer_parse_digest("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", hex),
	       "uppercase hex refused");
	TAP_OK(!gb_layer_parse_digest("sha256:../../../../etc/passwd", hex), "path in a digest refused");
	TAP_OK(gb_layer_xattr_allowed("user.mime_type"), "user.* xattr kept");
	TAP_OK(!gb_layer_xattr_allowed("security.capability"), "file capabilities dropped");
	TAP_OK(!gb_layer_xattr_allowed("trusted.overlay.opaque"), "trusted.overlay.* dropped");
	TAP_OK(!gb_layer_xattr_allowed("user.overlay.redirect"), "user.overlay.* dropped");
	TAP_OK(!gb_layer_xattr_allowed("security.selinux"), "security.selinux dropped");
	TAP_OK(gb_image_name_check("ingi/inginious-c-default:latest", &err) == 0, "repo:tag name accepted");
	TAP_OK(gb_image_name_check("../etc", &err) < 0, "name with .. refused");
	TAP_OK(gb_image_name_check(".hidden", &err) < 0, "name starting with a dot refused");
	TAP_OK(gb_image_name_check("a b", &err) < 0, "name with a space refused");
	TAP_OK(gb_image_name_check("", &err) < 0, "empty name refused");
	gb_image_name_file("ingi/c:1", f, sizeof(f));
	TAP_OK(!strcmp(f, "ingi+c:1.json"), "name stored with / as +");
}

int main(void)
{
	/* One line for each test below; keep it in step. */
	TAP_PLAN(44);
	test_sha256_vectors();
	test_sha256_million_a();
	test_sha256_paths_agree();
	test_clean_path();
	test_whiteouts();
	test_digests_xattrs_names();
	return TAP_DONE();
}
