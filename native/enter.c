/*
 * netlab-enter — run a command inside a running node.
 *
 *   netlab-enter --pid PID [--starttime N] [--lab LAB] [--node NODE] [--class CLS]
 *                [--cwd DIR] [--user UID:GID] [--env K=V]... [-t [--winsize-fd FD]] [--detach [--log FILE]] -- CMD [ARG...]
 *   netlab-enter --cli exec [--lab LAB] [--class NAME] [-t] NODE [--] CMD...   (enter-cli.c)
 *   netlab-enter --cli shell [--lab LAB] NODE
 *
 * Steps, one function each: hold the node's PID 1 by a pidfd (pidfd_open(2))
 * and check it is the node (its start time), so a pid the kernel has reused is
 * refused and nothing is opened for another process; open its cgroups (and,
 * for a terminal, a pty of its devpts) while the host's view is ours, and check
 * the pidfd still names a live process, which proves the pid was not reused
 * meanwhile; setns(pidfd, CLONE_NEWPID) so the child is born in the node's pid
 * namespace; fork (clone3 into the node's cgroup2 dir); the child joins the v1
 * cgroups, then setns(pidfd, cgroup|ipc|uts|net|mnt|user) in one call (Linux
 * 5.8; host root writes the host's cgroup files first), becomes the node's
 * root, takes a session keyring of its own, drops the capabilities a node has
 * not got, and execs with a clean environment. The parent forwards signals (or
 * relays a pty) and exits with the child's status, 128+n when it was killed by
 * signal n.
 */
#include "enter.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* What the child failed at: the parent turns it into a message and an exit code. */
enum child_step {
	STEP_CGROUP, STEP_SETNS, STEP_SETRESUID, STEP_SETSID, STEP_PTY, STEP_FORK, STEP_LOG,
	STEP_CHDIR, STEP_KEYRING, STEP_CAPS, STEP_EXEC, STEP_CONFINE, STEP_USER,
};
static const char *const step_names[] = {
	[STEP_CGROUP] = "join cgroup", [STEP_SETNS] = "setns", [STEP_SETRESUID] = "setresuid",
	[STEP_SETSID] = "setsid", [STEP_PTY] = "open pty", [STEP_FORK] = "fork", [STEP_LOG] = "open log",
	[STEP_CHDIR] = "chdir", [STEP_KEYRING] = "session keyring", [STEP_CAPS] = "drop capabilities",
	[STEP_EXEC] = "exec", [STEP_CONFINE] = "follow the node's limits and seccomp filter", [STEP_USER] = "set user",
};

/* The child's report on the error pipe: nothing when exec succeeded (O_CLOEXEC). */
struct child_report {
	int errnum;
	int step; /* enum child_step */
};

