/* testfile_yaml: what the .test reader and writer share: YAML 1.1's
 * resolution of a plain scalar, so that a string written back plain reads
 * back as the same string. */
#ifndef GB_TESTFILE_YAML_H
#define GB_TESTFILE_YAML_H

enum gb_yaml_kind {
	GB_YAML_STR,
	GB_YAML_NULL,
	GB_YAML_TRUE,
	GB_YAML_FALSE,
	GB_YAML_INT,
	GB_YAML_FLOAT,
	GB_YAML_FLOAT_SPECIAL, /* .inf, .nan: no JSON value, kept as text */
};

enum gb_yaml_kind gb_yaml_resolve(const char *plain);

#endif
