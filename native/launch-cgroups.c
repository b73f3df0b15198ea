/*
 * How nodes enter their cgroups (src/core/cgroups.ts plans them; the launcher
 * decides who joins what). Each node's cgroup2 dir is entered at birth with
 * clone3(CLONE_INTO_CGROUP): no migration at all. A v1 dir that every node
 * shares (the lab's) the launcher joins once, so that its clones inherit it;
 * of node-level v1 dirs the launcher joins the common parent and each node
 * its own dir when it exists (a resource asked for it), else stays put.
 */
#include "init.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/statfs.h>

/* The parent of a cgroup dir (the lab's cgroup), in a static buffer. */
static const char *parent_of(const char *dir, char *buf)
{
	snprintf(buf, NL_PATH_MAX, "%s", dir);
	char *slash = strrchr(buf, '/');
	if (slash && slash != buf)
		*slash = 0;
	return buf;
}

static bool is_cgroup2(const char *dir)
{
	struct statfs st;
	char parent[NL_PATH_MAX];
	return statfs(parent_of(dir, parent), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

/*
 * Cgroups (src/core/cgroups.ts plans them): a node's cgroup2 dir is entered at
 * birth (clone3 CLONE_INTO_CGROUP: no migration at all). For a v1 dir the node
 * joins it when it exists and otherwise stays in its parent, the lab's cgroup.
 * The launcher joins the lab's v1 cgroups once, when every node shares them,
 * so that the clones inherit them; then a node joins only its own dirs.
 */
int plan_cgroups(struct node_spec *specs, int nspecs)
{
	char a[NL_PATH_MAX], b[NL_PATH_MAX];
	int ncg = specs[0].ncg;
	for (int i = 0; i < nspecs; i++) {
		struct node_spec *s = &specs[i];
		for (int j = 0; j < s->ncg; j++) {
			if (s->cg_fd == -1 && is_cgroup2(s->cg[j])) {
				s->cg_fd = -2 - j; /* opened at clone time */
				s->cg_mode[j] = CG_CLONE;
			}
		}
		if (s->ncg != ncg)
			ncg = -1;
	}
	for (int j = 0; j < ncg; j++) {
		if (specs[0].cg_mode[j] == CG_CLONE)
			continue;
		/* the same dir for every node (the lab's): join it here, once */
		bool same_dir = true;
		for (int i = 1; i < nspecs && same_dir; i++)
			same_dir = specs[i].cg_mode[j] != CG_CLONE && !strcmp(specs[i].cg[j], specs[0].cg[j]);
		/* else the same parent (node dirs of one lab): join the parent, nodes their own dir if it exists */
		bool shared = !same_dir;
		parent_of(specs[0].cg[j], a);
		for (int i = 1; i < nspecs && shared; i++)
			shared = specs[i].cg_mode[j] != CG_CLONE && !strcmp(parent_of(specs[i].cg[j], b), a);
		if (!same_dir && !shared)
			continue;
		unsigned char mode = CG_OWN_ONLY;
		if (same_dir && join_cgroup(specs[0].cg[j], "0") == 0)
			mode = CG_DONE;
		else if (same_dir && nl_err.errnum != ENOENT)
			return -1;
		else if (join_cgroup(a, "0") < 0) /* the parent: nodes join their dir if it exists */
			return -1;
		for (int i = 0; i < nspecs; i++)
			specs[i].cg_mode[j] = mode;
	}
	return 0;
}

/*
 * Joins a node (pid "0": the caller) to cgroup dir j of its spec: the dir
 * when it exists, else its parent unless the launcher is in it already.
 */
int join_node_cgroup(const struct node_spec *s, int j, const char *pid)
{
	char parent[NL_PATH_MAX];
	if (s->cg_mode[j] == CG_CLONE || s->cg_mode[j] == CG_DONE)
		return 0;
	if (join_cgroup(s->cg[j], pid) == 0)
		return 0;
	if (nl_err.errnum != ENOENT)
		return -1;
	if (s->cg_mode[j] == CG_OWN_ONLY)
		return 0;
	return join_cgroup(parent_of(s->cg[j], parent), pid);
}


/* A loaded devices program per distinct list of rules (a lab has one list, or a few). */
static struct { const char *rules; int fd; } progs[64];
static int nprogs;

static int program_for(const char *rules)
{
	for (int i = 0; i < nprogs; i++)
		if (!strcmp(progs[i].rules, rules))
			return progs[i].fd;
	if (nprogs == (int)(sizeof progs / sizeof progs[0]))
		return failx("devices programs", "more than 64 different device lists in one start", E2BIG);
	int fd = device_program_load(rules);
	if (fd < 0)
		return -1;
	progs[nprogs].rules = rules;
	progs[nprogs++].fd = fd;
	return fd;
}

/* A list holding "a *:* rwm" allows every device: no program at all (the way out where the kernel has no cgroup BPF). */
static bool allows_all(const char *rules)
{
	for (const char *p = rules; (p = strstr(p, "a *:* rwm")); p++)
		if ((p == rules || p[-1] == ',') && (p[9] == 0 || p[9] == ','))
			return true;
	return false;
}

/*
 * The devices allow-list on cgroup2 (devices.c): one program per lab, attached
 * to the lab's directory above the nodes' own (a node cannot reach it from its
 * cgroup namespace), loaded once however many nodes the lab has. When the
 * lab's nodes have different lists, the lab's program allows their union and
 * each node's own directory gets its own list too (the kernel asks every
 * program on the way up: both must allow). Runs in the launcher before any
 * node is cloned into its directory.
 */
int plan_device_programs(struct node_spec *specs, int nspecs)
{
	char lab[NL_PATH_MAX];
	for (int i = 0; i < nspecs; i++) {
		struct node_spec *s = &specs[i];
		if (!s->devices || s->cg_fd > -2 || s->dev_prog != -1)
			continue; /* no list, no cgroup2 dir, or its lab is done */
		parent_of(s->cg[-2 - s->cg_fd], lab);
		/* the lab's nodes: the same list for all of them, or their union */
		size_t len = 0;
		bool mixed = false;
		for (int k = i; k < nspecs; k++) {
			struct node_spec *o = &specs[k];
			char other[NL_PATH_MAX];
			if (!o->devices || o->cg_fd > -2 || o->dev_prog != -1 || strcmp(parent_of(o->cg[-2 - o->cg_fd], other), lab))
				continue;
			mixed |= strcmp(o->devices, s->devices) != 0;
			len += strlen(o->devices) + 1;
			o->dev_prog = -2; /* this lab's: done below */
		}
		char *rules = (char *)s->devices;
		if (mixed) {
			rules = malloc(len + 1);
			if (!rules)
				return failx("devices program", lab, ENOMEM);
			rules[0] = 0;
			for (int k = i; k < nspecs; k++) {
				struct node_spec *o = &specs[k];
				if (o->dev_prog != -2 || strstr(rules, o->devices))
					continue;
				if (rules[0] && o->devices[0])
					strcat(rules, ",");
				strcat(rules, o->devices);
			}
		}
		if (!allows_all(rules)) {
			int prog = program_for(rules);
			if (prog < 0)
				return -1;
			int dir = open(lab, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dir < 0)
				return fail("open cgroup", lab);
			int r = device_program_attach(prog, dir, lab);
			close(dir);
			if (r < 0)
				return -1;
		}
		for (int k = i; k < nspecs; k++) {
			struct node_spec *o = &specs[k];
			if (o->dev_prog != -2)
				continue;
			o->dev_prog = -3; /* done; -1 again below unless it needs its own */
			if (mixed && strcmp(o->devices, rules) && !allows_all(o->devices) && (o->dev_prog = program_for(o->devices)) < 0)
				return -1;
		}
	}
	for (int i = 0; i < nspecs; i++)
		if (specs[i].dev_prog < -1)
			specs[i].dev_prog = -1;
	return 0;
}
