/*
 * The node's root filesystem, one step per function (after crun's linux.c).
 * Everything is built on detached mounts (fsopen/fsmount, kernel >= 5.2), so
 * no mount point is needed on the host and nothing of a node is on its disk:
 *
 *   make_node_tmpfs   a private tmpfs: upper/ (with etc/hostname and the
 *                     lab's seed files) and work/ of the overlay
 *   make_overlay      lower = the lab's skeleton (skeleton.c) over the spec's
 *                     lower dirs; moved onto "/" of the node's mount namespace
 *   mount_proc_sys    /proc and a read-only /sys inside it
 *   pivot_into_root   pivot_root(".", ".") and detach the host's tree
 *
 * Creating and removing a few directories per node on an ext4 /run cost ~0.6
 * ms a node; a tmpfs costs a few µs. A node's changes live in memory charged
 * to its cgroup, as they would on the tmpfs /run of most hosts. proc and sysfs
 * are mounted before the old root goes because a user namespace may mount them
 * only while a fully visible instance is in its mount namespace
 * (mount_too_revealing(), fs/namespace.c). Each step returns 0 (or an fd) or
 * -1 with nl_err naming the step, the path and the errno.
 */
#include "init.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct host_facts host_facts;

/*
 * A detached tmpfs: fsopen + fsconfig + fsmount. Returns its root fd. With a
 * size (bytes), writing beyond it fails with ENOSPC, and it holds at most one
 * inode per 4 KiB of it (nr_inodes; at least 4096): empty files cost kernel
 * memory too (tmpfs(5)).
 */
int detached_tmpfs(const char *mode, const char *size, unsigned attrs, const char *what)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail("fsopen tmpfs", what);
	char inodes[32];
	if (size) {
		unsigned long long n = strtoull(size, NULL, 10) / 4096;
		snprintf(inodes, sizeof inodes, "%llu", n < 4096 ? 4096 : n);
	}
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
	    (size && (fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
		      fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", inodes, 0) < 0)) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		close(fs);
		return fail("create tmpfs", what);
	}
	int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	close(fs);
	if (m < 0)
		return fail("fsmount tmpfs", what);
	return m;
}

/* Seed files keep their owners as ids inside the node: shifted into a user namespace's range. */
static unsigned shift_uid, shift_gid;

/*
 * Files the lab wrote for this node before it started (e.g. /etc/frr/frr.conf
 * in <run>/upper): copied into the node's upper layer with their mode and
 * owner, directories and symlinks included.
 */