static char **clean_env(const struct enter_req *r)
{
	static char *env[64 + 32];
	static char lab[256], node[256], term[256], lang[256];
	int n = 0;
	env[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	env[n++] = "HOME=/root";
	env[n++] = "USER=root";
	env[n++] = "LOGNAME=root";
	const char *t = getenv("TERM"), *l = getenv("LANG");
	snprintf(term, sizeof term, "TERM=%s", t && t[0] ? t : "dumb");
	env[n++] = term;
	snprintf(lang, sizeof lang, "LANG=%s", l && l[0] ? l : "C.UTF-8");
	env[n++] = lang;
	if (r->lab) {
		snprintf(lab, sizeof lab, "NETLAB_LAB=%s", r->lab);
		env[n++] = lab;
	}
	if (r->node) {
		snprintf(node, sizeof node, "NETLAB_NODE=%s", r->node);
		env[n++] = node;
	}
	for (int i = 0; i < r->nenv && n < 64 + 30; i++) {
		/* a later K=V replaces an earlier one */
		size_t klen = strcspn(r->env[i], "=");
		int j;
		for (j = 0; j < n; j++)
			if (!strncmp(env[j], r->env[i], klen + 1))
				break;
		env[j] = r->env[i];
		if (j == n)
			n++;
	}
	env[n] = NULL;
	return env;
}

/* The node's login shell: bash where it has one, sh otherwise. */
static char **default_shell(void)
{
	static char *bash[] = { "/bin/bash", "-l", NULL }, *sh[] = { "/bin/sh", "-l", NULL };
	return access("/bin/bash", X_OK) == 0 ? bash : sh;
}

struct child_ctx {
	const struct enter_req *r;
	int pidfd;    /* the node's PID 1 */
	int nsflags;  /* the namespaces to join through it */
	int cg[32], ncg;
	int slave;
	int errpipe;
	int alive; /* read end of a pipe only netlab-enter writes to: POLLHUP once it is gone */
	bool filter; /* the node's PID 1 has the node's seccomp filter: the command gets it too */
};

static int __attribute__((noreturn)) child_fail(const struct child_ctx *c, int step)
{
	struct child_report rep = { errno, step };
	if (write(c->errpipe, &rep, sizeof rep)) {
	}
	_exit(rep.errnum == ENOENT ? 127 : 126);
}

/* Cgroups (host root writes the host's cgroup files), then every namespace at once, then the node's root. */
static void child_join(struct child_ctx *c)
{
	/* The node's open-files limit and seccomp filter, read from its PID 1 while /proc is the host's. */
	if (follow_node_confinement(c->r->pid, &c->filter) < 0) {
		errno = nl_err.errnum;
		child_fail(c, STEP_CONFINE);
	}
	for (int i = 0; i < c->ncg; i++) {
		if (write(c->cg[i], "0", 1) != 1)
			child_fail(c, STEP_CGROUP);
		close(c->cg[i]);
	}
	if (setns(c->pidfd, c->nsflags) < 0)
		child_fail(c, STEP_SETNS);
	close(c->pidfd);
	if (c->nsflags & CLONE_NEWUSER) {
		if ((setgroups(0, NULL) < 0 && errno != EPERM) || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			child_fail(c, STEP_SETRESUID);
	}
}

/* A terminal (the pty's slave as controlling terminal), a detached daemon, or a child that dies with us. */
static void child_stdio(struct child_ctx *c)
{
	const struct enter_req *r = c->r;
	if ((r->detach || r->tty) && setsid() < 0)
		child_fail(c, STEP_SETSID);
	if (r->tty) {
		if (ioctl(c->slave, TIOCSCTTY, 0) < 0 || dup2(c->slave, 0) < 0 || dup2(c->slave, 1) < 0 ||
		    dup2(c->slave, 2) < 0)
			child_fail(c, STEP_PTY);
		close(c->slave);
	}
	if (r->detach) {
		pid_t p = fork();
		if (p < 0)
			child_fail(c, STEP_FORK);
		if (p > 0)
			_exit(0); /* the command is reparented to the node's PID 1 */
		/* Our pipes stay ours: the command gets /dev/null, or appends to its log (a path inside the node). */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log = r->log ? open(r->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : null;
		if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			child_fail(c, STEP_LOG);
	} else {
		/* Dies with netlab-enter: a killed `netlab exec` leaves nothing running.
		 * If netlab-enter died before this, its end of the alive pipe is closed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		struct pollfd pf = { c->alive, 0, 0 };
		if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)))
			_exit(128 + SIGKILL);
	}
}

static void __attribute__((noreturn)) child(struct child_ctx *c)
{
	const struct enter_req *r = c->r;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	child_join(c);
	child_stdio(c);
	if (chdir(r->cwd ? r->cwd : "/") < 0)
		child_fail(c, STEP_CHDIR);
	/* Not the session keyring of whoever ran netlab (keyrings(7)): a new, empty one. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		child_fail(c, STEP_KEYRING);
	if (drop_caps() < 0)
		child_fail(c, STEP_CAPS);
	/* The node's seccomp filter after the keyring (it refuses keyctl), before the
	 * image's User: installing one needs CAP_SYS_ADMIN (seccomp(2)), which a
	 * non-root user does not keep. */
	if (c->filter && seccomp_install_default() < 0) {
		errno = nl_err.errnum;
		child_fail(c, STEP_CONFINE);
	}
	/* The image's User (config.md): a non-root uid loses every capability at setresuid (capabilities(7)). */
	if (r->user && (setgroups(0, NULL) < 0 || setresgid(r->gid, r->gid, r->gid) < 0 || setresuid(r->uid, r->uid, r->uid) < 0))
		child_fail(c, STEP_USER);
	char **argv = r->argv[0] ? r->argv : default_shell();
	environ = clean_env(r);
	execvp(argv[0], argv);
	child_fail(c, STEP_EXEC);
}

static pid_t spawn(struct child_ctx *c, int v2_dir)
{
	struct clone_args args;
	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	if (v2_dir >= 0) {
		args.flags = CLONE_INTO_CGROUP;
		args.cgroup = (unsigned)v2_dir;
	}
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0 && v2_dir >= 0) {
		/* ENOSYS: old kernel; EAGAIN: the node is at its pids limit (a fork
		 * bomb): migrate instead, which the limit does not stop. */
		char p[64];
		snprintf(p, sizeof p, "/proc/self/fd/%d/cgroup.procs", v2_dir);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && c->ncg < 32)
			c->cg[c->ncg++] = fd;
		pid = fork();
	}
	if (pid == 0)
		child(c);
	return (pid_t)pid;
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Forwards signals sent to us (kill(1), a supervisor) to the command; signals
 * from our terminal reach it directly, it is in our process group. */
static int wait_forwarding(pid_t pid)
{
	sigset_t set;
	sigfillset(&set);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig == SIGCHLD) {
			int status;
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				return exit_status(status);
			continue;
		}
		if (sig > 0 && sig != SIGWINCH && (si.si_code == SI_USER || si.si_code == SI_QUEUE))
			kill(pid, sig);
	}
}

/* Has the process behind the pidfd exited? (a pidfd polls readable then: pidfd_open(2)) */
static bool pidfd_exited(int pidfd)
{
	struct pollfd p = { pidfd, POLLIN, 0 };
	return poll(&p, 1, 0) != 0;
}

/*
 * A pidfd for the node's PID 1, checked to be the node: alive, not a zombie,
 * with the start time the lab recorded. Returns the pidfd, or -1 after saying
 * that the node is not running.
 */
static int hold_node(const struct enter_req *r)
{
	const char *who = r->node ? r->node : "node";
	int pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	unsigned long long st;
	char state;
	if (pidfd >= 0 && proc_stat(r->pid, &st, &state) == 0 && state != 'Z' && (!r->starttime || st == r->starttime))
		return pidfd;
	if (pidfd >= 0)
		close(pidfd);
	char hint[256];
	snprintf(hint, sizeof hint, "netlab status%s%s shows the lab's nodes; netlab down cleans up what is left",
		 r->lab ? " " : "", r->lab ? r->lab : "");
	say_error(hint, "%s%s%s: the node is not running (its PID 1, %d, is gone)", r->lab ? r->lab : "",
		  r->lab ? "/" : "", who, (int)r->pid);
	return -1;
}

/* Does the node have a user namespace of its own? (setns to our own would fail with EINVAL) */
static bool own_userns(pid_t pid)
{
	char p[64];
	struct stat a, b;
	snprintf(p, sizeof p, "/proc/%d/ns/user", (int)pid);
	return stat(p, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev);
}

/*
 * A pty of the node's own devpts, so `tty` inside names it. The path is the
 * node's: resolved inside its root with no symlink followed (openat2(2)
 * RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), and what opens must be a devpts
 * ptmx (a character device 5:2 on a devpts filesystem) — never a file the
 * node put there for host root to open.
 */
static int open_node_pty(pid_t pid, int *slave, int winsize_fd)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/root", (int)pid);
	int root = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return fail("open", p);
	struct open_how how = {
		.flags = O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int master = (int)syscall(SYS_openat2, root, "dev/pts/ptmx", &how, sizeof how);
	close(root);
	if (master < 0)
		return fail("open pty", "/dev/pts/ptmx in the node");
	struct statfs sfs;
	struct stat st;
	int unlock = 0, fl = 0;
	if (fstatfs(master, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC || fstat(master, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) {
		close(master);
		return failx("open pty", "/dev/pts/ptmx in the node is not a devpts ptmx", EPERM);
	}
	if (ioctl(master, FIONBIO, &fl) < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
	    (*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		int e = errno;
		close(master);
		return failx("open pty", "/dev/pts/ptmx in the node", e);
	}
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
	else if (winsize_fd > 2)
		apply_winsizes(winsize_fd, master); /* the size the caller sent before we started */
	return master;
}

/* What the parent prepares: cgroups, the pty, the pipes; nl_err says what failed. NL_NO_CLASS: an unknown class. */
static int prepare(const struct enter_req *r, struct child_ctx *c, int *v2_dir, int *master)
{
	c->ncg = open_node_cgroups(r->pid, r->lab, r->node, r->cls, c->cg, 30, v2_dir);
	if (c->ncg < 0)
		return c->ncg;
	if (r->tty && (*master = open_node_pty(r->pid, &c->slave, r->winsize_fd)) < 0)
		return -1;
	/* Everything above was opened by pid: it was the node's if the node still runs (a live process keeps its pid). */
	if (pidfd_exited(c->pidfd))
		return failx("the node stopped", r->node ? r->node : "node", ESRCH);
	if (setns(c->pidfd, CLONE_NEWPID) < 0)
		return fail("setns(pid)", "pid namespace");
	int errpipe[2], alive[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return fail("pipe", "error pipe");
	if (pipe2(alive, O_CLOEXEC) < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		return fail("pipe", "alive pipe");
	}
	c->errpipe = errpipe[1];
	c->alive = alive[0];
	return errpipe[0]; /* alive[1] stays open until we exit */
}

/* The child's report when it could not run the command: says why, returns the exit status. */
static int child_failed(const struct enter_req *r, const struct child_report *rep, pid_t pid)
{
	const char *who = r->node ? r->node : "node";
	int status;
	waitpid(pid, &status, 0);
	if (rep->step != STEP_EXEC) {
		const char *step = rep->step >= 0 && rep->step <= STEP_EXEC ? step_names[rep->step] : "?";
		say_error("", "%s: entering the node: %s: %s", who, step, strerror(rep->errnum));
		return EXIT_CANNOT_ENTER;
	}
	const char *cmd = r->argv[0] ? r->argv[0] : "the login shell";
	say_error(rep->errnum != ENOENT ? ""
		  : cmd[0] == '-' ? "netlab's options after NODE need a -- before the command: netlab exec r1 --lab LAB -- CMD"
				  : "is it installed on the host? (nodes share the host's programs)",
		  "%s: %s: %s", who, cmd, strerror(rep->errnum));
	return exit_status(status);
}

int enter_run(const struct enter_req *r)
{
	const char *who = r->node ? r->node : "node";
	struct child_ctx c = { .r = r, .slave = -1, .nsflags = CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWNS };
	if ((c.pidfd = hold_node(r)) < 0)
		return EXIT_CANNOT_ENTER;
	if (own_userns(r->pid))
		c.nsflags |= CLONE_NEWUSER;
	int v2_dir = -1, master = -1;
	int errpipe = prepare(r, &c, &v2_dir, &master);
	if (errpipe == NL_NO_CLASS) {
		/* An unknown class is the user's mistake (exit 2, docs/cli.md), not a node that cannot be entered. */
		say_error("the node's classes are listed under classes: in the topology", "%s: has no traffic class %s", who, r->cls);
		return 2;
	}
	if (errpipe < 0) {
		say_error("", "%s: %s %s: %s", who, nl_err.step, nl_err.object, strerror(nl_err.errnum));
		return EXIT_CANNOT_ENTER;
	}
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL); /* the child unblocks before exec */
	pid_t pid = spawn(&c, v2_dir);
	int fork_errno = errno;
	close(c.errpipe);
	close(c.alive);
	close(c.pidfd);
	for (int i = 0; i < c.ncg; i++)
		close(c.cg[i]);
	if (c.slave >= 0)
		close(c.slave);
	if (pid < 0) {
		say_error("", "%s: fork: %s", who, strerror(fork_errno));
		return EXIT_CANNOT_ENTER;
	}
	struct child_report rep;
	ssize_t n = read(errpipe, &rep, sizeof rep);
	close(errpipe);
	if (n == (ssize_t)sizeof rep)
		return child_failed(r, &rep, pid);
	if (r->detach) {
		int status;
		waitpid(pid, &status, 0);
		return 0;
	}
	if (r->tty)
		return exit_status(relay_pty(master, pid, r->winsize_fd));
	return wait_forwarding(pid);
}
