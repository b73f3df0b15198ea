/*
 * The node's root filesystem, one step per function (after crun's linux.c).
 * Everything is built on detached mounts (fsopen/fsmount, kernel >= 5.2), so
 * no mount point is needed on the host and nothing of a node is on its disk:
 *
 *   make_node_tmpfs   a private tmpfs: upper/ (the node's /etc, /root, /run,
 *                     /tmp, /dev/console, /etc/hostname and /etc/hosts, and
 *                     the lab's seed files) and work/ of the overlay
 *   open_lower_layers the skeleton (skeleton.c: /dev) over the spec's lower
 *                     dirs, idmapped into a user namespace's ids
 *   make_overlay      moved onto "/" of the node's mount namespace
 *   mount_proc_sys    /proc and a read-only /sys inside it
 *   pivot_into_root   pivot_root(".", ".") and detach the host's tree
 *
 * Creating and removing a few directories per node on an ext4 /run cost ~0.6
 * ms a node; a tmpfs costs a few µs. A node's changes live in memory charged
 * to its cgroup, as they would on the tmpfs /run of most hosts. proc and sysfs
 * are mounted by host root before the node enters its user namespace, in the
 * node's own pid and network namespaces, so they are locked there and show
 * only the node's processes and network devices. Each step returns 0 (or an
 * fd) or -1 with nl_err naming the step, the path and the errno.
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
#include <sys/xattr.h>
#include <unistd.h>

struct host_facts host_facts;

const char *overlay_opaque_xattr(void)
{
	return host_facts.in_userns ? "user.overlay.opaque" : "trusted.overlay.opaque";
}

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

/*
 * Rootless on the host's root: a host folder the node's root may not search
 * (0750 of an id the user's namespace does not map) would make overlayfs
 * refuse every lookup in the merged folder (EACCES). A seed folder at such a
 * path ("/var/log/frr": rel is the path inside the node) then replaces it
 * (opaque) instead of merging with it.
 */
static int opaque_over_unsearchable(int dfd, const char *rel, void *arg)
{
	(void)arg;
	if (access(rel, F_OK) == 0 && access(rel, R_OK | X_OK) < 0 && fsetxattr(dfd, overlay_opaque_xattr(), "y", 1, 0) < 0)
		return fail("setxattr overlay.opaque", rel);
	return 0;
}

/*
 * Files the lab wrote for this node before it started (e.g. /etc/frr/frr.conf
 * in <run>/upper): copied into the node's upper layer (copy-tree.c), merged
 * with the folders fill_upper made, with their mode and owner (shifted into
 * the node's user namespace), directories and symlinks included.
 */
static int copy_seed(const struct node_spec *s, int upper)
{
	char p[NL_PATH_MAX];
	if (path_join(p, s->run, "upper") < 0)
		return -1;
	int from = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0)
		return errno == ENOENT ? 0 : fail("open seed files", p);
	bool check_host = host_facts.in_userns && s->nlower > 0 && !strcmp(s->lower[s->nlower - 1], "/");
	struct copy_how how = {
		.flags = COPY_MERGE | COPY_KEEP_OWNER,
		.uid = s->uidmap ? s->root_uid : 0,
		.gid = s->uidmap ? s->root_gid : 0,
		.on_dir = check_host ? opaque_over_unsearchable : NULL,
	};
	int r = copy_tree(from, upper, p, &how);
	close(from);
	return r;
}

/* Marks a directory of the tmpfs opaque: overlayfs then hides what the layers below hold there. */
static int make_opaque(int t, const char *dir)
{
	char p[96];
	snprintf(p, sizeof p, "/proc/self/fd/%d/%s", t, dir);
	if (lsetxattr(p, overlay_opaque_xattr(), "y", 1, 0) < 0)
		return fail("setxattr overlay.opaque", dir);
	return 0;
}

