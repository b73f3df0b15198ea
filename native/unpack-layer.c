/*
 * netlab-unpack DEST: one image layer's tar (uncompressed, on stdin) applied
 * to the empty folder DEST as an overlayfs lower dir (OCI image spec
 * layer.md). src/image/unpack.ts starts it: it reads, hashes and inflates the
 * bytes and checks both digests. The tar is read by libarchive (Debian
 * libarchive13, loaded with dlopen: see "libarchive" below); this program
 * writes what libarchive reads, with GNU tar's cost per file and none of
 * JavaScript's (docs/performance.md, "Images"), and with every check a layer
 * from a stranger needs:
 *
 *  - whiteouts: `.wh.<name>` becomes an overlayfs whiteout (a character
 *    device 0/0 named <name>), `.wh..wh..opq` makes its directory opaque
 *    (xattr trusted.overlay.opaque=y) — Documentation/filesystems/overlayfs.rst,
 *    "whiteouts and opaque directories". As layer.md says, a whiteout hides
 *    only what lower layers have: a file of the same layer stays.
 *  - safety: no entry lands outside DEST. Names are cleaned (`./`, `/`
 *    stripped) and refused when they hold `..`; every parent of an entry is
 *    opened from DEST one component at a time with O_NOFOLLOW|O_DIRECTORY, so
 *    a symlink or a file there is refused ("symlink, then a file through it"
 *    cannot write elsewhere), and every name is made relative to that
 *    descriptor (openat O_EXCL|O_NOFOLLOW, symlinkat, mknodat, linkat without
 *    AT_SYMLINK_FOLLOW); hardlinks must point at a file of this layer. Device
 *    files other than whiteouts are skipped (a node gets its /dev from
 *    netlab), and so are xattrs other than security.capability and user.*
 *    (a layer must not set trusted.overlay.*). libarchive only reads: it
 *    never touches the disk (no archive_write_disk).
 *  - owners and modes: chown first (it clears set-user-ID bits and file
 *    capabilities), then the mode (07777), then xattrs, then times; a file's
 *    owner is set only when it is not the one it was created with. Directory
 *    attributes are set at the end, deepest first (entries inside change a
 *    directory's times).
 *  - duplicates: the last entry of a name wins (layer.md): a name that exists
 *    (EEXIST) is removed, a folder with what is in it, and made again.
 *
 * `netlab-unpack DEST --fetch URL --size N [--direct] [--ca-file FILE]`
 * reads the tar from a download of its own instead of stdin (fetch-blob.c:
 * an uncompressed layer of a registry; N is the manifest's size, --direct a
 * registry on this machine, reached without a proxy, FILE CA certificates to
 * trust besides the system's), with the request's extra headers
 * ("Name: value" lines: the Authorization) in the environment variable
 * NETLAB_FETCH_HEADERS, so no token shows in the process list.
 *
 * Protocol (stdout, one line each): `W <text>` a warning; `P <bytes>` bytes
 * downloaded so far (--fetch, every 4 MiB); at the end `D <entries> <bytes of
 * file contents>` (with --fetch also ` <sha256 hex of the body> <bytes of
 * body>`) and exit 0; on failure one line `E <code>\t<syscall>\t<message>`
 * (code and syscall empty for a bad or unsafe layer; code NOLIBARCHIVE when
 * libarchive cannot be loaded, NOFETCH when libcurl or libcrypto cannot, or
 * when the download failed before its first byte;
 * `E HTTP\t<status>\t<body's start>` for an answer other than 2xx, `E
 * FETCH\t<libcurl's code or empty>\t<message>` for a download that broke)
 * and exit 1. The messages are those src/image/unpack.ts recognises (unsafe:
 * "points outside", "goes through", "not a file of this layer", "not in this
 * layer", "layer's root"; damaged: "Unexpected end of data", "Invalid tar
 * header").
 *
 * `netlab-unpack --check` only loads libarchive (for netlab doctor): exit 0,
 * or 1 with the reason on stderr; `--check-fetch` likewise libcurl and
 * libcrypto.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fetch-blob.h"

#define BLOCK_SIZE (1u << 20) /* libarchive's reads from the pipe */
#define MAX_DEPTH 512
#define WH ".wh."
#define OPAQUE ".wh..wh..opq"

static const char *dest;
static int root_fd;
static uid_t my_uid;
static gid_t my_gid;
static int chown_all; /* DEST is setgid: new files take its group, so always chown */
static unsigned long long entries, written;

/* ---- reporting ---------------------------------------------------------- */

