/* Parsing the launcher's input (spec.c). */
#ifndef NETLAB_SPEC_H
#define NETLAB_SPEC_H

#include "init.h"

/* Parses every record of buf[0..len) (modified in place; specs point into it). 0 or -1. */
int parse_specs(char *buf, size_t len, struct node_spec **out, int *n);
/* The reason of the last -1 from parse_specs. */
const char *spec_parse_error(void);

#endif
