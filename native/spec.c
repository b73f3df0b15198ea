/*
 * Node specs on the launcher's stdin (written by src/core/launch-wire.ts):
 * each field is "key=value\0", a record ends with an empty field "\0".
 *   lab, name, run, hosts, log, grace   once
 *   lower, cg, layer                    repeated, in order
 *   bind    "ro\x1fSRC\x1fDST" or "rw\x1fSRC\x1fDST"
 *   uidmap, gidmap   "INSIDE HOST COUNT", repeated; present: user namespace
 *   seccomp  "default" (also when absent) or "unconfined"
 *   upper    size of the node's upper layer (its tmpfs), bytes
 *   devices  the devices it may use: "c 1:3 rwm,c 5:0 rwm" (devices.c); absent: no cgroup2 program
 */
#include "spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char spec_error[512];

const char *spec_parse_error(void)
{
	return spec_error;
}

static int bad(int idx, const char *what, const char *field)
{
	snprintf(spec_error, sizeof spec_error, "spec %d: %s: %.200s", idx, what, field);
	return -1;
}

static void *grow(void *p, int n, size_t size)
{
	/* Capacity doubles at powers of two. */
	if (n == 0 || (n & (n - 1)) == 0) {
		p = realloc(p, (size_t)(n ? 2 * n : 1) * size);
		if (!p) {
			perror("netlab-init: realloc");
			_exit(70);
		}
	}
	return p;
}

static int add_idmap(char **map, unsigned *root, const char *value, int idx)
{
	unsigned inside, host, count;
	char extra;
	if (sscanf(value, "%u %u %u %c", &inside, &host, &count, &extra) != 3 || count == 0)
		return bad(idx, "id map is not \"INSIDE HOST COUNT\"", value);
	if (inside == 0)
		*root = host;
	size_t old = *map ? strlen(*map) : 0;
	char *m = realloc(*map, old + strlen(value) + 2);
	if (!m)
		return bad(idx, "out of memory", value);
	sprintf(m + old, "%s\n", value);
	*map = m;
	return 0;
}

static int parse_bind(struct bind_spec *b, char *value, int idx)
{
	char *src = strchr(value, '\x1f');
	char *dst = src ? strchr(src + 1, '\x1f') : NULL;
	if (!src || !dst)
		return bad(idx, "bind is not \"ro|rw\\x1fSRC\\x1fDST\"", value);
	*src++ = 0;
	*dst++ = 0;
	if (strcmp(value, "ro") && strcmp(value, "rw"))
		return bad(idx, "bind mode must be ro or rw", value);
	if (src[0] != '/' || dst[0] != '/')
		return bad(idx, "bind paths must be absolute", dst);
	b->ro = value[1] == 'o';
	b->src = src;
	b->dst = dst;
	return 0;
}

static int field(struct node_spec *s, char *f)
{
	char *eq = strchr(f, '=');
	if (!eq)
		return bad(s->idx, "field without '='", f);
	*eq = 0;
	char *v = eq + 1;
	if (!strcmp(f, "lab"))
		s->lab = v;
	else if (!strcmp(f, "name"))
		s->name = v;
	else if (!strcmp(f, "run"))
		s->run = v;
	else if (!strcmp(f, "hosts"))
		s->hosts = v[0] ? v : NULL;
	else if (!strcmp(f, "log"))
		s->log = v[0] ? v : NULL;
	else if (!strcmp(f, "grace"))
		s->grace_ms = atoi(v);
	else if (!strcmp(f, "lower")) {
		s->lower = grow(s->lower, s->nlower, sizeof *s->lower);
		s->lower[s->nlower++] = v;
	} else if (!strcmp(f, "layer")) {
		if (v[0] != '/')
			return bad(s->idx, "layer paths must be absolute", v);
		s->layer = grow(s->layer, s->nlayer, sizeof *s->layer);
		s->layer[s->nlayer++] = v;
	} else if (!strcmp(f, "cg")) {
		s->cg = grow(s->cg, s->ncg, sizeof *s->cg);
		s->cg[s->ncg++] = v;
	} else if (!strcmp(f, "bind")) {
		s->binds = grow(s->binds, s->nbinds, sizeof *s->binds);
		if (parse_bind(&s->binds[s->nbinds++], v, s->idx) < 0)
			return -1;
	} else if (!strcmp(f, "seccomp")) {
		if (strcmp(v, "default") && strcmp(v, "unconfined"))
			return bad(s->idx, "seccomp is default or unconfined", v);
		s->seccomp = v[0] == 'd';
	} else if (!strcmp(f, "upper")) {
		if (!v[0] || strspn(v, "0123456789") != strlen(v))
			return bad(s->idx, "upper is a size in bytes", v);
		s->upper_size = v;
	} else if (!strcmp(f, "devices")) {
		if (!device_rules_valid(v))
			return bad(s->idx, "devices are rules \"c|b|a MAJOR|*:MINOR|* rwm\" joined by ','", v);
		s->devices = v;
	} else if (!strcmp(f, "uidmap")) {
		return add_idmap(&s->uidmap, &s->root_uid, v, s->idx);
	} else if (!strcmp(f, "gidmap")) {
		return add_idmap(&s->gidmap, &s->root_gid, v, s->idx);
	} else {
		return bad(s->idx, "unknown field", f);
	}
	return 0;
}

static int check(const struct node_spec *s)
{
	if (!s->lab || !s->name || !s->run)
		return bad(s->idx, "lab, name and run are required", s->name ? s->name : "?");
	if (strlen(s->name) > 64)
		return bad(s->idx, "node name longer than 64 bytes (sethostname(2))", s->name);
	if (s->nlower == 0)
		return bad(s->idx, "at least one lower dir is required", s->name);
	if (!s->uidmap != !s->gidmap)
		return bad(s->idx, "uidmap and gidmap go together", s->name);
	return 0;
}

int parse_specs(char *buf, size_t len, struct node_spec **out, int *n)
{
	struct node_spec *specs = NULL;
	int count = 0;
	char *p = buf, *end = buf + len;
	if (len > 0 && buf[len - 1] != 0)
		return bad(0, "input does not end with a NUL", "");
	while (p < end) {
		specs = grow(specs, count, sizeof *specs);
		struct node_spec *s = &specs[count];
		memset(s, 0, sizeof *s);
		s->idx = count;
		s->grace_ms = 3000;
		s->cg_fd = -1;
		s->seccomp = true;
		s->dev_prog = -1;
		while (p < end && *p) {
			size_t flen = strlen(p);
			if (field(s, p) < 0)
				return -1;
			p += flen + 1;
		}
		if (p >= end)
			return bad(count, "record without its terminating empty field", "");
		p++; /* the empty field */
		if (check(s) < 0)
			return -1;
		s->cg_mode = calloc((size_t)s->ncg + 1, sizeof *s->cg_mode);
		count++;
	}
	*out = specs;
	*n = count;
	return 0;
}