static void out_line(const char *kind, const char *fmt, va_list ap)
{
	char text[8192];
	vsnprintf(text, sizeof text, fmt, ap);
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	printf("%s %s\n", kind, text);
}

static void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_line("W", fmt, ap);
	va_end(ap);
}

/* A bad or unsafe layer: the message, then exit 1. */
static _Noreturn void refuse(const char *fmt, ...)
{
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	printf("E \t\t%s\n", text);
	fflush(stdout);
	exit(1);
}

/* A system call failed on `rel` (relative to DEST): its errno, as Node words it, then exit 1. */
static _Noreturn void die_errno(const char *syscall, const char *rel)
{
	int e = errno;
	const char *name = strerrorname_np(e);
	printf("E %s\t%s\t%s: %s, %s '%s/%s'\n", name ? name : "", syscall, name ? name : "error", strerror(e), syscall, dest, rel);
	fflush(stdout);
	exit(1);
}


/* ---- libarchive --------------------------------------------------------- */

/*
 * libarchive's reader, loaded at run time (libarchive.so.13, Debian's
 * libarchive13), so the build needs no libarchive-dev and netlab without it
 * still runs labs from the host's root; only images need it (netlab doctor
 * says so). The prototypes are those of archive.h and archive_entry.h of
 * libarchive 3 (soname 13: the ABI has been stable since 3.0), on Linux
 * (__LA_MODE_T is mode_t, la_int64_t is int64_t). NETLAB_LIBARCHIVE names
 * another file to load (packaging; the tests name a missing one).
 */
struct archive;
struct archive_entry;

#define ARCHIVE_EOF 1
#define ARCHIVE_OK 0
#define ARCHIVE_RETRY (-10)
#define ARCHIVE_WARN (-20)
#define AE_IFMT 0170000
#define AE_IFREG 0100000
#define AE_IFLNK 0120000
#define AE_IFCHR 0020000
#define AE_IFBLK 0060000
#define AE_IFDIR 0040000
#define AE_IFIFO 0010000

static struct {
	struct archive *(*read_new)(void);
	int (*support_format_tar)(struct archive *);
	int (*support_format_empty)(struct archive *);
	int (*open)(struct archive *, void *, int (*)(struct archive *, void *), ssize_t (*)(struct archive *, void *, const void **), int (*)(struct archive *, void *));
	int (*next_header)(struct archive *, struct archive_entry **);
	int (*data_block)(struct archive *, const void **, size_t *, int64_t *);
	const char *(*error_string)(struct archive *);
	int (*error_no)(struct archive *);
	const char *(*pathname)(struct archive_entry *);
	const char *(*hardlink)(struct archive_entry *);
	const char *(*symlink)(struct archive_entry *);
	mode_t (*filetype)(struct archive_entry *);
	mode_t (*perm)(struct archive_entry *);
	int64_t (*uid)(struct archive_entry *);
	int64_t (*gid)(struct archive_entry *);
	int64_t (*size)(struct archive_entry *);
	time_t (*mtime)(struct archive_entry *);
	long (*mtime_nsec)(struct archive_entry *);
	dev_t (*rdevmajor)(struct archive_entry *);
	dev_t (*rdevminor)(struct archive_entry *);
	int (*xattr_reset)(struct archive_entry *);
	int (*xattr_next)(struct archive_entry *, const char **, const void **, size_t *);
} la;

/* Loads libarchive; returns NULL, or why it cannot be used. */
static const char *load_libarchive(void)
{
	static char why[512];
	const char *name = getenv("NETLAB_LIBARCHIVE");
	if (!name || !*name)
		name = "libarchive.so.13";
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, sizeof why, "%s", dlerror());
		return why;
	}
#define SYM(field, sym)                                                                    \
	do {                                                                               \
		*(void **)&la.field = dlsym(h, sym);                                       \
		if (!la.field) {                                                           \
			snprintf(why, sizeof why, "%s has no %s", name, sym);              \
			return why;                                                        \
		}                                                                          \
	} while (0)
	SYM(read_new, "archive_read_new");
	SYM(support_format_tar, "archive_read_support_format_tar");
	SYM(support_format_empty, "archive_read_support_format_empty");
	SYM(open, "archive_read_open");
	SYM(next_header, "archive_read_next_header");
	SYM(data_block, "archive_read_data_block");
	SYM(error_string, "archive_error_string");
	SYM(error_no, "archive_errno");
	SYM(pathname, "archive_entry_pathname");
	SYM(hardlink, "archive_entry_hardlink");
	SYM(symlink, "archive_entry_symlink");
	SYM(filetype, "archive_entry_filetype");
	SYM(perm, "archive_entry_perm");
	SYM(uid, "archive_entry_uid");
	SYM(gid, "archive_entry_gid");
	SYM(size, "archive_entry_size");
	SYM(mtime, "archive_entry_mtime");
	SYM(mtime_nsec, "archive_entry_mtime_nsec");
	SYM(rdevmajor, "archive_entry_rdevmajor");
	SYM(rdevminor, "archive_entry_rdevminor");
	SYM(xattr_reset, "archive_entry_xattr_reset");
	SYM(xattr_next, "archive_entry_xattr_next");
