/*
 * Copying a host folder into a node's filesystem: the one walk behind
 *   copy_seed  (node-root.c)  <run>/upper, the files the lab wrote for a node
 *                             (frr.conf, …), into the node's upper layer:
 *                             merged with the folders fill_upper made there,
 *                             owners kept (shifted into a user namespace's range)
 *   copy_layer (skeleton.c)   a lab folder (`layers:`, a Kathará device folder)
 *                             into a fresh layer of the launcher's tmpfs, every
 *                             copy owned by the node's root
 * Folders, regular files and symlinks are copied; devices, sockets and FIFOs
 * are left out (a lab's folder holds none). The owner is set first, then the
 * mode (07777): chown(2) clears a file's set-user-ID and set-group-ID bits,
 * for root too (since Linux 2.2.13). No symlink is followed on either side
 * (every open is O_NOFOLLOW): a link the source or the destination holds
 * cannot lead the copy out of its two trees.
 */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Folders nested deeper than this are refused (ELOOP): a bound on the recursion. */
#define COPY_MAX_DEPTH 64

struct walk {
	const struct copy_how *how;
	char path[NL_PATH_MAX]; /* the source path of the entry at hand: the root given, then "/a/b" */
	size_t root_len;
};

/* Sets the copy's owner (as `how` says), then its mode; symlinks keep the mode they were made with. */
static int set_owner_mode(struct walk *w, int dfd, const char *n, const struct stat *st)
{
	const struct copy_how *h = w->how;
	int r = 0;
	if (h->flags & COPY_KEEP_OWNER)
		r = fchownat(dfd, n, st->st_uid + h->uid, st->st_gid + h->gid, AT_SYMLINK_NOFOLLOW);
	else if (h->uid || h->gid)
		r = fchownat(dfd, n, h->uid, h->gid, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return fail("copy folder: chown", w->path);
	if (!S_ISLNK(st->st_mode) && fchmodat(dfd, n, st->st_mode & 07777, 0) < 0)
		return fail("copy folder: chmod", w->path);
	return 0;
}

/* Copies one regular file's bytes (created 0600: its mode comes after its owner). */
static int copy_file(struct walk *w, int sfd, const char *n, int dfd)
{
	int in = openat(sfd, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return fail("copy folder: open", w->path);
	int replace = w->how->flags & COPY_MERGE ? O_TRUNC : O_EXCL;
	int out = openat(dfd, n, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | replace, 0600);
	if (out < 0) {
		close(in);
		return fail("copy folder: create", w->path);
	}
	char buf[65536];
	ssize_t k;
	while ((k = read(in, buf, sizeof buf)) > 0 && write_all(out, buf, (size_t)k) == 0)
		;
	int e = errno;
	close(in);
	if (k != 0) {
		close(out);
		return failx("copy folder: copy", w->path, e);
	}
	return close(out) < 0 ? fail("copy folder: copy", w->path) : 0;
}

static int copy_symlink(struct walk *w, int sfd, const char *n, int dfd)
{
	char target[NL_PATH_MAX];
	ssize_t len = readlinkat(sfd, n, target, sizeof target - 1);
	if (len < 0)
		return fail("copy folder: readlink", w->path);
	if ((size_t)len >= sizeof target - 1)
		return failx("copy folder: readlink", w->path, ENAMETOOLONG);
	target[len] = 0;
	return symlinkat(target, dfd, n) < 0 ? fail("copy folder: symlink", w->path) : 0;
}

static int walk(struct walk *w, int sfd, int dfd, int depth);

static int copy_dir(struct walk *w, int sfd, const char *n, int dfd, int depth)
{
	if (mkdirat(dfd, n, 0700) < 0 && !(errno == EEXIST && (w->how->flags & COPY_MERGE)))
		return fail("copy folder: mkdir", w->path);
	int s2 = openat(sfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int d2 = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r;
	if (s2 < 0 || d2 < 0)
		r = fail("copy folder: open", w->path);
	else if (w->how->on_dir && w->how->on_dir(d2, w->path + w->root_len, w->how->arg) < 0)
		r = -1;
	else
		r = walk(w, s2, d2, depth + 1);
	if (s2 >= 0)
		close(s2);
	if (d2 >= 0)
		close(d2);
	return r;
}

/* Copies what folder sfd holds into folder dfd; w->path is sfd's path. sfd and dfd stay open. */
static int walk(struct walk *w, int sfd, int dfd, int depth)
{
	if (depth > COPY_MAX_DEPTH)
		return failx("copy folder: folders nested too deep", w->path, ELOOP);
	int dup = fcntl(sfd, F_DUPFD_CLOEXEC, 10);
	DIR *d = dup < 0 ? NULL : fdopendir(dup);
	if (!d) {
		int e = errno;
		if (dup >= 0)
			close(dup);
		return failx("copy folder: read", w->path, e);
	}
	size_t here = strlen(w->path);
	int r = 0;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno)
				r = fail("copy folder: read", w->path);
			break;
		}
		const char *n = e->d_name;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		int len = snprintf(w->path + here, sizeof w->path - here, "/%s", n);
		if (len < 0 || (size_t)len >= sizeof w->path - here) {
			w->path[here] = 0;
			r = failx("copy folder: path", n, ENAMETOOLONG);
			break;
		}
		struct stat st;
		if (fstatat(sfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = fail("copy folder: stat", w->path);
		else if (S_ISDIR(st.st_mode))
			r = copy_dir(w, sfd, n, dfd, depth);
		else if (S_ISREG(st.st_mode))
			r = copy_file(w, sfd, n, dfd);
		else if (S_ISLNK(st.st_mode))
			r = copy_symlink(w, sfd, n, dfd);
		else
			st.st_mode = 0; /* devices, sockets, FIFOs: left out */
		if (r == 0 && st.st_mode)
			r = set_owner_mode(w, dfd, n, &st);
		if (r < 0)
			break;
		w->path[here] = 0;
	}
	closedir(d);
	return r;
}

int copy_tree(int sfd, int dfd, const char *src, const struct copy_how *how)
{
	struct walk w;
	w.how = how;
	w.root_len = strlen(src);
	if (w.root_len >= sizeof w.path)
		return failx("copy folder: path", src, ENAMETOOLONG);
	memcpy(w.path, src, w.root_len + 1);
	return walk(&w, sfd, dfd, 0);
}
