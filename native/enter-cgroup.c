/*
 * Which cgroups a command entering a node joins: exactly those of the node's
 * PID 1, read from /proc/PID/cgroup (cgroups(7): "hierarchy-ID:controllers:path",
 * paths relative to our own cgroup namespace root, the host's), each located
 * through the cgroup mounts of /proc/self/mountinfo (proc(5)) the way runc and
 * crun find them. The fds are opened before setns(mnt) hides the host's tree.
 *
 * v1 hierarchies are joined by writing "0" to `tasks`: moving the calling
 * thread itself skips the global cgroup_threadgroup_rwsem that a write to
 * cgroup.procs takes for writing (cgroup_procs_write_start(), kernel/cgroup/
 * cgroup.c), whose first use after a quiet spell waits a whole RCU grace
 * period (~10 ms measured here). The unified (v2) cgroup is entered at birth
 * with clone3(CLONE_INTO_CGROUP), which needs no migration at all.
 */
#include "enter.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cg_mount {
	char *point;    /* mount point */
	char *opts;     /* super options, e.g. "rw,cpu,cpuacct" */
	bool v2;
};

static int read_mounts(struct cg_mount *m, int max)
{
	static char buf[1 << 17];
	if (read_file("/proc/self/mountinfo", buf, sizeof buf) < 0)
		return -1;
	int n = 0;
	for (char *line = strtok(buf, "\n"); line && n < max; line = strtok(NULL, "\n")) {
		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		char *f[6] = { 0 }, *save = NULL, *tok = strtok_r(line, " ", &save);
		for (int i = 0; i < 6 && tok; i++, tok = strtok_r(NULL, " ", &save))
			f[i] = tok;
		while (tok && strcmp(tok, "-"))
			tok = strtok_r(NULL, " ", &save);
		char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
		char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
		char *super = source ? strtok_r(NULL, " ", &save) : NULL;
		if (!super || !f[4] || strcmp(f[3], "/"))
			continue;
		if (!strcmp(fstype, "cgroup2"))
			m[n++] = (struct cg_mount){ f[4], super, true };
		else if (!strcmp(fstype, "cgroup"))
			m[n++] = (struct cg_mount){ f[4], super, false };
	}
	return n;
}

/* Does a v1 mount's option list hold every controller of "cpu,cpuacct" / "name=systemd"? */
static bool has_controllers(const char *opts, const char *controllers)
{
	char want[256];
	snprintf(want, sizeof want, "%s", controllers);
	for (char *save = NULL, *c = strtok_r(want, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(c);
		const char *p = opts;
		bool found = false;
		while ((p = strstr(p, c))) {
			if ((p == opts || p[-1] == ',') && (p[len] == ',' || p[len] == 0)) {
				found = true;
				break;
			}
			p += len;
		}
		if (!found)
			return false;
	}
	return true;
}

/* A class name as src/shaping/classes.ts planClasses allows: [A-Za-z0-9][A-Za-z0-9_-]{0,47}; never a path. */
static bool class_name_ok(const char *cls)
{
	size_t n = strlen(cls);
	if (n == 0 || n > 48 || cls[0] == '-' || cls[0] == '_')
		return false;
	return strspn(cls, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/*
 * A traffic class (src/shaping/cgroups.ts): the cgroup `class-<cls>` under the
 * node's cgroup in a net_cls hierarchy (<mount>/netlab/<lab>/<node>/class-<cls>)
 * or, without net_cls, in the cgroup2 tree (below the node's cgroup2 dir).
 * NL_NO_CLASS when there is none.
 */
static int open_class(const struct cg_mount *m, int nm, const char *lab, const char *node, const char *cls,
		      int *fds, int *n, int max, int *v2_dir, const char *v2_path)
{
	char file[NL_PATH_MAX];
	if (!class_name_ok(cls))
		return NL_NO_CLASS;
	for (int i = 0; i < nm; i++) {
		if (m[i].v2 || !has_controllers(m[i].opts, "net_cls") || !lab || !node)
			continue;
		snprintf(file, sizeof file, "%s/netlab/%s/%s/class-%s/tasks", m[i].point, lab, node, cls);
		int fd = open(file, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && *n < max) {
			fds[(*n)++] = fd; /* after the node's own net_cls cgroup: the last write wins */
			return 0;
		}
		if (fd >= 0)
			close(fd);
	}
	if (v2_path[0]) {
		snprintf(file, sizeof file, "%s/class-%s", v2_path, cls);
		int fd = open(file, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			if (*v2_dir >= 0)
				close(*v2_dir);
			*v2_dir = fd;
			return 0;
		}
	}
	return NL_NO_CLASS;
}

int open_node_cgroups(pid_t pid, const char *lab, const char *node, const char *cls, int *fds, int max, int *v2_dir)
{
	char v2_path[NL_PATH_MAX] = "";
	*v2_dir = -1;
	struct cg_mount mounts[64];
	int nm = read_mounts(mounts, 64);
	if (nm < 0)
		return -1;
	char path[64], buf[8192];
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return -1;
	/* Cgroups we are in already are not joined again (a rootless node stays in its user's cgroups, which the user may not write). */
	char self[8192];
	if (read_file("/proc/self/cgroup", self, sizeof self) < 0)
		self[0] = 0;
	int n = 0;
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t ll = strlen(line);
		for (const char *at = self; (at = strstr(at, line)); at += ll)
			if ((at == self || at[-1] == '\n') && (at[ll] == '\n' || at[ll] == 0))
				goto next;
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		const char *controllers = c1 + 1, *cgpath = c2 + 1;
		bool v2 = controllers[0] == 0;
		const struct cg_mount *m = NULL;
		for (int i = 0; i < nm && !m; i++)
			if (mounts[i].v2 == v2 && (v2 || has_controllers(mounts[i].opts, controllers)))
				m = &mounts[i];
		if (!m)
			continue; /* a hierarchy that is not mounted here */
		char file[NL_PATH_MAX];
		int len = snprintf(file, sizeof file, "%s%s%s", m->point, strcmp(cgpath, "/") ? cgpath : "", v2 ? "" : "/tasks");
		if (len >= (int)sizeof file)
			return failx("path", file, ENAMETOOLONG);
		if (v2) {
			if ((*v2_dir = open(file, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
				return fail("open cgroup", file);
			snprintf(v2_path, sizeof v2_path, "%s", file);
			continue;
		}
		int fd = open(file, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return fail("open cgroup", file);
		fds[n++] = fd;
next:;
	}
	if (cls) {
		int r = open_class(mounts, nm, lab, node, cls, fds, &n, max, v2_dir, v2_path);
		if (r < 0)
			return r;
	}
	return n;
}
