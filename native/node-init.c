/*
 * The node's PID 1: builds the node (namespaces, cgroups, filesystem, hostname,
 * lo, capabilities), tells the launcher it is ready, then lives like tini:
 * all signals blocked and taken with sigtimedwait; SIGCHLD reaps zombies;
 * SIGTERM (or SIGPWR) sends SIGTERM to every process of the node, SIGKILL
 * after the grace period, and exits; other signals are forwarded to every
 * process of the node.
 */
#include "init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/prctl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
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

/*
 * User namespace, entered once the root filesystem is built (as host root, so
 * the lower "/" with its submounts, the device nodes, the masks and the
 * read-only /proc/sys are all in place, and locked for the node: a user
 * namespace cannot undo mounts it inherits). The launcher writes uid_map and
 * gid_map when told "U", then releases us on the sync pipe.
 */
static int enter_userns(const struct node_spec *s, int report_fd, int sync_fd)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return fail("unshare(user)", s->name);
	char line[32];
	snprintf(line, sizeof line, "U\t%d\n", s->idx);
	if (write_all(report_fd, line, strlen(line)) < 0)
		return fail("report", "launcher pipe");
	char c;
	ssize_t n;
	while ((n = read(sync_fd, &c, 1)) < 0 && errno == EINTR)
		;
	close(sync_fd);
	if (n != 1)
		return failx("wait for uid_map", "sync pipe", n < 0 ? errno : EPIPE);
	if (setresgid(0, 0, 0) < 0)
		return fail("setresgid", "0 (is 0 in the gid map?)");
	if (setresuid(0, 0, 0) < 0)
		return fail("setresuid", "0 (is 0 in the uid map?)");
	if (setgroups(0, NULL) < 0)
		return fail("setgroups", "none");
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

