/*
 * The node's PID 1: builds the node (cgroups, namespaces, filesystem, user
 * namespace, hostname, lo, capabilities), tells the launcher it is ready, then
 * lives like tini: all signals blocked and taken from a signalfd; SIGCHLD
 * reaps zombies; SIGTERM (or SIGPWR) sends SIGTERM to every process of the
 * node, SIGKILL after the grace period, and exits; other signals are
 * forwarded to every process of the node. It also copies what the node
 * writes to /dev/console into the console log, up to NL_CONSOLE_MAX bytes.
 */
#include "init.h"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/prctl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BINDS 256

/*
 * Joins cgroup `dir` with `pid` ("0": the calling thread). On v1 the write goes
 * to `tasks`: moving the calling thread itself ("0") skips the global
 * cgroup_threadgroup_rwsem that cgroup.procs takes for writing
 * (cgroup_procs_write_start(), kernel/cgroup/cgroup.c); the first writer after
 * a quiet spell on that lock waits a whole RCU grace period (~10 ms here).
 * Only for v1: netlab enters cgroup2 with CLONE_INTO_CGROUP (no `tasks` there).
 */
int join_cgroup(const char *dir, const char *pid)
{
	char p[NL_PATH_MAX];
	if (path_join(p, dir, "tasks") < 0)
		return -1;
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("join cgroup", p); /* ENOENT: no such cgroup (the caller may use its parent) */
	if (write_all(fd, pid, strlen(pid)) < 0) {
		int e = errno;
		close(fd);
		return failx("join cgroup", p, e);
	}
	close(fd);
	return 0;
}

/*
 * /proc/PID/cmdline becomes "netlab-init <lab>/<node>", so ps on the host tells
 * the nodes apart. PR_SET_MM_MAP needs no privilege beyond owning the memory
 * (prctl(2)), so it also works in a user namespace.
 */
static char cmdline_buf[512];
static struct prctl_mm_map mm_template; /* the launcher's layout: its clones share it */
static bool mm_template_ok;

/* Reads the memory layout fields of /proc/self/stat (proc(5)) once, in the launcher. */
void read_mm_template(void)
{
	char buf[1024];
	if (read_file("/proc/self/stat", buf, sizeof buf) < 0)
		return;
	char *p = strrchr(buf, ')');
	if (!p)
		return;
	unsigned long long f[53] = { 0 };
	p += 2; /* field 3 */
	for (int i = 3; i <= 52 && p; i++) {
		if (i != 3)
			f[i] = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	mm_template = (struct prctl_mm_map){
		.start_code = f[26], .end_code = f[27], .start_stack = f[28], .start_data = f[45], .end_data = f[46],
		.start_brk = f[47], .env_start = f[50], .env_end = f[51], .auxv = NULL, .auxv_size = 0, .exe_fd = (unsigned)-1,
	};
	mm_template_ok = f[26] != 0;
}

static int set_cmdline(const struct node_spec *s)
{
	int n = snprintf(cmdline_buf, sizeof cmdline_buf, "netlab-init%c%s/%s", 0, s->lab, s->name);
	if (n < 0 || (size_t)n >= sizeof cmdline_buf)
		return failx("set cmdline", s->name, ENAMETOOLONG);
	if (!mm_template_ok)
		return failx("set cmdline", "/proc/self/stat", ENODATA);
	struct prctl_mm_map map = mm_template;
	map.brk = (unsigned long long)syscall(SYS_brk, 0);
	map.arg_start = (unsigned long long)(uintptr_t)cmdline_buf;
	map.arg_end = map.arg_start + (unsigned)n + 1;
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0) < 0)
		return fail("prctl(PR_SET_MM_MAP)", "/proc/self/cmdline");
	return 0;
}

static int bring_lo_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket", "lo");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)) < 0) {
		int e = errno;
		close(fd);
		return failx("set link up", "lo", e);
	}
	close(fd);
	return 0;
}

/* NETLAB_INIT_TRACE=1: each step's duration (µs) goes to the console log. */
bool nl_trace;
static long long trace_t0;

static void trace(const char *step)
{
	if (!nl_trace)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long t = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (trace_t0)
		dprintf(2, "trace %s %lld\n", step, t - trace_t0);
	trace_t0 = t;
}

/* What the setup steps hand on to each other. */
struct node_build {
	struct node_spec *s;
	bool userns;
	int userns_fd;             /* the node's user namespace (made by make_userns), or -1 */
	int tmpfs, root;           /* the node's tmpfs (upper, work) and its overlay */
	int layer_fds[NL_MAX_LAYERS], nlayer_fds; /* idmapped copies of the lower layers */
	int bind_fds[MAX_BINDS];
	int console;               /* read end of /dev/console */
	int built_mnt;             /* user namespace: the mount namespace the node was built in, kept (enter_node_userns) */
};

/* The console log on stdout and stderr; its folder is made when missing. */
static int open_console_log(const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ENOENT) {
		char dir[NL_PATH_MAX];
		snprintf(dir, sizeof dir, "%s", log);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = 0;
		if (mkdir_p(dir, 0755) == 0)
			fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return fail("open console log", log);
	if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
		int e = errno;
		close(fd);
		return failx("dup2", "console log", e);
	}
	close(fd);
	return 0;
}

