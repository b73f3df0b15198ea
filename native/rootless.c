/*
 * netlab-rootless: runs netlab for an ordinary user inside a user namespace
 * that user owns (docs/rootless.md, docs/decisions.md "Labs without root").
 *
 *   netlab-rootless PROGRAM [ARG...]              as a user: join (or make) the
 *                                                 user's keeper, exec PROGRAM
 *   netlab-rootless --user NAME PROGRAM [ARG...]  as root: join NAME's keeper
 *                                                 as NAME's namespace root
 *   netlab-rootless --keeper-pid [--user NAME]    print the keeper's pid, or exit 3
 *   netlab-rootless --stop [--user NAME]          stop the keeper (no lab may run)
 *
 * Node.js is multi-threaded and so cannot setns(2) into a user namespace
 * (setns(2): "the caller must not be multithreaded"); this small program does
 * it before it execs node. The namespaces are held by a "keeper" process (what
 * podman calls its pause process): it unshares a user and a mount namespace
 * (and a network namespace: the "host" of the user's labs, where netlab's
 * own sockets live and where it returns between nodes; a process of the user
 * may not setns(2) back into the host's, which init's user namespace owns)
 * is mapped by newuidmap(1)/newgidmap(1) — 0 → the user's own id, 1..N → the
 * user's subordinate ids of /etc/subuid and /etc/subgid — mounts a tmpfs on
 * the user's run folder (in its own mount namespace only) and then sleeps.
 * Its pid and start time are in <base>/keeper.pid, where <base> is
 * $XDG_RUNTIME_DIR/netlab, else ~/.cache/netlab.
 *
 * Every process joins the keeper's namespaces and execs with:
 *   NETLAB_ROOTLESS=<host uid>      (src/core/rootless.ts reads it)
 *   NETLAB_RUN_DIR=<base>/run       (unless set)
 *   NETLAB_STORE=$XDG_DATA_HOME/netlab or ~/.local/share/netlab (unless set)
 *
 * Exit codes: the program's; 2 for what a user or root must set up (no
 * subordinate ids, no such user, unprivileged user namespaces forbidden: the
 * message names the sysctl), 1 for other failures of the kernel.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#define PATHMAX 4096
#define BASEMAX (PATHMAX - 128) /* <base>: room for /keeper.lock and the like */
#define HOMEMAX (PATHMAX - 256)

static int die(int code, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (hint)
		fprintf(stderr, "hint: %s\n", hint);
	exit(code);
}

/* The user's name, home and primary gid from /etc/passwd (no NSS: a static binary). */
struct user {
	char name[256];
	char home[HOMEMAX];
	uid_t uid;
	gid_t gid;
};

