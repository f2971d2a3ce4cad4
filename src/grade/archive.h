/* archive: a grading sandbox's /archive as a .tgz (archive.c). */
#ifndef GB_ARCHIVE_H
#define GB_ARCHIVE_H

#include <stddef.h>

#include "error.h"

/* Entries belong to the worker, as INGInious's archive does. */
#define GB_ARCHIVE_OWNER 4242

/* Pack the tree below dirfd (a directory the sandbox wrote) into a
 * gzip-compressed tar in memory of at most max bytes. */
int gb_archive_pack(int dirfd, size_t max, unsigned char **out, size_t *len, gb_error *err);

#endif
