/* fuzz_image_archive: an image file as `gradebox image import FILE` gets
 * it: a docker save tar, an oci-archive or a rootfs tar, maybe compressed,
 * through gb_image_import into a scratch store. Covers the source scan
 * (member names, duplicates, what counts as an image), the choice of
 * format, the manifests and configs as they come, and the layers inside.
 * Checksums are fixed after mutation (see fuzz_layer_tar.c). The name is
 * given (--name), so a rootfs tar gets as far as its extraction;
 * fuzz_image_json fuzzes the names an image brings. */
#include "image_common.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static struct gb_fuzz_import fi;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	gb_fuzz_import_init(&fi, "image_archive");
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	size = LLVMFuzzerMutate(data, size, max_size);
	gb_fuzz_tar_fix_checksums(data, size);
	return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gb_fuzz_write_file(fi.source, data, size);
	gb_fuzz_import_run(&fi, fi.source, "fuzz");
	return 0;
}