#undef SYM
	return NULL;
}

static struct archive *ar;
static int input_ended; /* the last read of the input returned 0 */
static int fetching;    /* the input is a download (--fetch), not stdin */
static unsigned long long reported; /* bytes last reported with a `P` line */

/* The download failed: its report line (`E HTTP\t<status>\t<body>` or `E FETCH\t<curl code>\t<message>`), then exit 1. */
static _Noreturn void fetch_failed(void)
{
	const char *kind = "FETCH";
	long code = 0;
	const char *text = fetch_failure(&kind, &code);
	/* Nothing came (no connection, TLS or proxy trouble): netlab reads the layer through its own client, which words what is wrong. */
	if (!strcmp(kind, "FETCH") && fetch_bytes() == 0)
		printf("E NOFETCH\t\t%s\n", text ? text : "");
	else if (code)
		printf("E %s\t%ld\t%s\n", kind, code, text ? text : "");
	else
		printf("E %s\t\t%s\n", kind, text ? text : "");
	fflush(stdout);
	exit(1);
}

/* libarchive's read callback: the next bytes of the input (stdin, a pipe, up to BLOCK_SIZE; or the download); 0 at the end. */
static ssize_t read_input(struct archive *a, void *data, const void **out)
{
	(void)a;
	(void)data;
	if (fetching) {
		ssize_t n = fetch_read(out);
		if (n < 0)
			fetch_failed();
		if (n == 0)
			input_ended = 1;
		/* Progress for netlab's display: a line per 4 MiB. */
		if (fetch_bytes() - reported >= (4u << 20) || (n == 0 && fetch_bytes() != reported)) {
			reported = fetch_bytes();
			printf("P %llu\n", reported);
			fflush(stdout);
		}
		return n;
	}
	static char *block;
	if (!block && !(block = malloc(BLOCK_SIZE)))
		refuse("out of memory");
	for (;;) {
		ssize_t n = read(0, block, BLOCK_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno("read", "-");
		if (n == 0)
			input_ended = 1;
		*out = block;
		return n;
	}
}

/*
 * libarchive failed to read the tar (status < ARCHIVE_WARN): a read error of
 * the pipe is reported with its errno; anything else is a damaged or short
 * stream, worded so that src/image/unpack.ts classes it (one whose input had
 * ended as "Unexpected end of data": unpack.ts then names the reason the
 * bytes stopped, when it knows one).
 */
static _Noreturn void tar_failed(const char *what)
{
	const char *msg = la.error_string(ar);
	if (!msg)
		msg = "unknown error";
	int e = la.error_no(ar);
	if (e > 0 && e != EINVAL && e != EILSEQ) {
		errno = e;
		die_errno("read", "-");
	}
	if (input_ended)
		refuse("Unexpected end of data (%s: %s)", what, msg);
	refuse("Invalid tar header: %s (%s)", msg, what);
}

/* One entry as libarchive read it: what the writer below needs. */
struct xattr {
	char *name;
	void *value;
	size_t len;
};

struct entry {
	const char *name;
	const char *linkname;
	char type; /* as in a tar header: '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' directory, '6' FIFO, '?' other */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	unsigned long long size;
	struct timespec mtime;
	unsigned devmajor, devminor;
	struct xattr *xattrs;
	size_t nxattrs;
};

static void xattrs_free(struct xattr *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

/* Copies the xattrs of `e` (libarchive: SCHILY.xattr.* and LIBARCHIVE.xattr.* PAX records). */
static void entry_xattrs(struct archive_entry *ae, struct entry *e)
{
	if (la.xattr_reset(ae) <= 0)
		return;
	e->xattrs = calloc((size_t)la.xattr_reset(ae), sizeof *e->xattrs);
	if (!e->xattrs)
		refuse("out of memory");
	const char *name;
	const void *value;
	size_t len;
	while (la.xattr_next(ae, &name, &value, &len) == ARCHIVE_OK) {
		struct xattr *x = &e->xattrs[e->nxattrs++];
		x->name = strdup(name);
		x->value = malloc(len ? len : 1);
		if (!x->name || !x->value)
			refuse("out of memory");
		memcpy(x->value, value, len);
		x->len = len;
	}
}

/* The entry libarchive has just read, as the writer sees it. */
static void entry_of(struct archive_entry *ae, struct entry *e)
{
	*e = (struct entry){ 0 };
	e->name = la.pathname(ae);
	/* NULL: no name, or a PAX name that is not UTF-8 without hdrcharset=BINARY (libarchive's warning says which). */
	if (!e->name)
		refuse("Invalid tar header: an entry whose name cannot be read (%s)", la.error_string(ar) ? la.error_string(ar) : "no name");
	const char *hard = la.hardlink(ae), *sym = la.symlink(ae);
	switch (la.filetype(ae) & AE_IFMT) {
	case AE_IFREG: e->type = '0'; break;
	case AE_IFDIR: e->type = '5'; break;
	case AE_IFLNK: e->type = '2'; break;
	case AE_IFCHR: e->type = '3'; break;
	case AE_IFBLK: e->type = '4'; break;
	case AE_IFIFO: e->type = '6'; break;
	default: e->type = '?';
	}
	if (hard) {
		e->type = '1';
		e->linkname = hard;
	} else if (e->type == '2') {
		e->linkname = sym ? sym : "";
	} else {
		e->linkname = "";
	}
	e->mode = la.perm(ae) & 07777;
	e->uid = (uid_t)la.uid(ae);
	e->gid = (gid_t)la.gid(ae);
	int64_t size = la.size(ae);
	e->size = size > 0 ? (unsigned long long)size : 0;
	e->mtime.tv_sec = la.mtime(ae);
	e->mtime.tv_nsec = la.mtime_nsec(ae);
	if (e->mtime.tv_nsec < 0 || e->mtime.tv_nsec > 999999999)
		e->mtime.tv_nsec = 0;
	e->devmajor = (unsigned)la.rdevmajor(ae);
	e->devminor = (unsigned)la.rdevminor(ae);
	entry_xattrs(ae, e);
}
/* ---- paths inside the layer -------------------------------------------- */

/*
 * Splits a tar name into its components (in place: `name` is modified), or
 * returns 0 for the layer's root. Refuses `..`.
 */
static size_t components(char *name, const char *shown, char **parts, size_t max)
{
	size_t n = 0;
	for (char *s = strtok(name, "/"); s; s = strtok(NULL, "/")) {
		if (!strcmp(s, "."))
			continue;
		if (!strcmp(s, ".."))
			refuse("entry \"%s\" points outside the layer (..)", shown);
		if (n == max)
			refuse("entry \"%s\" is nested too deep", shown);
		parts[n++] = s;
	}
	return n;
}

/* The open parent directories of the last entry: dirs[i] is parts 0..i. */
static struct {
	char names[MAX_DEPTH][256];
	int fds[MAX_DEPTH];
	size_t depth;
} cache;

static void cache_drop(size_t from)
{
	while (cache.depth > from)
		close(cache.fds[--cache.depth]);
}

/* The relative path of parts[0..n-1]. */
static const char *join(char **parts, size_t n)
{
	static char path[8192];
	size_t len = 0;
	path[0] = 0;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(path + len, sizeof path - len, "%s%s", i ? "/" : "", parts[i]);
		if (k < 0 || (size_t)k >= sizeof path - len)
			refuse("entry name too long: %s…", path);
		len += (size_t)k;
	}
	return path;
}

/*
 * Opens (creating missing ones, 0755, when `create`) every parent of an entry
 * with n components as a real directory of this layer; returns the
 * descriptor of the last one (DEST itself for a top-level entry). Refuses a
 * parent that is a symlink or not a directory, and a missing one when not
 * `create`.
 */
static int parents(char **parts, size_t n, const char *shown, int create)
{
	size_t want = n - 1, k = 0;
	while (k < want && k < cache.depth && !strcmp(cache.names[k], parts[k]))
		k++;
	cache_drop(k);
	for (size_t i = k; i < want; i++) {
		int at = i ? cache.fds[i - 1] : root_fd;
		if (strlen(parts[i]) > 255)
			refuse("entry \"%s\": a name longer than 255 bytes", shown);
		int fd = openat(at, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if (!create)
				refuse("entry \"%s\": %s is not in this layer", shown, join(parts, i + 1));
			if (mkdirat(at, parts[i], 0755) < 0)
				die_errno("mkdir", join(parts, i + 1));
			fd = openat(at, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			struct stat st;
			int link = fstatat(at, parts[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
			refuse("entry \"%s\" goes through %s, which is %s in this layer: refused (it could write outside the layer)",
			       shown, join(parts, i + 1), link ? "a symlink" : "not a directory");
		}
		if (fd < 0)
			die_errno("open", join(parts, i + 1));
		strcpy(cache.names[i], parts[i]);
		cache.fds[i] = fd;
		cache.depth = i + 1;
	}
	return want ? cache.fds[want - 1] : root_fd;
}


/* ---- directory attributes, applied at the end --------------------------- */

struct dir_attrs {
	char *rel; /* "" for the layer's root */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	struct xattr *xattrs;
	size_t nxattrs;
	int dead;
};

static struct dir_attrs *dirs;
static size_t ndirs, capdirs;

static void dirs_forget(const char *rel)
{
	size_t len = strlen(rel);
	for (size_t i = 0; i < ndirs; i++)
		if (!dirs[i].dead && !strncmp(dirs[i].rel, rel, len) && (dirs[i].rel[len] == 0 || dirs[i].rel[len] == '/'))
			dirs[i].dead = 1;
}

/* Keeps a directory's attributes for finish(); takes its xattrs from `e`. */
static void dirs_keep(const char *rel, struct entry *e)
{
	dirs_forget(rel);
	if (ndirs == capdirs) {
		capdirs = capdirs ? capdirs * 2 : 256;
		dirs = realloc(dirs, capdirs * sizeof *dirs);
		if (!dirs)
			refuse("out of memory");
	}
	struct dir_attrs *d = &dirs[ndirs++];
	d->rel = strdup(rel);
	d->mode = e->mode;
	d->uid = e->uid;
	d->gid = e->gid;
	d->mtime = e->mtime;
	d->xattrs = e->xattrs;
	d->nxattrs = e->nxattrs;
	e->xattrs = NULL;
	e->nxattrs = 0;
	d->dead = 0;
}

/* ---- removing what a name holds (duplicates: the last entry wins) ------- */

static void remove_tree(int at, const char *name, const char *rel)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die_errno("open", rel);
	DIR *d = fdopendir(fd);
	if (!d)
		die_errno("opendir", rel);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR)
			die_errno("unlink", rel);
		remove_tree(fd, de->d_name, rel);
	}
	closedir(d);
	if (unlinkat(at, name, AT_REMOVEDIR) < 0)
		die_errno("rmdir", rel);
}

/* Removes what the layer has at `base` in the parent `at` (rel: its path). */
static void clear(int at, const char *base, const char *rel)
{
	struct stat st;
	if (fstatat(at, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		/* The cached parents are this name's ancestors: none of them is removed. */
		remove_tree(at, base, rel);
		dirs_forget(rel);
	} else if (unlinkat(at, base, 0) < 0) {
		die_errno("unlink", rel);
	}
}


/* ---- attributes --------------------------------------------------------- */

static int allowed_xattr(const char *name)
{
	return !strcmp(name, "security.capability") || !strncmp(name, "user.", 5);
}

static int must_chown(uid_t uid, gid_t gid)
{
	return chown_all || uid != my_uid || gid != my_gid;
}

/* Sets the allowed xattrs: through `fd`, or (fd < 0) on the path, not following a symlink. */
static void set_xattrs(const struct xattr *x, size_t n, int fd, const char *rel)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = x[i].name;
		if (!allowed_xattr(name)) {
			warn("/%s: extended attribute %s skipped", rel, name);
			continue;
		}
		int r;
		if (fd >= 0) {
			r = fsetxattr(fd, name, x[i].value, x[i].len, 0);
		} else {
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dest, rel);
			r = lsetxattr(path, name, x[i].value, x[i].len, 0);
		}
		if (r < 0)
			die_errno("lsetxattr", rel);
	}
}

