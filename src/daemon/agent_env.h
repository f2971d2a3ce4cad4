/* agent_env: the environments an agent offers in its hello: the images of
 * the store, under the environment type INGInious task files name. */
#ifndef GB_AGENT_ENV_H
#define GB_AGENT_ENV_H

#include <jansson.h>

#include "config.h"
#include "error.h"

/* INGInious task files say `environment_type: docker`; a gradebox host
 * runs the same images without Docker. */
#define GB_AGENT_ENV_TYPE "docker"
/* Labels of INGInious grading images (besides GB_IMAGE_LABEL_NAME). */
#define GB_AGENT_LABEL_PORTS "org.inginious.grading.ports"

/* {"docker": {name: {"id", "created" (unix time), "ports", "advertised"}}}:
 * each image under its INGInious name (label org.inginious.grading.name)
 * and under its store name; where two images claim a name, the newer. */
int gb_agent_environments(const struct gb_config *cfg, json_t **out, gb_error *err);
/* "2024-01-02T03:04:05.123Z" or "+01:00" offsets -> unix seconds; -1. */
long long gb_agent_parse_time(const char *rfc3339);

#endif