static int write_at(int t, const char *path, const char *data, size_t len)
{
	int fd = openat(t, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("create", path);
	int r = write_all(fd, data, len) < 0 ? fail("write", path) : 0;
	close(fd);
	return r;
}

/*
 * What every node's upper layer starts with: the node's "/" and the
 * directories its root owns (/etc, /root, an empty /run and /tmp, /dev for its
 * console), /etc/hostname, a copy of the lab's /etc/hosts (its own, so the
 * node's root may edit it), /dev/console (a FIFO PID 1 copies into the console
 * log) and, when the lower layer has a real /var/run directory, the usual
 * /var/run -> /run link. In a user namespace these belong to the node's root.
 */
static const struct { const char *path; mode_t mode; char type; } upper_entries[] = {
	{ "upper", 0755, 'd' },        { "upper/etc", 0755, 'd' },  { "upper/root", 0700, 'd' },
	{ "upper/run", 0755, 'o' },    { "upper/tmp", 01777, 'o' }, { "upper/dev", 0755, 'd' },
	{ "upper/dev/console", 0600, 'p' },
};
#define N_UPPER_ENTRIES (sizeof upper_entries / sizeof upper_entries[0])

static int fill_upper(const struct node_spec *s, int t)
{
	for (size_t i = 0; i < N_UPPER_ENTRIES; i++) {
		const char *p = upper_entries[i].path;
		mode_t mode = upper_entries[i].mode;
		int r = upper_entries[i].type == 'p' ? mknodat(t, p, S_IFIFO | mode, 0) : mkdirat(t, p, mode);
		if (r < 0)
			return fail(upper_entries[i].type == 'p' ? "mkfifo" : "mkdir", p);
		if (upper_entries[i].type == 'o' && make_opaque(t, p) < 0)
			return -1;
	}
	char line[300];
	int n = snprintf(line, sizeof line, "%s\n", s->name);
	if (write_at(t, "upper/etc/hostname", line, (size_t)n) < 0)
		return -1;
	if (s->hosts_text && write_at(t, "upper/etc/hosts", s->hosts_text, s->hosts_len) < 0)
		return -1;
	if (s->var_run && (mkdirat(t, "upper/var", 0755) < 0 || symlinkat("/run", t, "upper/var/run") < 0))
		return fail("symlink", "/var/run");
	/*
	 * Rootless: the host's files belong to ids the user's namespace does not map,
	 * and overlayfs cannot copy such a folder up (EOVERFLOW): writing in /var/tmp
	 * would fail. The folders programs write in are made in the upper layer, the
	 * node root's own (their lower contents still show through).
	 */
	static const struct { const char *path; mode_t mode; } writable[] = {
		{ "upper/var", 0755 }, { "upper/var/tmp", 01777 }, { "upper/var/log", 0755 }, { "upper/var/lib", 0755 },
		{ "upper/var/cache", 0755 }, { "upper/var/spool", 0755 }, { "upper/home", 0755 }, { "upper/opt", 0755 },
	};
	for (size_t i = 0; host_facts.in_userns && i < sizeof writable / sizeof writable[0]; i++)
		if (mkdirat(t, writable[i].path, writable[i].mode) < 0 && errno != EEXIST)
			return fail("mkdir", writable[i].path);
	if (!s->uidmap)
		return 0;
	static const char *const more[] = { "upper/etc/hostname", "upper/etc/hosts", "upper/var", "upper/var/run" };
	for (size_t i = 0; i < N_UPPER_ENTRIES + 4; i++) {
		const char *p = i < N_UPPER_ENTRIES ? upper_entries[i].path : more[i - N_UPPER_ENTRIES];
		if (fchownat(t, p, s->root_uid, s->root_gid, AT_SYMLINK_NOFOLLOW) < 0 && (i < N_UPPER_ENTRIES || errno != ENOENT))
			return fail("chown for the user namespace", p[5] ? p + 5 : "/");
	}
	return 0;
}

int make_node_tmpfs(const struct node_spec *s)
{
	int t = detached_tmpfs("755", s->upper_size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, s->name);
	if (t < 0)
		return -1;
	mode_t old = umask(0); /* exact modes: 1777 for /tmp */
	int r = mkdirat(t, "work", 0755) < 0 ? fail("mkdir", "node tmpfs") : fill_upper(s, t);
	umask(old);
	if (r == 0 && s->run) {
		int upper = openat(t, "upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = upper < 0 ? fail("open", "upper") : copy_seed(s, upper);
		if (upper >= 0)
			close(upper);
	}
	if (r < 0) {
		close(t);
		return -1;
	}
	return t;
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
 * The lower layers, top first: the lab's folders (a Kathará device folder,
 * the compat commands: launcher.c place_layers copied them into the
 * launcher's tmpfs, so a device folder's etc/hosts wins, as in Kathará), the
 * skeleton (/dev), then the spec's lower dirs. In a user namespace each lower
 * dir is a detached copy idmapped into the node's ids (when this kernel's
 * overlayfs takes idmapped layers), so the host's files belong to the node's
 * own root; paths[i] is then /proc/self/fd/N of the copy, and fds[] holds the
 * copies (the overlay keeps its own clones: the caller disposes of these).
 * The folders and the skeleton are the launcher's tmpfs, shared by every
 * node, and stay as they are. Sets *npaths; returns the number of fds.
 */
int open_lower_layers(const struct node_spec *s, int userns_fd, char **paths, int *npaths, int *fds)
{
	static char buf[NL_MAX_LAYERS][32];
	int nfds = 0, top = s->nlayer + 1;
	if (top + s->nlower > NL_MAX_LAYERS)
		return failx("lower layers", s->name, E2BIG);
	for (int i = 0; i < s->nlayer; i++) {
		snprintf(buf[i], sizeof buf[i], "/proc/self/fd/%d/%s", NL_SKELETON_FD, s->layer_dir[i]);
		paths[i] = buf[i];
	}
	snprintf(buf[top - 1], sizeof buf[top - 1], "/proc/self/fd/%d/%s", NL_SKELETON_FD, NL_SKELETON_DIR);
	paths[top - 1] = buf[top - 1];
	for (int i = 0; i < s->nlower; i++) {
		paths[top + i] = (char *)s->lower[i];
		if (userns_fd < 0 || !host_facts.idmap_layers)
			continue;
		int fd = open_layer(AT_FDCWD, s->lower[i], userns_fd, false, s->lower[i]);
		if (fd < 0) {
			while (nfds > 0)
				close(fds[--nfds]);
			return -1;
		}
		fds[nfds++] = fd;
		snprintf(buf[top + i], sizeof buf[top + i], "/proc/self/fd/%d", fd);
		paths[top + i] = buf[top + i];
	}
	*npaths = top + s->nlower;
	return nfds;
}

/*
 * Linux >= 6.8 takes lower dirs one by one ("lowerdir+", each path up to a
 * page): image layers of any number and length. Returns 0, -1 on error, or 1
 * when the kernel does not know "lowerdir+" (nothing was set).
 */
static int lowers_one_by_one(int fs, char *const *layers, int nlayers)
{
	/* Tests take the path of kernels before 6.8 on a newer one. */
	if (getenv("NETLAB_TEST_NO_LOWERDIR_PLUS"))
		return 1;
	for (int i = 0; i < nlayers; i++)
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", layers[i], 0) < 0)
			return i == 0 && errno == EINVAL ? 1 : fail("overlay option lowerdir+", layers[i]);
	return 0;
}

/*
 * Older kernels take one "lowerdir" string, and fsconfig(2) takes strings of
 * at most 255 bytes (strndup_user(value, 256), fs/fsopen.c). When the full
 * paths do not fit and every layer below the launcher's (the lab's folders
 * and the skeleton: `fixed` of them) is in one folder (an
 * image's layers in the store, or idmapped copies in /proc/self/fd), their
 * names are given relative to that folder, made the working directory:
 * overlayfs resolves them against it (and pivot_root changes it afterwards).
 */
static int lowers_as_string(char *const *layers, int nlayers, int fixed, char *lower, size_t cap)
{
	size_t len = 0;
	lower[0] = 0;
	for (int i = 0; i < nlayers; i++)
		if (append_lower(lower, cap, &len, layers[i]) < 0)
			return -1;
	if (len < 256 || nlayers <= fixed)
		return len < 256 ? 0 : failx("lowerdir (this kernel takes at most 255 bytes of lower dirs)", lower, ENAMETOOLONG);
	const char *first = layers[fixed], *slash = strrchr(first, '/');
	size_t plen = slash ? (size_t)(slash - first) : 0;
	for (int i = fixed; i < nlayers; i++)
		if (!plen || strncmp(layers[i], first, plen) || layers[i][plen] != '/' || strchr(layers[i] + plen + 1, '/'))
			return failx("lowerdir (this kernel takes at most 255 bytes of lower dirs; Linux 6.8 takes any number)", lower, ENAMETOOLONG);
	char parent[NL_PATH_MAX];
	snprintf(parent, sizeof parent, "%.*s", (int)plen, first);
	if (chdir(parent) < 0)
		return fail("chdir to the layers", parent);
	len = 0;
	for (int i = 0; i < nlayers; i++)
		if (append_lower(lower, cap, &len, i < fixed ? layers[i] : layers[i] + plen + 1) < 0)
			return -1;
	if (len >= 256)
		return failx("lowerdir (this kernel takes at most 255 bytes of lower dirs: too many image layers; Linux 6.8 takes any number)", lower, ENAMETOOLONG);
	return 0;
}

/*
 * Rootless nodes on the host's root (docs/rootless.md, "Nodes"): in an
 * ordinary user's user namespace every mount copied from the host is locked
 * (mount_namespaces(7)), and overlayfs refuses a lower layer with locked
 * mounts below it ("failed to clone lowerpath": /proc, /sys, /dev under "/").
 * So the node's root is a tmpfs holding one overlay per top folder of the
 * host's "/" that has no mount below it (/etc, /usr, /var, …: lower = the
 * lab's layers' folder of that name, then the host's; upper and work = the
 * node tmpfs's upper/<name> and work/<name>); /dev is the skeleton's /dev with
 * the upper's, /run and /tmp the upper's own (empty), /proc and /sys empty
 * folders for their mounts, and top-level symlinks (bin -> usr/bin) copies.
 * Folders the node may not read (/root, lost+found: 0700 of host root) and
 * folders with mounts below them show only what the upper layer holds.
 */
#define SPLIT_MAX 128

static bool has_mount_below(const char *top)
{
	static char *info;
	static size_t len;
	if (!info) {
		info = malloc(1 << 20);
		ssize_t n = info ? read_file("/proc/self/mountinfo", info, 1 << 20) : -1;
		len = n > 0 ? (size_t)n : 0;
	}
	size_t tl = strlen(top);
	for (char *line = info; line && line < info + len;) {
		char *nl = memchr(line, '\n', (size_t)(info + len - line));
		/* field 5: the mount point */
		char *f = line;
		for (int i = 0; i < 4 && f; i++) {
			f = memchr(f, ' ', (size_t)((nl ? nl : info + len) - f));
			if (f)
				f++;
		}
		if (f && f[0] == '/' && !strncmp(f + 1, top, tl) && f[1 + tl] == '/')
			return true;
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static bool is_dir_at(const char *base, const char *name)
{
	char p[NL_PATH_MAX];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", base, name);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int add_lower(char *out, size_t cap, size_t *len, const char *path)
{
	if (*len) {
		if (*len + 2 >= cap)
			return failx("lowerdir", path, ENAMETOOLONG);
		out[(*len)++] = ':';
		out[*len] = 0;
	}
	return append_lower(out, cap, len, path);
}

/* One overlay for folder `name`: lowers = each layer's `name` (top first), then the host's /name when `host`. Returns its mount fd, or -2 when no layer has it. */
static int split_overlay(int tmpfs, char *const *layers, int nlayers, const char *name, bool host)
{
	char lower[4096], p[NL_PATH_MAX];
	size_t len = 0;
	lower[0] = 0;
	for (int i = 0; i < nlayers - 1; i++) {
		if (!is_dir_at(layers[i], name))
			continue;
		snprintf(p, sizeof p, "%s/%s", layers[i], name);
		if (add_lower(lower, sizeof lower, &len, p) < 0)
			return -1;
	}
	snprintf(p, sizeof p, "/%s", name);
	if (host && add_lower(lower, sizeof lower, &len, p) < 0)
		return -1;
	if (!len)
		return -2;
	snprintf(p, sizeof p, "upper/%s", name);
	if (mkdirat(tmpfs, p, 0755) < 0 && errno != EEXIST)
		return fail("mkdir", p);
	snprintf(p, sizeof p, "work/%s", name);
	if (mkdirat(tmpfs, p, 0755) < 0)
		return fail("mkdir", p);
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail("fsopen overlay", "overlayfs (CONFIG_OVERLAY_FS)");
	int r = set_opt(fs, "lowerdir", lower);
	snprintf(p, sizeof p, "/proc/self/fd/%d/upper/%s", tmpfs, name);
	if (r == 0)
		r = set_opt(fs, "upperdir", p);
	snprintf(p, sizeof p, "/proc/self/fd/%d/work/%s", tmpfs, name);
	if (r == 0)
		r = set_opt(fs, "workdir", p);
	if (r == 0 && fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
		r = fail("overlay option", "userxattr");
	if (r == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		r = fail("mount overlay", lower);
	int m = r == 0 ? fsmount(fs, FSMOUNT_CLOEXEC, 0) : -1;
	if (r == 0 && m < 0)
		fail("fsmount overlay", lower);
	close(fs);
	return m;
}

static int make_split_root(const struct node_spec *s, int tmpfs, char *const *layers, int nlayers)
{
	char names[SPLIT_MAX][256];
	int mounts[SPLIT_MAX], n = 0;
	int rfs = detached_tmpfs("755", "1048576", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, s->name);
	if (rfs < 0)
		return -1;
	/* Every top entry of the host's "/", the layers and the upper layer, once. */
	const char *dirs[NL_MAX_LAYERS + 2];
	char up[64];
	int nd = 0;
	snprintf(up, sizeof up, "/proc/self/fd/%d/upper", tmpfs);
	dirs[nd++] = "/";
	dirs[nd++] = up;
	for (int i = 0; i < nlayers - 1; i++)
		dirs[nd++] = layers[i];
	int r = 0;
	for (int k = 0; k < nd && r == 0; k++) {
		DIR *d = opendir(dirs[k]);
		if (!d)
			continue;
		struct dirent *e;
		while (r == 0 && (e = readdir(d))) {
			const char *name = e->d_name;
			if (!strcmp(name, ".") || !strcmp(name, "..") || strlen(name) >= 256 || faccessat(rfs, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
			struct stat st;
			char p[NL_PATH_MAX];
			snprintf(p, sizeof p, "%s/%s", dirs[k], name);
			if (lstat(p, &st) < 0)
				continue;
			if (S_ISLNK(st.st_mode)) {
				char target[NL_PATH_MAX];
				ssize_t tl = readlink(p, target, sizeof target - 1);
				if (tl < 0)
					continue;
				target[tl] = 0;
				if (symlinkat(target, rfs, name) < 0)
					r = fail("symlink", name);
				continue;
			}
			if (!S_ISDIR(st.st_mode))
				continue;
			if (mkdirat(rfs, name, st.st_mode & 07777) < 0) {
				r = fail("mkdir", name);
				break;
			}
			if (!strcmp(name, "proc") || !strcmp(name, "sys"))
				continue;
			if (n >= SPLIT_MAX) {
				r = failx("split root", "too many top folders", E2BIG);
				break;
			}
			int m;
			if (!strcmp(name, "run") || !strcmp(name, "tmp")) {
				m = -2;
			} else {
				bool host = k == 0 && strcmp(name, "dev") && !has_mount_below(name) && access(p, R_OK | X_OK) == 0;
				m = split_overlay(tmpfs, layers, nlayers, name, host);
				if (m == -1)
					r = -1;
			}
			if (m == -2) { /* the upper layer's own folder, when it has one */
				snprintf(p, sizeof p, "upper/%s", name);
				if (faccessat(tmpfs, p, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				m = open_tree(tmpfs, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
				if (m < 0)
					r = fail("open_tree", p);
			}
			if (m >= 0) {
				snprintf(names[n], sizeof names[n], "%s", name);
				mounts[n++] = m;
			}
		}
		closedir(d);
	}
	/* Stacked on "/" of the node's mount namespace (pivot_root needs it attached), then the overlays into it. */
	if (r == 0 && move_mount(rfs, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = fail("move_mount root", "/");
	for (int i = 0; i < n; i++) {
		if (r == 0 && move_mount(mounts[i], "", rfs, names[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			r = fail("move_mount split root", names[i]);
		close(mounts[i]);
	}
	if (r < 0) {
		close(rfs);
		return -1;
	}
	return rfs;
}

int make_overlay(const struct node_spec *s, int tmpfs, char *const *layers, int nlayers)
{
	if (host_facts.in_userns && nlayers > 0 && !strcmp(layers[nlayers - 1], "/"))
		return make_split_root(s, tmpfs, layers, nlayers);
	char lower[4096], p[96];
	lower[0] = 0;
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail("fsopen overlay", "overlayfs (CONFIG_OVERLAY_FS)");
	int r = lowers_one_by_one(fs, layers, nlayers);
	if (r == 1)
		r = lowers_as_string(layers, nlayers, s->nlayer + 1, lower, sizeof lower) < 0 ? -1 : set_opt(fs, "lowerdir", lower);
	else
		snprintf(lower, sizeof lower, "%s:%s%s", layers[0], nlayers > 1 ? layers[1] : "", nlayers > 2 ? ":…" : "");
	snprintf(p, sizeof p, "/proc/self/fd/%d/upper", tmpfs);
	if (r == 0)
		r = set_opt(fs, "upperdir", p);
	/* In an ordinary user's user namespace trusted.* xattrs are refused: overlayfs keeps its own as user.overlay.* (Linux 5.11). */
	if (r == 0 && host_facts.in_userns && fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
		r = fail("overlay option", "userxattr");
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

/*
 * The read end of the node's /dev/console, opened through the overlay (the
 * pipe of a FIFO belongs to the inode it is opened through: overlayfs gives
 * the node its own). O_RDWR: it never sees end-of-file when a writer leaves.
 */
int open_console(int root)
{
	int fd = openat(root, "dev/console", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return fd < 0 ? fail("open", "/dev/console") : fd;
}

/*
 * Closing a detached mount dissolves it and waits for an RCU grace period
 * (namespace_unlock(), fs/namespace.c). Attached to the old root instead (on
 * its /dev, which nothing needs any more: the overlay keeps its own clones of
 * its layers), a detached mount goes with the old root's detach in
 * pivot_into_root, in the same wait.
 */
int park_on_old_root(int fd, const char *what)
{
	if (move_mount(fd, "", AT_FDCWD, "/dev", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return fail("move_mount to the old root's /dev", what);
	close(fd);
	return 0;
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

/*
 * Detached copies of the bind sources, taken while the host's tree is still
 * reachable; in a user namespace idmapped (where the filesystem allows), so
 * the node's root has host root's access to a folder bound into it, as it had
 * without a user namespace.
 */
int open_bind_sources(const struct node_spec *s, int userns_fd, int *fds)
{
	for (int i = 0; i < s->nbinds; i++) {
		fds[i] = open_layer(AT_FDCWD, s->binds[i].src, userns_fd, true, s->binds[i].src);
		if (fds[i] < 0) {
			nl_err.step = "open_tree bind source";
			while (i > 0)
				close(fds[--i]);
			return -1;
		}
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