/* Owner, mode, xattrs and times of an open file or directory, in that order (chown clears setuid and capabilities). */
static void fd_attrs(int fd, const char *rel, mode_t mode, uid_t uid, gid_t gid, struct timespec mtime, const struct xattr *x, size_t nx)
{
	if (must_chown(uid, gid) && fchown(fd, uid, gid) < 0)
		die_errno("fchown", rel);
	if (fchmod(fd, mode & 07777) < 0)
		die_errno("fchmod", rel);
	set_xattrs(x, nx, fd, rel);
	struct timespec ts[2] = { mtime, mtime };
	if (futimens(fd, ts) < 0)
		die_errno("futimes", rel);
}

/* Owner, mode (not for a symlink), xattrs and times of a name, not following a symlink. */
static void name_attrs(int at, const char *base, const char *rel, const struct entry *e, int is_link)
{
	if (must_chown(e->uid, e->gid) && fchownat(at, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		die_errno("lchown", rel);
	if (!is_link && fchmodat(at, base, e->mode & 07777, 0) < 0)
		die_errno("chmod", rel);
	set_xattrs(e->xattrs, e->nxattrs, -1, rel);
	struct timespec ts[2] = { e->mtime, e->mtime };
	if (utimensat(at, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		die_errno("lutimes", rel);
}

/* ---- entries ------------------------------------------------------------ */

static char **devices;
static size_t ndevices;

static void skipped_device(const char *rel)
{
	devices = realloc(devices, (ndevices + 1) * sizeof *devices);
	if (!devices)
		refuse("out of memory");
	devices[ndevices++] = strdup(rel);
}

/* Writes `len` bytes at the file's current offset. */
static void write_all(int fd, const char *p, size_t len, const char *rel)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die_errno("write", rel);
		}
		p += w;
		len -= (size_t)w;
	}
}

/*
 * A regular file: created 0600 (O_EXCL: a name that exists is removed
 * first), contents as libarchive hands them over (the blocks of a sparse
 * file come with their offsets: the holes stay holes), then its attributes.
 */
static void put_file(int at, const char *base, const char *rel, const struct entry *e)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(at, base, flags, 0600);
	if (fd < 0 && errno == EEXIST) {
		clear(at, base, rel);
		fd = openat(at, base, flags, 0600);
	}
	if (fd < 0)
		die_errno("open", rel);
	int64_t pos = 0;
	for (;;) {
		const void *p;
		size_t len;
		int64_t off;
		int r = la.data_block(ar, &p, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY)
			tar_failed(rel);
		if (off < 0 || (unsigned long long)off + len > e->size)
			refuse("Invalid tar header: /%s has data beyond its size", rel);
		if (off != pos && lseek(fd, off, SEEK_SET) < 0)
			die_errno("lseek", rel);
		write_all(fd, p, len, rel);
		pos = off + (int64_t)len;
	}
	if ((unsigned long long)pos < e->size && ftruncate(fd, (off_t)e->size) < 0)
		die_errno("ftruncate", rel);
	fd_attrs(fd, rel, e->mode, e->uid, e->gid, e->mtime, e->xattrs, e->nxattrs);
	if (close(fd) < 0)
		die_errno("close", rel);
	written += e->size;
}

