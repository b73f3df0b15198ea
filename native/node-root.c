/*
 * The node's root filesystem, one step per function (after crun's linux.c):
 * a private tmpfs holding the overlay's upper and work dirs, the overlay root
 * (the lab's skeleton layer over the lower dirs), /proc, /sys, pivot_root. Each returns 0 or -1 with nl_err naming the
 * step, the path and the errno. node-mounts.c does what follows the pivot.
 *
 * proc and sysfs are mounted before the old root goes because a user
 * namespace may mount them only while a fully visible instance exists in its
 * mount namespace (mount_too_revealing(), fs/namespace.c).
 */
#include "init.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct host_facts host_facts;

/* Mounts `type` at `target`, creating the directory once if it is missing. */
static int mount_at(const char *src, const char *target, const char *type, unsigned long flags,
		    const char *data, const char *step)
{
	if (mount(src, target, type, flags, data) == 0)
		return 0;
	if (errno == ENOENT && mkdir_p(target, 0755) == 0 && mount(src, target, type, flags, data) == 0)
		return 0;
	return fail(step, target);
}

/*
 * The node's private tmpfs, mounted in its own mount namespace on <run>/node,
 * a directory of the launcher's tmpfs (skeleton.c): upper/ and work/ of the
 * overlay, root/ where it is mounted, and upper/etc/hostname. Nothing of a node
 * is on the host's disk: creating and removing a few directories per node on
 * ext4 cost ~0.6 ms a node, on tmpfs a few µs. The node's changes live in
 * memory charged to its cgroup, as they would on the tmpfs /run of most hosts.
 * In a user namespace the tmpfs belongs to the node's root: no chown needed.
 */
int mount_node_tmpfs(const struct node_spec *s)
{
	char p[NL_PATH_MAX];
	if (path_join(p, s->run, "node") < 0)
		return -1;
	if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0)
		return fail("mount tmpfs", p);
	int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail("open", p);
	static const char *const dirs[] = { "upper", "work", "root", "upper/etc" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (mkdirat(dfd, dirs[i], 0755) < 0) {
			close(dfd);
			return fail("mkdir", dirs[i]);
		}
	char line[300];
	snprintf(line, sizeof line, "%s\n", s->name);
	int fd = openat(dfd, "upper/etc/hostname", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(dfd);
	if (fd < 0 || write_all(fd, line, strlen(line)) < 0)
		return fail("write", "/etc/hostname");
	close(fd);
	return 0;
}

/* Appends `path` to the overlay option string, escaping ',', ':' and '\'. */
static int append_escaped(char *opts, size_t cap, size_t *len, const char *path)
{
	for (const char *c = path; *c; c++) {
		if (*len + 3 >= cap)
			return failx("mount overlay", path, ENAMETOOLONG);
		if (*c == ',' || *c == ':' || *c == '\\')
			opts[(*len)++] = '\\';
		opts[(*len)++] = *c;
	}
	opts[*len] = 0;
	return 0;
}

static int append(char *opts, size_t cap, size_t *len, const char *text)
{
	size_t n = strlen(text);
	if (*len + n + 1 >= cap)
		return failx("mount overlay", text, ENAMETOOLONG);
	memcpy(opts + *len, text, n + 1);
	*len += n;
	return 0;
}

/* lowerdir = the lab's skeleton layer (skeleton.c), then the spec's lower dirs. */
int mount_root(const struct node_spec *s)
{
	char opts[4096], p[NL_PATH_MAX];
	size_t len = 0;
	opts[0] = 0;
	if (append(opts, sizeof opts, &len, "lowerdir=") < 0 || append_escaped(opts, sizeof opts, &len, s->skeleton) < 0)
		return -1;
	for (int i = 0; i < s->nlower; i++) {
		if (append(opts, sizeof opts, &len, ":") < 0)
			return -1;
		if (append_escaped(opts, sizeof opts, &len, s->lower[i]) < 0)
			return -1;
	}
	if (path_join(p, s->run, "node/upper") < 0 || append(opts, sizeof opts, &len, ",upperdir=") < 0 ||
	    append_escaped(opts, sizeof opts, &len, p) < 0)
		return -1;
	if (path_join(p, s->run, "node/work") < 0 || append(opts, sizeof opts, &len, ",workdir=") < 0 ||
	    append_escaped(opts, sizeof opts, &len, p) < 0)
		return -1;
	/* In a user namespace overlayfs may not use trusted.* xattrs (kernel >= 5.11). */
	if (s->uidmap && append(opts, sizeof opts, &len, ",userxattr") < 0)
		return -1;
	if (path_join(p, s->run, "node/root") < 0)
		return -1;
	if (mount("overlay", p, "overlay", 0, opts) < 0)
		return fail("mount overlay", p);
	return 0;
}

int mount_proc_sys(const struct node_spec *s)
{
	char root[NL_PATH_MAX], p[NL_PATH_MAX];
	if (path_join(root, s->run, "node/root") < 0 || path_join(p, root, "proc") < 0)
		return -1;
	if (mount_at("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "mount proc") < 0)
		return -1;
	if (path_join(p, root, "sys") < 0)
		return -1;
	/* sysfs shows the network devices of the mounter's network namespace. */
	return mount_at("sysfs", p, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "mount sysfs");
}

/* Detached copies of the bind sources, taken while the host's tree is still reachable. */
int open_bind_sources(const struct node_spec *s, int *fds)
{
	for (int i = 0; i < s->nbinds; i++) {
		fds[i] = open_tree(AT_FDCWD, s->binds[i].src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fds[i] < 0)
			return fail("open_tree bind source", s->binds[i].src);
	}
	return 0;
}

/* User namespace: device nodes of the skeleton do not open in a user
 * namespace's overlay (SB_I_NODEV), so the host's own are bind-mounted. */
int open_host_devices(int *fds)
{
	char p[64];
	for (int i = 0; i < NL_NDEVICES; i++) {
		snprintf(p, sizeof p, "/dev/%s", device_name(i));
		fds[i] = open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fds[i] < 0 && errno != ENOENT)
			return fail("open_tree", p);
	}
	return 0;
}

int pivot_into_root(const struct node_spec *s)
{
	char root[NL_PATH_MAX];
	if (path_join(root, s->run, "node/root") < 0)
		return -1;
	if (chdir(root) < 0)
		return fail("chdir", root);
	/* pivot_root(".", "."): the old root ends up stacked on the new one; detach it (pivot_root(2)). */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail("pivot_root", root);
	if (umount2(".", MNT_DETACH) < 0)
		return fail("umount2 old root", root);
	if (chdir("/") < 0)
		return fail("chdir", "/");
	return 0;
}