static int copy_tree(int from, int to, const char *where, int depth)
{
	if (depth > 32)
		return failx("copy seed files", where, ELOOP);
	DIR *d = fdopendir(from);
	if (!d)
		return fail("read seed files", where);
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		const char *n = e->d_name;
		struct stat st;
		if (!strcmp(n, ".") || !strcmp(n, "..") || fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(to, n, 0700) < 0 && errno != EEXIST) {
				r = fail("mkdir seed dir", n);
				break;
			}
			int a = openat(from, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			int b = openat(to, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (a < 0 || b < 0) {
				r = fail("open seed dir", n);
			} else {
				r = copy_tree(a, b, n, depth + 1); /* closes a */
				a = -1;
			}
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else if (S_ISREG(st.st_mode)) {
			int a = openat(from, n, O_RDONLY | O_CLOEXEC);
			int b = openat(to, n, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			char buf[65536];
			ssize_t k = 0;
			if (a >= 0 && b >= 0)
				while ((k = read(a, buf, sizeof buf)) > 0 && write_all(b, buf, (size_t)k) == 0)
					;
			if (a < 0 || b < 0 || k != 0)
				r = fail("copy seed file", n);
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else if (S_ISLNK(st.st_mode)) {
			char target[NL_PATH_MAX];
			ssize_t k = readlinkat(from, n, target, sizeof target - 1);
			if (k < 0 || (target[k] = 0, symlinkat(target, to, n)) < 0)
				r = fail("copy seed symlink", n);
		} else {
			continue;
		}
		if (r == 0 && fchownat(to, n, st.st_uid + shift_uid, st.st_gid + shift_gid, AT_SYMLINK_NOFOLLOW) < 0)
			r = fail("chown seed file", n);
		if (r == 0 && !S_ISLNK(st.st_mode) && fchmodat(to, n, st.st_mode & 07777, 0) < 0)
			r = fail("chmod seed file", n);
	}
	closedir(d);
	return r;
}

static int copy_seed(const struct node_spec *s, int upper)
{
	char p[NL_PATH_MAX];
	if (path_join(p, s->run, "upper") < 0)
		return -1;
	int from = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0)
		return errno == ENOENT ? 0 : fail("open seed files", p);
	shift_uid = s->uidmap ? s->root_uid : 0;
	shift_gid = s->uidmap ? s->root_gid : 0;
	return copy_tree(from, upper, p, 0);
}

int make_node_tmpfs(const struct node_spec *s)
{
	int t = detached_tmpfs("755", s->upper_size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, s->name);
	if (t < 0)
		return -1;
	static const char *const dirs[] = { "upper", "work", "upper/etc" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (mkdirat(t, dirs[i], 0755) < 0)
			goto fail_mkdir;
	char line[300];
	snprintf(line, sizeof line, "%s\n", s->name);
	int fd = openat(t, "upper/etc/hostname", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, line, strlen(line)) < 0) {
		fail("write", "/etc/hostname");
		goto fail;
	}
	close(fd);
	/* User namespace: the node's root owns /etc (new files there are its) and /root. */
	if (s->uidmap && (mkdirat(t, "upper/root", 0700) < 0 || fchownat(t, "upper/etc", s->root_uid, s->root_gid, 0) < 0 ||
			  fchownat(t, "upper/root", s->root_uid, s->root_gid, 0) < 0 ||
			  fchownat(t, "upper/etc/hostname", s->root_uid, s->root_gid, 0) < 0)) {
		fail("chown for the user namespace", "/etc");
		goto fail;
	}
	if (s->run) {
		int upper = openat(t, "upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int r = upper < 0 ? fail("open", "upper") : copy_seed(s, upper);
		if (upper >= 0)
			close(upper);
		if (r < 0)
			goto fail;
	}
	return t;
fail_mkdir:
	fail("mkdir", "node tmpfs");
fail:
	close(t);
	return -1;
}

/* Appends a path to a lowerdir list, escaping ':' and '\\' (overlayfs.rst); ',' is refused. */
static int append_lower(char *out, size_t cap, size_t *len, const char *path)
{
	if (*len && *len + 1 < cap)
		out[(*len)++] = ':';
	for (const char *c = path; *c; c++) {
		if (*c == ',')
			return failx("lower dir with a comma", path, EINVAL);
		if (*len + 3 >= cap)
			return failx("lowerdir", path, ENAMETOOLONG);
		if (*c == ':' || *c == '\\')
			out[(*len)++] = '\\';
		out[(*len)++] = *c;
	}
	out[*len] = 0;
	return 0;
}

static int set_opt(int fs, const char *key, const char *value)
{
	if (fsconfig(fs, FSCONFIG_SET_STRING, key, value, 0) < 0)
		return fail("overlay option", key);
	return 0;
}

/*
 * Linux >= 6.8 takes lower dirs one by one ("lowerdir+", each path up to a
 * page): image layers of any number and length. Returns 0, -1 on error, or 1
 * when the kernel does not know "lowerdir+" (nothing was set).
 */
static int lowers_one_by_one(int fs, const char *skel, const struct node_spec *s)
{
	/* Tests take the path of kernels before 6.8 on a newer one. */
	if (getenv("NETLAB_TEST_NO_LOWERDIR_PLUS"))
		return 1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", skel, 0) < 0)
		return errno == EINVAL ? 1 : fail("overlay option lowerdir+", skel);
	for (int i = 0; i < s->nlower; i++)
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", s->lower[i], 0) < 0)
			return fail("overlay option lowerdir+", s->lower[i]);
	return 0;
}

/*
 * Older kernels take one "lowerdir" string, and fsconfig(2) takes strings of
 * at most 255 bytes (strndup_user(value, 256), fs/fsopen.c). When the full
 * paths do not fit and every lower dir is in one folder (an image's layers
 * in the store), the names are given relative to that folder, made the
 * working directory: overlayfs resolves them against it (and pivot_root
 * changes it afterwards anyway).
 */
static int lowers_as_string(const char *skel, const struct node_spec *s, char *lower, size_t cap)
{
	size_t len = 0;
	lower[0] = 0;
	if (append_lower(lower, cap, &len, skel) < 0)
		return -1;
	for (int i = 0; i < s->nlower; i++)
		if (append_lower(lower, cap, &len, s->lower[i]) < 0)
			return -1;
	if (len < 256)
		return 0;
	const char *slash = strrchr(s->lower[0], '/');
	size_t plen = slash ? (size_t)(slash - s->lower[0]) : 0;
	for (int i = 0; i < s->nlower; i++)
		if (!plen || strncmp(s->lower[i], s->lower[0], plen) || s->lower[i][plen] != '/' || strchr(s->lower[i] + plen + 1, '/'))
			return failx("lowerdir (this kernel takes at most 255 bytes of lower dirs; Linux 6.8 takes any number)", lower, ENAMETOOLONG);
	char parent[NL_PATH_MAX];
	snprintf(parent, sizeof parent, "%.*s", (int)plen, s->lower[0]);
	if (chdir(parent) < 0)
		return fail("chdir to the layers", parent);
	len = 0;
	if (append_lower(lower, cap, &len, skel) < 0)
		return -1;
	for (int i = 0; i < s->nlower; i++)
		if (append_lower(lower, cap, &len, s->lower[i] + plen + 1) < 0)
			return -1;
	if (len >= 256)
		return failx("lowerdir (this kernel takes at most 255 bytes of lower dirs: too many image layers; Linux 6.8 takes any number)", lower, ENAMETOOLONG);
	return 0;
}

int make_overlay(const struct node_spec *s, int tmpfs, int skel_fd)
{
	char lower[4096], skel[96], p[96];
	lower[0] = 0;
	snprintf(skel, sizeof skel, "/proc/self/fd/%d/%s", skel_fd, s->skeleton);
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail("fsopen overlay", "overlayfs (CONFIG_OVERLAY_FS)");
	int r = lowers_one_by_one(fs, skel, s);
	if (r == 1)
		r = lowers_as_string(skel, s, lower, sizeof lower) < 0 ? -1 : set_opt(fs, "lowerdir", lower);
	else
		snprintf(lower, sizeof lower, "%s:%s%s", skel, s->lower[0], s->nlower > 1 ? ":…" : "");
	snprintf(p, sizeof p, "/proc/self/fd/%d/upper", tmpfs);
	if (r == 0)
		r = set_opt(fs, "upperdir", p);
	snprintf(p, sizeof p, "/proc/self/fd/%d/work", tmpfs);
	if (r == 0)
		r = set_opt(fs, "workdir", p);
	if (r == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		/* the kernel says why in the fs context's log (fsopen(2)): "e overlayfs: ..." */
		int e = errno;
		char msg[512];
		ssize_t n = read(fs, msg, sizeof msg - 1);
		msg[n > 0 ? n : 0] = 0;
		char obj[NL_PATH_MAX];
		snprintf(obj, sizeof obj, "%s%s%s", lower, n > 0 ? " — " : "", n > 2 ? msg + 2 : "");
		r = failx("mount overlay", obj, e);
	}
	int m = r == 0 ? fsmount(fs, FSMOUNT_CLOEXEC, 0) : -1;
	if (r == 0 && m < 0)
		fail("fsmount overlay", s->name);
	close(fs);
	if (m < 0)
		return -1;
	/* Stacked on "/" of the node's mount namespace: pivot_root needs it attached. */
	if (move_mount(m, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		fail("move_mount overlay", "/");
		close(m);
		return -1;
	}
	return m;
}

/* Mounts `type` on `dir` of the overlay (through /proc/self/fd), creating the dir if needed. */
static int mount_in(int root, const char *dir, const char *type, unsigned long flags)
{
	char p[96];
	snprintf(p, sizeof p, "/proc/self/fd/%d/%s", root, dir);
	if (mount(type, p, type, flags, NULL) == 0)
		return 0;
	if (errno == ENOENT && mkdirat(root, dir, 0555) == 0 && mount(type, p, type, flags, NULL) == 0)
		return 0;
	return fail(!strcmp(type, "proc") ? "mount proc" : "mount sysfs", dir);
}

int mount_proc_sys(int root)
{
	if (mount_in(root, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0)
		return -1;
	/* sysfs shows the network devices of the mounter's network namespace. */
	return mount_in(root, "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
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

int pivot_into_root(int root)
{
	if (fchdir(root) < 0)
		return fail("fchdir", "overlay root");
	/* pivot_root(".", "."): the old root ends up stacked on the new one; detach it (pivot_root(2)). */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail("pivot_root", "overlay root");
	if (umount2(".", MNT_DETACH) < 0)
		return fail("umount2 old root", "/");
	if (chdir("/") < 0)
		return fail("chdir", "/");
	return 0;
}