/* Makes a name with `make` (symlinkat, mknodat, linkat); when it exists, removes what is there and tries again. */
#define CREATE(call, syscall)                        \
	do {                                           \
		if ((call) < 0 && errno == EEXIST) {   \
			clear(at, base, rel);          \
			if ((call) == 0)               \
				break;                 \
		} else {                               \
			break;                         \
		}                                      \
		die_errno(syscall, rel);               \
	} while (0)

/* Applies one entry (its file contents, if any, are read here; libarchive skips what is not read). */
static void apply(struct entry *e)
{
	entries++;
	char shown[8192], name[8192];
	if (strlen(e->name) >= sizeof name || strlen(e->linkname) >= sizeof name)
		refuse("entry \"%.200s…\": a name longer than %zu bytes", e->name, sizeof name - 1);
	snprintf(shown, sizeof shown, "%s", e->name);
	snprintf(name, sizeof name, "%s", e->name);
	char *parts[MAX_DEPTH];
	size_t n = components(name, shown, parts, MAX_DEPTH);
	if (!n) {
		if (e->type == '5')
			dirs_keep("", e);
		return;
	}
	const char *base = parts[n - 1];
	if (strlen(base) > 255)
		refuse("entry \"%s\": a name longer than 255 bytes", shown);
	int at = parents(parts, n, shown, 1);
	char rel[8192];
	snprintf(rel, sizeof rel, "%s", join(parts, n));

	if (!strncmp(base, WH, 4)) {
		if (!strcmp(base, OPAQUE)) {
			if (fsetxattr(at, "trusted.overlay.opaque", "y", 1, 0) < 0)
				die_errno("lsetxattr", n > 1 ? join(parts, n - 1) : "");
		} else if (strncmp(base, WH WH, 8) && base[4]) {
			const char *target = base + 4;
			struct stat st;
			/* A whiteout hides lower layers only; what this layer itself has stays (layer.md). */
			if (fstatat(at, target, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (mknodat(at, target, S_IFCHR, makedev(0, 0)) < 0)
					die_errno("mknod", rel);
			}
		}
		return;
	}

	switch (e->type) {
	case '5': {
		struct stat st;
		if (mkdirat(at, base, 0700) < 0) {
			if (errno != EEXIST)
				die_errno("mkdir", rel);
			if (fstatat(at, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
				clear(at, base, rel);
				if (mkdirat(at, base, 0700) < 0)
					die_errno("mkdir", rel);
			}
		}
		dirs_keep(rel, e);
		return;
	}
	case '0':
		put_file(at, base, rel, e);
		return;
	case '2':
		CREATE(symlinkat(e->linkname, at, base), "symlink");
		name_attrs(at, base, rel, e, 1);
		return;
	case '1': {
		char tname[8192], tshown[8192];
		snprintf(tname, sizeof tname, "%s", e->linkname);
		snprintf(tshown, sizeof tshown, "%s", e->linkname);
		char *tparts[MAX_DEPTH];
		size_t tn = components(tname, tshown, tparts, MAX_DEPTH);
		if (!tn)
			refuse("hardlink \"%s\" points at the layer's root", shown);
		int tat = dup(parents(tparts, tn, tshown, 0));
		if (tat < 0)
			die_errno("dup", rel);
		char trel[8192];
		snprintf(trel, sizeof trel, "%s", join(tparts, tn));
		struct stat st;
		/* A character device here is a whiteout this layer made (other devices are skipped). */
		if (fstatat(tat, tparts[tn - 1], &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode))
			refuse("hardlink \"%s\" points at \"%s\", which is not a file of this layer", shown, e->linkname);
		if (!strcmp(trel, rel)) {
			close(tat);
			return;
		}
		at = parents(parts, n, shown, 1);
		CREATE(linkat(tat, tparts[tn - 1], at, base, 0), "link");
		close(tat);
		return;
	}
	case '3':
		if (e->devmajor == 0 && e->devminor == 0) {
			/* Already an overlayfs whiteout (layers made from an overlay upper dir). */
			CREATE(mknodat(at, base, S_IFCHR, makedev(0, 0)), "mknod");
			return;
		}
		clear(at, base, rel);
		skipped_device(rel);
		return;
	case '4':
		skipped_device(rel);
		return;
	case '6':
		CREATE(mknodat(at, base, S_IFIFO | (e->mode & 07777), 0), "mknod");
		name_attrs(at, base, rel, e, 0);
		return;
	default:
		warn("/%s: tar entry of an unknown type skipped", rel);
	}
}

/* Sets every directory's owner, mode, xattrs and times, deepest first; DEST gets 0755 when the layer does not name it. */
static int deeper_first(const void *a, const void *b)
{
	size_t la_ = strlen(((const struct dir_attrs *)a)->rel), lb = strlen(((const struct dir_attrs *)b)->rel);
	return la_ < lb ? 1 : la_ > lb ? -1 : 0;
}

static void finish(void)
{
	cache_drop(0);
	qsort(dirs, ndirs, sizeof *dirs, deeper_first);
	int root_named = 0;
	for (size_t i = 0; i < ndirs; i++) {
		struct dir_attrs *d = &dirs[i];
		if (d->dead)
			continue;
		int fd;
		if (!*d->rel) {
			root_named = 1;
			fd = dup(root_fd);
		} else {
			char path[8192];
			snprintf(path, sizeof path, "%s", d->rel);
			char *parts[MAX_DEPTH];
			size_t n = components(path, d->rel, parts, MAX_DEPTH);
			int at = parents(parts, n, d->rel, 0);
			fd = openat(at, parts[n - 1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0)
			die_errno("open", d->rel);
		fd_attrs(fd, d->rel, d->mode, d->uid, d->gid, d->mtime, d->xattrs, d->nxattrs);
		close(fd);
	}
	cache_drop(0);
	if (!root_named && fchmod(root_fd, 0755) < 0)
		die_errno("chmod", "");
	if (ndevices) {
		char shown[2048] = "";
		for (size_t i = 0; i < ndevices && i < 4; i++) {
			size_t l = strlen(shown);
			snprintf(shown + l, sizeof shown - l, "%s/%s", i ? ", " : "", devices[i]);
		}
		warn("%zu device file%s skipped (%s%s): a node gets its /dev from netlab", ndevices, ndevices == 1 ? "" : "s", shown, ndevices > 4 ? ", …" : "");
	}
}

/* ---- the stream --------------------------------------------------------- */

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--check")) { /* netlab doctor: can libarchive be loaded? */
		const char *why = load_libarchive();
		if (why)
			fprintf(stderr, "%s\n", why);
		return why ? 1 : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--check-fetch")) { /* netlab doctor: can libcurl and libcrypto be loaded? */
		const char *why = fetch_load();
		if (why)
			fprintf(stderr, "%s\n", why);
		return why ? 1 : 0;
	}
	const char *url = NULL, *ca_file = NULL;
	unsigned long long size = 0;
	int direct = 0, bad = argc < 2;
	for (int i = 2; i < argc && !bad; i++) {
		if (!strcmp(argv[i], "--fetch") && i + 1 < argc)
			url = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--direct"))
			direct = 1;
		else if (!strcmp(argv[i], "--ca-file") && i + 1 < argc)
			ca_file = argv[++i];
		else
			bad = 1;
	}
	if (bad || (url && !size)) {
		fprintf(stderr, "usage: netlab-unpack DEST < layer.tar\n       netlab-unpack DEST --fetch URL --size BYTES [--direct] [--ca-file FILE]\n       netlab-unpack --check | --check-fetch\n");
		return 2;
	}
	/*
	 * Ctrl-C reaches the whole process group: netlab decides what a stop
	 * means (it kills this helper, removes the partial layer and exits 130).
	 * This helper ends when its input does, or when netlab kills it.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/*
	 * A download does not end with netlab (stdin would): should netlab be
	 * killed (kill -9), this helper dies with it instead of writing on into
	 * a folder the next pull removes.
	 */
	pid_t parent = getppid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return 1;
	/*
	 * PAX names are UTF-8; libarchive converts them to the locale's
	 * charset, which in the "C" locale fails for any non-ASCII name. In
	 * C.UTF-8 they come through as they are; ustar and GNU names are never
	 * converted (raw bytes).
	 */
	setlocale(LC_CTYPE, "C.UTF-8");
	const char *why = load_libarchive();
	if (why) {
		printf("E NOLIBARCHIVE\t\t%s\n", why);
		fflush(stdout);
		return 1;
	}
	if (url) {
		/* The token is wiped where /proc/<pid>/environ shows it (the start-up environment getenv points into). */
		char *headers = getenv("NETLAB_FETCH_HEADERS");
		char *copy = headers ? strdup(headers) : NULL;
		if (headers)
			memset(headers, 0, strlen(headers));
		unsetenv("NETLAB_FETCH_HEADERS");
		if ((why = fetch_load())) {
			printf("E NOFETCH\t\t%s\n", why);
			fflush(stdout);
			return 1;
		}
		if ((why = fetch_start(url, copy, direct, size, ca_file))) {
			printf("E NOFETCH\t\t%s\n", why);
			fflush(stdout);
			return 1;
		}
		free(copy);
		fetching = 1;
	}
	dest = argv[1];
	root_fd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root_fd < 0)
		die_errno("open", "");
	struct stat st;
	if (fstat(root_fd, &st) < 0)
		die_errno("stat", "");
	chown_all = (st.st_mode & S_ISGID) != 0;
	my_uid = geteuid();
	my_gid = getegid();
	/* Bigger reads from a pipe (no effect on a socket, nor without the right). */
	if (!fetching)
		fcntl(0, F_SETPIPE_SZ, 1 << 20);

	ar = la.read_new();
	if (!ar)
		refuse("out of memory");
	/* tar (ustar, PAX, GNU, v7) only, no filters: the bytes come inflated; an empty input is an empty layer. */
	la.support_format_tar(ar);
	la.support_format_empty(ar);
	if (la.open(ar, NULL, NULL, read_input, NULL) != ARCHIVE_OK)
		tar_failed("opening the tar");
	for (;;) {
		struct archive_entry *ae;
		int r = la.next_header(ar, &ae);
		if (r == ARCHIVE_EOF)
			break;
		/* ARCHIVE_RETRY is a header with a bad checksum: libarchive would search on for the next good one; a layer with one is damaged. */
		if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY)
			tar_failed("reading an entry's header");
		struct entry e;
		entry_of(ae, &e);
		if (r == ARCHIVE_WARN)
			warn("/%s: %s", e.name, la.error_string(ar) ? la.error_string(ar) : "a warning from libarchive");
		apply(&e);
		xattrs_free(e.xattrs, e.nxattrs);
	}
	/*
	 * libarchive stops at the tar's end marker; a tar writer may pad the
	 * stream after it (to a 10240-byte record). Read on to the end of the
	 * input, so netlab hashes every byte and never writes into a closed pipe.
	 */
	const void *rest;
	while (!input_ended)
		read_input(ar, NULL, &rest);
	finish();
	if (fetching) {
		char hex[65];
		fetch_digest(hex);
		printf("D %llu %llu %s %llu\n", entries, written, hex, fetch_bytes());
	} else {
		printf("D %llu %llu\n", entries, written);
	}
	if (fflush(stdout) != 0)
		return 1;
	return 0;
}