/* The process: its name for ps, its own session (a Ctrl-C of the CLI's terminal must not reach the lab), its log. */
static int start_process(struct node_build *b)
{
	if (set_cmdline(b->s) < 0)
		dprintf(2, "netlab-init: %s: %s: %s (ps shows the launcher's command line)\n",
			nl_err.step, nl_err.object, strerror(nl_err.errnum));
	if (setsid() < 0)
		return fail("setsid", b->s->name);
	if (b->s->log && open_console_log(b->s->log) < 0)
		return -1;
	trace("start");
	/* The node's PID 1 is never the OOM killer's choice; a memory hog is.
	 * Best effort: lowering it needs CAP_SYS_RESOURCE, which some hosts withhold. */
	write_file("/proc/self/oom_score_adj", "-1000", 0, 0);
	return 0;
}

/* Cgroups first, while the host's cgroup tree is in view; the cgroup namespace is then rooted at the node's own. */
static int join_cgroups(struct node_build *b)
{
	for (int j = 0; j < b->s->ncg; j++)
		if (join_node_cgroup(b->s, j, "0") < 0)
			return -1;
	trace("cgroups");
	return 0;
}

/*
 * The namespaces. In a user namespace (node-userns.c) the network, uts, ipc
 * and cgroup namespaces belong to it and the node joins them now, still host
 * root, and gets a mount namespace of its own to build in; it enters the
 * user namespace itself once its root filesystem is built.
 */