static int setup(struct node_spec *s, int report_fd, int sync_fd)
{
	bool userns = s->uidmap != NULL;
	if (set_cmdline(s) < 0)
		dprintf(2, "netlab-init: %s: %s: %s (ps shows the launcher's command line)\n",
			nl_err.step, nl_err.object, strerror(nl_err.errnum));
	/* Leave the CLI's session: a Ctrl-C in its terminal must not reach the lab. */
	if (setsid() < 0)
		return fail("setsid", s->name);
	if (s->log) {
		int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0 && errno == ENOENT) { /* its directory is not there yet: make it */
			char dir[NL_PATH_MAX];
			snprintf(dir, sizeof dir, "%s", s->log);
			char *slash = strrchr(dir, '/');
			if (slash && slash != dir)
				*slash = 0;
			if (mkdir_p(dir, 0755) == 0)
				fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		}
		if (fd < 0)
			return fail("open console log", s->log);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	trace("start");
	/* The node's PID 1 is never the OOM killer's choice; a memory hog is.
	 * Best effort: lowering it needs CAP_SYS_RESOURCE, which some hosts withhold. */
	write_file("/proc/self/oom_score_adj", "-1000", 0, 0);
	/* Cgroups first, while the host's cgroup tree is in view; the cgroup
	 * namespace below is then rooted at the node's own cgroup. */
	for (int j = 0; j < s->ncg; j++)
		if (join_node_cgroup(s, j, "0") < 0)
			return -1;
	trace("cgroups");
	const int nsflags = CLONE_NEWCGROUP | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
	if (unshare(userns ? CLONE_NEWNS : nsflags) < 0)
		return fail(userns ? "unshare(mnt)" : "unshare(cgroup|mnt|uts|ipc|net)", s->name);
	trace("unshare");
	/* Shared mounts (systemd hosts) would carry the node's mounts back to the host. */
	if (host_facts.shared_mounts && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("make mounts private", "/");
	int tmpfs = make_node_tmpfs(s);
	if (tmpfs < 0)
		return -1;
	trace("tmpfs");
	int root = make_overlay(s, tmpfs, NL_SKELETON_FD);
	close(NL_SKELETON_FD);
	if (root < 0)
		return -1;
	trace("overlay");
	if (mount_proc_sys(root) < 0)
		return -1;
	trace("proc+sys");
	int bind_fds[MAX_BINDS];
	if (s->nbinds > MAX_BINDS)
		return failx("binds", s->name, E2BIG);
	if (open_bind_sources(s, bind_fds) < 0)
		return -1;
	/*
	 * Closing a detached mount dissolves it and waits for an RCU grace period
	 * (namespace_unlock(), fs/namespace.c). Attached to the old root instead
	 * (on its /dev, nothing needs that any more; the overlay keeps its own
	 * clone of the upper layer), the tmpfs goes with the old root's detach
	 * below, in the same wait.
	 */
	if (move_mount(tmpfs, "", AT_FDCWD, "/dev", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return fail("move_mount node tmpfs", "/dev of the old root");
	close(tmpfs);
	umask(0);
	if (pivot_into_root(root) < 0)
		return -1;
	close(root);
	trace("pivot");
	if (mask_paths(userns) < 0 || proc_sys_readonly() < 0)
		return -1;
	trace("masks");
	umask(022);
	if (mount_binds(s, bind_fds) < 0)
		return -1;
	for (int i = 0; i < s->nbinds; i++)
		close(bind_fds[i]);
	if (userns) {
		if (enter_userns(s, report_fd, sync_fd) < 0)
			return -1;
		if (unshare(nsflags & ~CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0)
			return fail("unshare(cgroup|mnt|uts|ipc|net) in the user namespace", s->name);
		/* sysfs again: the first one showed the host's network devices */
		if (mount_sysfs_again() < 0)
			return -1;
		trace("userns");
	}
	if (mount_devpts(userns) < 0)
		return -1;
	trace("dev");
	if (sethostname(s->name, strlen(s->name)) < 0)
		return fail("sethostname", s->name);
	if (bring_lo_up() < 0)
		return -1;
	trace("hostname+lo");
	int r = drop_caps();
	trace("caps");
	/* Last, so that nothing of the setup meets it; netlab-enter gives every command the same (seccomp.c). */
	return r < 0 || !s->seccomp ? r : seccomp_install_default();
}

static void report(int fd, const char *line)
{
	/* One write below PIPE_BUF: atomic even with many nodes on one pipe (pipe(7)). */
	if (write_all(fd, line, strlen(line)) < 0)
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

static void __attribute__((noreturn)) init_loop(int grace_ms)
{
	sigset_t all;
	sigfillset(&all);
	long long deadline = -1;
	for (;;) {
		siginfo_t si;
		int sig;
		if (deadline < 0) {
			sig = sigwaitinfo(&all, &si);
		} else {
			long long left = deadline - now_ms();
			if (left <= 0) {
				kill(-1, SIGKILL);
				_exit(0); /* the kernel kills and reaps whatever is left (pid_namespaces(7)) */
			}
			if (left > 50)
				left = 50;
			struct timespec ts = { .tv_sec = 0, .tv_nsec = left * 1000000 };
			sig = sigtimedwait(&all, &si, &ts);
		}
		switch (sig) {
		case -1:
		case SIGCHLD:
			break;
		case SIGTERM:
		case SIGPWR:
			if (deadline < 0) {
				deadline = now_ms() + grace_ms;
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
			kill(-1, sig);
		}
		reap();
		if (deadline >= 0 && node_empty())
			_exit(0);
	}
}

void node_main(struct node_spec *s, int report_fd, int sync_fd)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	char line[NL_PATH_MAX + 256];
	if (setup(s, report_fd, sync_fd) < 0) {
		clean(nl_err.object);
		snprintf(line, sizeof line, "E\t%d\t%d\t%s\t%s\n", s->idx, nl_err.errnum, nl_err.step, nl_err.object);
		report(report_fd, line);
		_exit(1);
	}
	snprintf(line, sizeof line, "R\t%d\n", s->idx);
	report(report_fd, line);
	close(report_fd);
	init_loop(s->grace_ms);
}
