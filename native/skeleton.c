/*
 * The launcher's side of the nodes' filesystems: one detached tmpfs (no mount
 * point anywhere; its fd is inherited by every node) holding
 *   skel/      the skeleton layer, the top lower layer of every node: dev/
 *              (opaque: device nodes, pts/, shm/, net/tun, the usual symlinks).
 * Built once per start instead of once per node (≈25 syscalls a node saved),
 * and copied up into a node's upper layer only when that node writes there.
 * An opaque directory hides what the layers below hold at its path
 * (Documentation/filesystems/overlayfs.rst, "whiteouts and opaque directories").
 * Everything a node's root must own (/etc/hosts, /run, /tmp, /dev/console) is
 * in the node's own upper layer instead (node-root.c): the skeleton belongs to
 * host root, and in a user namespace it appears owned by nobody.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct dev_node {
	const char *name;
	unsigned major, minor;
};
static const struct dev_node devices[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 },
	{ "urandom", 1, 9 }, { "tty", 5, 0 }, { "net/tun", 10, 200 },
};
_Static_assert(sizeof devices / sizeof devices[0] == NL_NDEVICES, "NL_NDEVICES");

const char *device_name(int i)
{
	return devices[i].name;
}

static int mkdir_at(int dfd, const char *path, mode_t mode)
{
	if (mkdirat(dfd, path, mode) < 0)
		return fail("mkdir", path);
	return 0;
}

static int mkdir_opaque(int dfd, const char *path, mode_t mode)
{
	if (mkdir_at(dfd, path, mode) < 0)
		return -1;
	int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	int r = fsetxattr(fd, overlay_opaque_xattr(), "y", 1, 0);
	close(fd);
	return r < 0 ? fail("setxattr overlay.opaque", path) : 0;
}

int make_skeleton(int tmpfs, const char *dir)
{
	if (mkdirat(tmpfs, dir, 0755) < 0)
		return fail("mkdir", dir);
	int dfd = openat(tmpfs, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail("open", dir);
	int r = -1;
	if (mkdir_opaque(dfd, "dev", 0755) < 0 || mkdir_at(dfd, "dev/net", 0755) < 0 ||
	    mkdir_at(dfd, "dev/pts", 0755) < 0 || mkdir_at(dfd, "dev/shm", 01777) < 0)
		goto out;
	char p[64];
	/* A user namespace may not mknod (rootless): the host's device nodes are then bound in, as binds of the node (docs/rootless.md). */
	for (int i = 0; i < NL_NDEVICES && !host_facts.in_userns; i++) {
		snprintf(p, sizeof p, "dev/%s", devices[i].name);
		if (mknodat(dfd, p, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) < 0) {
			fail("mknod", p);
			goto out;
		}
	}
	static const char *const links[][2] = {
		{ "/proc/self/fd", "dev/fd" }, { "/proc/self/fd/0", "dev/stdin" }, { "/proc/self/fd/1", "dev/stdout" },
		{ "/proc/self/fd/2", "dev/stderr" }, { "pts/ptmx", "dev/ptmx" },
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlinkat(links[i][0], dfd, links[i][1]) < 0) {
			fail("symlink", links[i][1]);
			goto out;
		}
	r = 0;
out:
	close(dfd);
	return r;
}

/* Does the first lower layer that has var/run hold a directory there (not the usual symlink)? */
bool var_run_is_dir(const struct node_spec *s)
{
	char p[NL_PATH_MAX];
	struct stat st;
	for (int i = 0; i < s->nlower; i++) {
		if (path_join(p, s->lower[i], "var/run") < 0)
			return false;
		if (lstat(p, &st) == 0)
			return S_ISDIR(st.st_mode);
	}
	return false;
}

/*
 * Copies host folder src into tmpfs/dir, a layer of its own: files owned by
 * uid/gid (the node's root: as Kathará copies a device folder, without the
 * host's owners), modes kept.
 */
int copy_layer(int tmpfs, const char *dir, const char *src, unsigned uid, unsigned gid)
{
	int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return fail("open layer folder", src);
	struct stat st;
	if (fstat(sfd, &st) < 0 || mkdirat(tmpfs, dir, st.st_mode & 07777) < 0) {
		close(sfd);
		return fail("make layer", src);
	}
	int dfd = openat(tmpfs, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct copy_how how = { .uid = uid, .gid = gid };
	int r = dfd < 0 ? fail("open layer", dir) : copy_tree(sfd, dfd, src, &how);
	if (r == 0 && (uid || gid) && fchown(dfd, uid, gid) < 0)
		r = fail("chown layer", src);
	if (dfd >= 0)
		close(dfd);
	close(sfd);
	return r;
}
