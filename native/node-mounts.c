/*
 * Mounts inside the node after pivot_root, one step per function: masked /proc
 * and /sys paths, /proc/sys read-only but for net, the user's binds, the
 * devpts instance. Each
 * returns 0 or -1 with nl_err naming the step, the path and the errno.
 */
#include "init.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A private devpts instance, so the node's ptys are its own (devpts(5)
 * "newinstance"); /dev/ptmx is a symlink to its ptmx. Mounted by the node's
 * root: in a user namespace gid 5 (tty) of the host is not mapped.
 */
int mount_devpts(bool userns)
{
	const char *opts = userns ? "newinstance,ptmxmode=0666,mode=0620" : "newinstance,ptmxmode=0666,mode=0620,gid=5";
	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, opts) < 0)
		return fail("mount devpts", "/dev/pts");
	return 0;
}

/*
 * What OCI runtimes mask or make read-only by default (runc/containerd's
 * default spec): kernel internals a container has no business reading or
 * triggering. Files are covered with /dev/null, directories with an empty
 * read-only tmpfs.
 */
enum mask_kind { MASK, READONLY };
static const struct { const char *path; enum mask_kind kind; } masks[] = {
	{ "/proc/acpi", MASK }, { "/proc/asound", MASK }, { "/proc/kcore", MASK },
	{ "/proc/keys", MASK }, { "/proc/latency_stats", MASK }, { "/proc/timer_list", MASK },
	{ "/proc/timer_stats", MASK }, { "/proc/sched_debug", MASK }, { "/proc/scsi", MASK },
	{ "/sys/firmware", MASK }, { "/sys/devices/virtual/powercap", MASK },
	{ "/proc/bus", READONLY }, { "/proc/fs", READONLY }, { "/proc/irq", READONLY },
	{ "/proc/sysrq-trigger", READONLY },
};
#define NMASKS (sizeof masks / sizeof masks[0])

void probe_masks(void)
{
	struct stat st;
	for (size_t i = 0; i < NMASKS; i++)
		if (stat(masks[i].path, &st) == 0)
			host_facts.mask_exists |= 1u << i;
}

static int remount_ro(const char *path, unsigned long keep)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail("bind", path);
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
		return fail("remount read-only", path);
	return 0;
}

/*
 * Masks the paths under /proc (which) or /sys; see the table. *empty is the
 * first masked directory, whose read-only tmpfs every later one binds: one
 * tmpfs superblock a node, not one per directory (each superblock is work
 * again when the node exits: shrink_dcache_for_umount, kill_litter_super).
 */
static int mask(const char *which, const char **empty)
{
	struct stat st;
	for (size_t i = 0; i < NMASKS; i++) {
		if (!(host_facts.mask_exists & (1u << i)) || strncmp(masks[i].path, which, strlen(which)))
			continue;
		const char *p = masks[i].path;
		if (masks[i].kind == READONLY) {
			if (remount_ro(p, MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0)
				return -1;
			continue;
		}
		if (stat(p, &st) < 0)
			continue; /* not in this node's /proc or /sys */
		if (!S_ISDIR(st.st_mode)) {
			if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0)
				return fail("mask with /dev/null", p);
		} else if (!*empty) {
			if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  "size=4k,nr_inodes=1,mode=555") < 0)
				return fail("mask with tmpfs", p);
			*empty = p;
		} else if (mount(*empty, p, NULL, MS_BIND, NULL) < 0) {
			return fail("mask with tmpfs", p);
		}
	}
	return 0;
}

/*
 * The masks of /proc and /sys. In a user namespace they are made before the
 * node enters it, and so locked: the node cannot unmount them (nor the /sys
 * below, which shows only the node's own network namespace).
 */
int mask_paths(void)
{
	const char *empty = NULL;
	return mask("/proc/", &empty) < 0 || mask("/sys/", &empty) < 0 ? -1 : 0;
}

/*
 * /proc/sys read-only except /proc/sys/net, which belongs to the node's network
 * namespace: writes to kernel.*, vm.*, fs.* are refused (EROFS), net.* work.
 */
int proc_sys_readonly(void)
{
	const unsigned long keep = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (remount_ro("/proc/sys", keep) < 0)
		return -1;
	if (mount("/proc/sys/net", "/proc/sys/net", NULL, MS_BIND, NULL) < 0)
		return fail("bind", "/proc/sys/net");
	if (mount(NULL, "/proc/sys/net", NULL, MS_BIND | MS_REMOUNT | keep, NULL) < 0)
		return fail("remount read-write", "/proc/sys/net");
	return 0;
}

/*
 * Creates `path` and any missing parent, each owned by uid:gid (the node's
 * root: in a user namespace, host root's new directories would appear owned
 * by nobody). Existing directories are left as they are.
 */
static int make_dirs(const char *path, uid_t uid, gid_t gid)
{
	char tmp[NL_PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != 0)
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(tmp, 0755) == 0) {
			if ((uid || gid) && lchown(tmp, uid, gid) < 0)
				return fail("chown bind target", tmp);
		} else if (errno != EEXIST) {
			return fail("mkdir", tmp);
		}
		*p = c;
		if (c == 0)
			return 0;
	}
}

/* Creates the mount point for a bind: a directory, or an empty file for a file source. */
static int make_target(const char *dst, bool dir, uid_t uid, gid_t gid)
{
	if (dir)
		return make_dirs(dst, uid, gid);
	char parent[NL_PATH_MAX];
	snprintf(parent, sizeof parent, "%s", dst);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		if (make_dirs(parent, uid, gid) < 0)
			return -1;
	}
	int fd = open(dst, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && errno != EEXIST && errno != EISDIR)
		return fail("create bind target", dst);
	if (fd >= 0) {
		int r = (uid || gid) && fchown(fd, uid, gid) < 0 ? fail("chown bind target", dst) : 0;
		close(fd);
		return r;
	}
	return 0;
}

int mount_binds(const struct node_spec *s, const int *fds)
{
	for (int i = 0; i < s->nbinds; i++) {
		const struct bind_spec *b = &s->binds[i];
		struct stat st;
		if (fstat(fds[i], &st) < 0)
			return fail("stat bind source", b->src);
		/* Paths resolve inside the node's root now: a symlink cannot lead out of it. */
		if (make_target(b->dst, S_ISDIR(st.st_mode), s->uidmap ? s->root_uid : 0, s->uidmap ? s->root_gid : 0) < 0)
			return -1;
		if (b->ro) {
			struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
			if (mount_setattr(fds[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
				return fail("mount_setattr read-only", b->src);
		}
		if (move_mount(fds[i], "", AT_FDCWD, b->dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return fail("bind", b->dst);
	}
	return 0;
}