static int find_user(const char *name, uid_t uid, struct user *u)
{
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return -1;
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		char *save = NULL;
		char *n = strtok_r(line, ":", &save);
		strtok_r(NULL, ":", &save); /* password */
		char *us = strtok_r(NULL, ":", &save);
		char *gs = strtok_r(NULL, ":", &save);
		char *gecos = save; /* may be empty: find the home by hand */
		if (!n || !us || !gs || !gecos)
			continue;
		char *colon = strchr(gecos, ':');
		if (!colon)
			continue;
		char *home = colon + 1;
		char *end = strchr(home, ':');
		if (end)
			*end = 0;
		uid_t lu = (uid_t)strtoul(us, NULL, 10);
		if ((name && strcmp(name, n) == 0) || (!name && lu == uid)) {
			snprintf(u->name, sizeof u->name, "%s", n);
			snprintf(u->home, sizeof u->home, "%s", home);
			u->uid = lu;
			u->gid = (gid_t)strtoul(gs, NULL, 10);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

/* The user's largest range in subuid(5)/subgid(5) (by name or by uid); 0 when none. */
static int subordinate(const char *file, const struct user *u, unsigned long *start, unsigned long *count)
{
	FILE *f = fopen(file, "re");
	*count = 0;
	if (!f)
		return 0;
	char line[1024], idstr[32];
	snprintf(idstr, sizeof idstr, "%u", (unsigned)u->uid);
	while (fgets(line, sizeof line, f)) {
		char *save = NULL;
		char *n = strtok_r(line, ":", &save), *s = strtok_r(NULL, ":", &save), *c = strtok_r(NULL, ":\n", &save);
		if (!n || !s || !c || (strcmp(n, u->name) && strcmp(n, idstr)))
			continue;
		unsigned long cs = strtoul(c, NULL, 10);
		if (cs > *count) {
			*start = strtoul(s, NULL, 10);
			*count = cs;
		}
	}
	fclose(f);
	return *count > 0;
}

/* <base>: $XDG_RUNTIME_DIR/netlab when that folder is the user's own, else <home>/.cache/netlab. */
static void base_dir(const struct user *u, bool own_env, char *out)
{
	const char *x = own_env ? getenv("XDG_RUNTIME_DIR") : NULL;
	char runuser[64];
	struct stat st;
	if (!own_env) {
		snprintf(runuser, sizeof runuser, "/run/user/%u", (unsigned)u->uid);
		x = runuser;
	}
	if (x && x[0] == '/' && stat(x, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == u->uid)
		snprintf(out, BASEMAX, "%s/netlab", x);
	else
		snprintf(out, BASEMAX, "%s/.cache/netlab", u->home);
}

/* A small file into buf (NUL-terminated, no symbolic link followed); false when it cannot be read or is empty. */
static bool read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

/* Start time (field 22 of /proc/PID/stat); 0 when the process is gone or a zombie. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!read_small(path, buf, sizeof buf))
		return 0;
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

/* The keeper's pid when <base>/keeper.pid names a live keeper of uid `uid`, else 0. */
static pid_t read_keeper(const char *base, uid_t uid)
{
	char path[PATHMAX], buf[128];
	snprintf(path, sizeof path, "%s/keeper.pid", base);
	if (!read_small(path, buf, sizeof buf))
		return 0;
	long pid = 0;
	unsigned long long st = 0;
	if (sscanf(buf, "%ld %llu", &pid, &st) != 2 || pid <= 1)
		return 0;
	char proc[64];
	struct stat s;
	snprintf(proc, sizeof proc, "/proc/%ld", pid);
	if (stat(proc, &s) < 0 || s.st_uid != uid || start_time((pid_t)pid) != st)
		return 0;
	return (pid_t)pid;
}

static int run_map(const char *prog, pid_t pid, unsigned long own, unsigned long start, unsigned long count)
{
	char a[5][32];
	snprintf(a[0], 32, "%d", (int)pid);
	snprintf(a[1], 32, "%lu", own);
	snprintf(a[2], 32, "%lu", start);
	snprintf(a[3], 32, "%lu", count);
	pid_t c = fork();
	if (c < 0)
		return -1;
	if (c == 0) {
		char *argv[] = { (char *)prog, a[0], "0", a[1], "1", "1", a[2], a[3], NULL };
		char *paths[] = { "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", NULL };
		char p[128];
		for (int i = 0; paths[i]; i++) {
			snprintf(p, sizeof p, "%s%s", paths[i], prog);
			execv(p, argv);
		}
		_exit(127);
	}
	int st;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *USERNS_HINT =
	"the kernel refuses unprivileged user namespaces here: ask root to allow them "
	"(sysctl -w kernel.unprivileged_userns_clone=1 on Debian kernels before 6.x; "
	"sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 23.10+; "
	"sysctl -w user.max_user_namespaces=15000 where it is 0); netlab doctor shows which";

/*
 * The setting that forbids an unprivileged user namespace here, or NULL:
 * kernel.unprivileged_userns_clone = 0 (Debian's patch), AppArmor's
 * kernel.apparmor_restrict_unprivileged_userns = 1 (Ubuntu 23.10+), or
 * user.max_user_namespaces = 0 (user_namespaces(7), /proc/sys/user).
 */
static const char *userns_forbidden(void)
{
	static const struct { const char *path, *value, *name; } settings[] = {
		{ "/proc/sys/kernel/unprivileged_userns_clone", "0", "the sysctl kernel.unprivileged_userns_clone = 0" },
		{ "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1", "AppArmor's sysctl kernel.apparmor_restrict_unprivileged_userns = 1" },
		{ "/proc/sys/user/max_user_namespaces", "0", "the sysctl user.max_user_namespaces = 0" },
	};
	char buf[32];
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		if (!read_small(settings[i].path, buf, sizeof buf))
			continue;
		buf[strcspn(buf, " \n")] = 0;
		if (strcmp(buf, settings[i].value) == 0)
			return settings[i].name;
	}
	return NULL;
}

/* Makes the keeper: returns its pid once it is mapped and has mounted the run folder. */
static pid_t make_keeper(const struct user *u, const char *base)
{
	unsigned long us, uc, gs, gc;
	if (!subordinate("/etc/subuid", u, &us, &uc) || !subordinate("/etc/subgid", u, &gs, &gc)) {
		char hint[1024];
		snprintf(hint, sizeof hint, "root runs once: sudo netlab setup-user %s (or usermod --add-subuids 200000-265535 --add-subgids 200000-265535 %s, a range no other user has); netlab doctor checks it (docs/rootless.md)", u->name, u->name);
		die(2, hint, "user %s has no subordinate ids in /etc/subuid and /etc/subgid: netlab needs them to run labs without root", u->name);
	}
	int up[2], down[2];
	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
		die(1, NULL, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die(1, NULL, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		char r = unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) == 0 ? 'u' : (char)errno;
		if (write(up[1], &r, 1) != 1 || r != 'u')
			_exit(1);
		if (read(down[0], &r, 1) != 1 || r != 'm') /* the parent has written the maps */
			_exit(1);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			_exit(1);
		/* The run folder: a tmpfs in this mount namespace only (in memory, gone with the keeper, private to this user). */
		char run[PATHMAX];
		snprintf(run, sizeof run, "%s/run", base);
		r = 'k';
		if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
		    mount("netlab", run, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
			r = (char)errno;
		if (write(up[1], &r, 1) != 1 || r != 'k')
			_exit(1);
		/* Nothing of the launcher's stays open: not the keeper lock (a waiting netlab would wait forever), not the pipes. */
		close_range(3, ~0U, 0);
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		prctl(PR_SET_NAME, "netlab-keeper");
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		if (chdir("/") < 0)
			_exit(1);
		/* ps then shows "netlab-keeper USER" (keeper_loop in main) */
		execl("/proc/self/exe", "netlab-keeper", u->name, (char *)NULL);
		for (;;)
			pause();
	}
	close(up[1]);
	close(down[0]);
	char r = 0;
	if (read(up[0], &r, 1) != 1 || r != 'u') {
		const char *why = userns_forbidden();
		if (why)
			die(2, USERNS_HINT, "cannot make a user namespace (%s): %s forbids unprivileged user namespaces", strerror(r ? r : EIO), why);
		if (r == EPERM || r == EACCES || r == ENOSPC || r == EINVAL)
			die(2, USERNS_HINT, "cannot make a user namespace: %s", strerror(r ? r : EIO));
		die(1, NULL, "cannot make a user namespace: %s", strerror(r ? r : EIO));
	}
	int e1 = run_map("newuidmap", pid, u->uid, us, uc);
	int e2 = e1 ? 0 : run_map("newgidmap", pid, u->gid, gs, gc);
	if (e1 || e2) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if ((e1 ? e1 : e2) == 127)
			die(2, "root runs once: apt-get install uidmap (Debian, Ubuntu) or dnf install shadow-utils", "newuidmap and newgidmap are not installed: netlab needs them to run labs without root");
		die(1, "check the lines of /etc/subuid and /etc/subgid for this user (they must not overlap another user's), and that newuidmap is setuid root (ls -l /usr/bin/newuidmap)",
		    "%s refused to map %lu subordinate ids of user %s", e1 ? "newuidmap" : "newgidmap", e1 ? uc : gc, u->name);
	}
	r = 'm';
	if (write(down[1], &r, 1) != 1 || read(up[0], &r, 1) != 1 || r != 'k') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		die(1, NULL, "the keeper of user %s could not mount its run folder %s/run: %s", u->name, base, strerror(r > 0 && r != 'k' ? r : EIO));
	}
	close(up[0]);
	close(down[1]);
	return pid;
}

/* The keeper of `u`, made (and recorded) when missing and `make` is set; 0 when none. */
static pid_t keeper(const struct user *u, const char *base, bool make)
{
	pid_t pid = read_keeper(base, u->uid);
	if (pid || !make)
		return pid;
	char path[PATHMAX], tmp[PATHMAX + 8];
	snprintf(path, sizeof path, "%s/run", base);
	if (mkdir_p(path, 0700) < 0)
		die(1, "check that you can write there, or set XDG_RUNTIME_DIR", "cannot make %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/keeper.lock", base);
	int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		die(1, NULL, "cannot lock %s: %s", path, strerror(errno));
	pid = read_keeper(base, u->uid); /* another netlab made it meanwhile */
	if (!pid) {
		pid = make_keeper(u, base);
		snprintf(path, sizeof path, "%s/keeper.pid", base);
		snprintf(tmp, sizeof tmp, "%s.tmp", path);
		FILE *f = fopen(tmp, "we");
		if (!f || fprintf(f, "%d %llu\n", (int)pid, start_time(pid)) < 0 || fclose(f) != 0 || rename(tmp, path) < 0)
			die(1, NULL, "cannot write %s: %s", path, strerror(errno));
	}
	close(lock);
	return pid;
}

static void join(pid_t pid, bool as_root_of_ns)
{
	char path[64];
	int fds[3];
	const char *ns[3] = { "user", "mnt", "net" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, ns[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			die(1, NULL, "cannot open %s: %s", path, strerror(errno));
	}
	if (setns(fds[0], CLONE_NEWUSER) < 0)
		die(1, NULL, "cannot join the user namespace of netlab's keeper (pid %d): %s", (int)pid, strerror(errno));
	if (setns(fds[1], CLONE_NEWNS) < 0)
		die(1, NULL, "cannot join the mount namespace of netlab's keeper (pid %d): %s", (int)pid, strerror(errno));
	if (setns(fds[2], CLONE_NEWNET) < 0)
		die(1, NULL, "cannot join the network namespace of netlab's keeper (pid %d): %s", (int)pid, strerror(errno));
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
	if (as_root_of_ns && (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		die(1, NULL, "cannot become root of the user's namespace: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "netlab-keeper") == 0) { /* the keeper, re-executed by make_keeper */
		for (;;)
			pause();
	}
	const char *name = NULL;
	bool print_pid = false, stop = false;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--keeper-pid") == 0)
			print_pid = true;
		else if (strcmp(argv[i], "--stop") == 0)
			stop = true;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			break;
	}
	uid_t me = geteuid();
	if (name && me != 0)
		die(2, "only root may act on another user's labs; your own labs need no --user", "--user %s: you are not root", name);
	if (!print_pid && !stop && i >= argc)
		die(2, NULL, "usage: netlab-rootless [--user NAME] PROGRAM [ARG...]");
	struct user u;
	if (find_user(name, me, &u) < 0) {
		if (name)
			die(2, "name a user of /etc/passwd", "--user %s: no such user", name);
		die(1, NULL, "uid %u is not in /etc/passwd", (unsigned)me);
	}
	char base[BASEMAX];
	base_dir(&u, !name, base);
	pid_t pid = keeper(&u, base, !name && !print_pid && !stop);
	if (print_pid || stop) {
		if (!pid)
			return 3;
		if (print_pid)
			printf("%d\n", (int)pid);
		else
			kill(pid, SIGKILL);
		return 0;
	}
	if (!pid)
		die(2, "the user has started no lab (netlab up as that user starts it)", "user %s has no running netlab (no keeper in %s)", u.name, base);

	char cwd[PATHMAX];
	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "/");
	join(pid, name != NULL || me != 0);
	if (chdir(cwd) < 0 && chdir("/") < 0)
		die(1, NULL, "chdir: %s", strerror(errno));

	char buf[PATHMAX + 32];
	snprintf(buf, sizeof buf, "%u", (unsigned)u.uid);
	setenv("NETLAB_ROOTLESS", buf, 1);
	snprintf(buf, sizeof buf, "%s/run", base);
	if (name || !getenv("NETLAB_RUN_DIR"))
		setenv("NETLAB_RUN_DIR", buf, 1);
	const char *xdg = name ? NULL : getenv("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/')
		snprintf(buf, sizeof buf, "%s/netlab", xdg);
	else
		snprintf(buf, sizeof buf, "%s/.local/share/netlab", u.home);
	if (name || !getenv("NETLAB_STORE"))
		setenv("NETLAB_STORE", buf, 1);
	if (name) {
		setenv("HOME", u.home, 1);
		setenv("USER", u.name, 1);
		setenv("LOGNAME", u.name, 1);
	}
	execvp(argv[i], argv + i);
	die(1, NULL, "cannot run %s: %s", argv[i], strerror(errno));
}