static int make_namespaces(struct node_build *b)
{
	if (b->userns && make_userns(b->s, &b->userns_fd) < 0)
		return -1;
	if (b->userns)
		trace("userns-create");
	const int all = CLONE_NEWCGROUP | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
	if (unshare(b->userns ? CLONE_NEWNS : all) < 0)
		return fail(b->userns ? "unshare(mnt)" : "unshare(cgroup|mnt|uts|ipc|net)", b->s->name);
	/* Shared mounts (systemd hosts) would carry the node's mounts back to the host. */
	if (host_facts.shared_mounts && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("make mounts private", "/");
	trace("namespaces");
	return 0;
}

/* The overlay root (node-root.c): tmpfs for upper and work, the lower layers, /dev/console, /proc and /sys. */
static int build_root(struct node_build *b)
{
	if ((b->tmpfs = make_node_tmpfs(b->s)) < 0)
		return -1;
	trace("tmpfs");
	char *layers[NL_MAX_LAYERS];
	int nlayers = 0;
	if ((b->nlayer_fds = open_lower_layers(b->s, b->userns_fd, layers, &nlayers, b->layer_fds)) < 0)
		return -1;
	b->root = make_overlay(b->s, b->tmpfs, layers, nlayers);
	close(NL_SKELETON_FD);
	if (b->root < 0)
		return -1;
	trace("overlay");
	if ((b->console = open_console(b->root)) < 0 || mount_proc_sys(b->root) < 0)
		return -1;
	trace("proc+sys");
	if (b->s->nbinds > MAX_BINDS)
		return failx("binds", b->s->name, E2BIG);
	return open_bind_sources(b->s, b->userns_fd, b->bind_fds);
}

/* pivot_root into the overlay; the old root takes the detached mounts along (park_on_old_root). */
static int switch_root(struct node_build *b)
{
	if (park_on_old_root(b->tmpfs, "node tmpfs") < 0)
		return -1;
	while (b->nlayer_fds > 0)
		if (park_on_old_root(b->layer_fds[--b->nlayer_fds], "lower layer") < 0)
			return -1;
	umask(0);
	int r = pivot_into_root(b->root);
	close(b->root);
	trace("pivot");
	return r;
}

/* Masks, read-only /proc/sys, binds: made as host root, so a user namespace cannot undo them. */
static int lock_down_mounts(struct node_build *b)
{
	/* Rootless: /dev/null, which masks use, is itself one of the binds (no mknod in a user namespace). */
	umask(022);
	if (host_facts.in_userns && mount_binds(b->s, b->bind_fds) < 0)
		return -1;
	umask(0);
	if (mask_paths() < 0 || proc_sys_readonly() < 0)
		return -1;
	trace("masks");
	umask(022);
	if (!host_facts.in_userns && mount_binds(b->s, b->bind_fds) < 0)
		return -1;
	for (int i = 0; i < b->s->nbinds; i++)
		close(b->bind_fds[i]);
	return 0;
}

/*
 * Into the user namespace, then a copy of the mount namespace that it owns:
 * the copy locks every mount the node made as host root (a user namespace
 * cannot undo mounts it inherited, mount_namespaces(7)). The mount namespace
 * it leaves is kept (an fd PID 1 holds until it exits), not dropped: dropping
 * it would unmount its copies and wait for an RCU grace period in the middle
 * of the node's start (namespace_unlock(), fs/namespace.c); it goes with the
 * node, like the rest. Nothing in the node can use it: PID 1 is not dumpable,
 * and joining a mount namespace of the host's user namespace needs host root.
 */
static int enter_node_userns(struct node_build *b)
{
	if (!b->userns)
		return 0;
	int r = enter_userns(b->s, b->userns_fd);
	close(b->userns_fd);
	trace("userns");
	if (r < 0)
		return -1;
	if ((b->built_mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
		return fail("open", "/proc/self/ns/mnt");
	if (unshare(CLONE_NEWNS) < 0)
		return fail("unshare(mnt) in the user namespace", b->s->name);
	trace("mnt-copy");
	return 0;
}

/* devpts, hostname, lo; a session keyring of its own (not the one of whoever ran netlab up). */
static int finish_node(struct node_build *b)
{
	if (mount_devpts(b->userns) < 0)
		return -1;
	if (sethostname(b->s->name, strlen(b->s->name)) < 0)
		return fail("sethostname", b->s->name);
	if (bring_lo_up() < 0)
		return -1;
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		return fail("keyctl(KEYCTL_JOIN_SESSION_KEYRING)", "a new session keyring");
	trace("dev+hostname+lo");
	return 0;
}

/* Capabilities last but for the seccomp filter: the steps above need them. */
static int drop_privileges(struct node_build *b)
{
	int r = drop_caps();
	trace("caps");
	/* Last, so that nothing of the setup meets it; netlab-enter gives every command the same (seccomp.c). */
	return r < 0 || !b->s->seccomp ? r : seccomp_install_default();
}

static int setup(struct node_build *b)
{
	int (*const steps[])(struct node_build *) = {
		start_process, join_cgroups, make_namespaces, build_root, switch_root,
		lock_down_mounts, enter_node_userns, finish_node, drop_privileges,
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (steps[i](b) < 0)
			return -1;
	/* Nothing in the node may ptrace PID 1 or open its fds (the console log, a host file). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail("prctl(PR_SET_DUMPABLE)", "0");
	return 0;
}

/*
 * One line on the launcher's pipe, in one write of at most PIPE_BUF bytes, so
 * it is never interleaved with another node's (pipe(7)); a long object is cut.
 */
static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
	char line[PIPE_BUF];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		_exit(3);
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	ssize_t w;
	while ((w = write(fd, line, (size_t)n)) < 0 && errno == EINTR)
		;
	if (w != n)
		_exit(3);
}

static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = '?';
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Nothing but us left in the node's pid namespace? kill(2): -1 skips the caller. */
static bool node_empty(void)
{
	return kill(-1, 0) < 0 && errno == ESRCH;
}

/*
 * Copies what waits in /dev/console into the console log (our stdout) until
 * the log holds NL_CONSOLE_MAX bytes; then says so once and drops the rest,
 * so a node can neither fill the host's disk nor block on a full pipe.
 */
static void relay_console(int console, const char *name)
{
	static bool full;
	char buf[65536];
	ssize_t n;
	while ((n = read(console, buf, sizeof buf)) > 0) {
		struct stat st;
		if (full || fstat(1, &st) < 0)
			continue;
		long long room = NL_CONSOLE_MAX - (long long)st.st_size;
		if (room > 0)
			write_all(1, buf, (size_t)(n < room ? n : room));
		if (n >= room) {
			full = true;
			dprintf(1, "\nnetlab-init: %s: the console log is full (%d MiB): the rest of the node's console output is dropped\n",
				name, NL_CONSOLE_MAX >> 20);
		}
	}
}

static void __attribute__((noreturn)) init_loop(int sfd, int console, const struct node_spec *s)
{
	long long deadline = -1;
	for (;;) {
		int timeout = -1;
		if (deadline >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				kill(-1, SIGKILL);
				_exit(0); /* the kernel kills and reaps whatever is left (pid_namespaces(7)) */
			}
			timeout = left > 50 ? 50 : (int)left;
		}
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { console, POLLIN, 0 } };
		if (poll(p, 2, timeout) > 0 && (p[1].revents & POLLIN))
			relay_console(console, s->name);
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) == sizeof si) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				break;
			case SIGTERM:
			case SIGPWR:
				if (deadline < 0) {
					deadline = now_ms() + s->grace_ms;
					kill(-1, SIGTERM);
					kill(-1, SIGCONT);
				}
				break;
			case SIGTSTP:
			case SIGTTIN:
			case SIGTTOU:
			case SIGPIPE:
				break;
			default:
				kill(-1, (int)si.ssi_signo);
			}
		}
		reap();
		if (deadline >= 0 && node_empty())
			_exit(0);
	}
}

void node_main(struct node_spec *s, int report_fd)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	struct node_build b = { .s = s, .userns = s->uidmap != NULL, .userns_fd = -1, .tmpfs = -1, .root = -1, .console = -1, .built_mnt = -1 };
	int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		fail("signalfd", s->name);
	if (sfd < 0 || setup(&b) < 0) {
		clean(nl_err.object);
		report(report_fd, "E\t%d\t%d\t%s\t%s\n", s->idx, nl_err.errnum, nl_err.step, nl_err.object);
		_exit(1);
	}
	report(report_fd, "R\t%d\n", s->idx);
	close(report_fd);
	init_loop(sfd, b.console, s);
}
