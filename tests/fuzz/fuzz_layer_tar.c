/* fuzz_layer_tar: a layer blob (tar, maybe compressed) through the import's
 * extraction path, gb_layer_extract, into a scratch store's layers/
 * directory: path checks, whiteouts, hard links, symlinks, xattrs, long
 * names, the size limit. After each input the canary layout around the
 * store must be untouched (nothing written outside it) and the cwd must be
 * back where it was; then the layer is removed.
 *
 * The custom mutator recomputes the ustar header checksums after
 * libFuzzer's mutation, so mutated headers reach gradebox's checks rather
 * than libarchive's checksum test. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "image_layer.h"
#include "image_source.h"

/* Small enough that a mutated size field cannot fill the disk. */
#define GB_FUZZ_MAX_UNPACKED (64ull << 20)

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static struct gb_fuzz_scratch scratch;
static int layers_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	gb_fuzz_scratch_init(&scratch, "layer_tar");
	layers_fd = open(scratch.work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layers_fd < 0)
		abort();
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	size = LLVMFuzzerMutate(data, size, max_size);
	gb_fuzz_tar_fix_checksums(data, size);
	return size;
}

/* Entries of the store's layers/ directory. */
static int count_entries(void)
{
	DIR *d = opendir(scratch.work);
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_image_mem_reader rd = { .p = (const char *)data, .left = size };
	uint64_t unpacked = 0, streamed = 0;
	struct gb_layer_opts opts = {
		.max_unpacked = GB_FUZZ_MAX_UNPACKED,
		.unpacked = &unpacked,
		.streamed = &streamed,
	};
	struct gb_layer_result res;
	gb_error err;

	int r = gb_layer_extract(layers_fd, gb_image_read_mem, &rd, &opts, &res, &err);

	if (r == 0)
		gb_layer_result_free(&res);
	gb_fuzz_canary_check(&scratch);
	/* A layer and its <hex>.json, or nothing left behind on failure. */
	if (count_entries() != (r == 0 ? 2 : 0)) {
		fprintf(stderr, "gb-fuzz: layers/ holds %d entries after %s\n", count_entries(),
			r == 0 ? "success" : err.msg);
		abort();
	}
	gb_fuzz_scratch_clear(&scratch);
	return 0;
}
