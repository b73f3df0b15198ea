/*
 * netlab-enter — run a command inside a running node.
 *
 *   netlab-enter --pid PID [--starttime N] [--lab LAB] [--node NODE] [--class CLS]
 *                [--cwd DIR] [--user UID:GID] [--env K=V]... [-t [--winsize-fd FD]] [--detach [--log FILE]] -- CMD [ARG...]
 *   netlab-enter --cli exec [--lab LAB] [--class NAME] [-t] NODE [--] CMD...   (enter-cli.c)
 *   netlab-enter --cli shell [--lab LAB] NODE
 *
 * Steps: check PID is still the node (start time); open its namespaces and
 * cgroups while the host's view is ours; setns(pid) so the child is born in
 * the node's pid namespace; fork (clone3 into the node's cgroup2 dir); the
 * child joins the v1 cgroups, then setns cgroup, ipc, uts, net, mnt and user
 * last (host root must write the host's cgroup files first), drops the
 * capabilities a node has not got, and execs with a clean environment. The
 * parent forwards signals (or relays a pty) and exits with the child's status,
 * 128+n when it was killed by signal n.
 */
#include "enter.h"

#include <fcntl.h>
#include <grp.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* The namespaces, in the order the child joins them (user last: see above). */
static const struct { const char *name; int type; } nstypes[] = {
	{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET }, { "mnt", CLONE_NEWNS }, { "user", CLONE_NEWUSER },
};
#define NNS (sizeof nstypes / sizeof nstypes[0])

static int open_ns(pid_t pid, const char *name, int *fd)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)pid, name);
	if ((*fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return fail("open namespace", p);
	return 0;
}

/* Joins the user namespace only when the node has its own (setns to ours would fail). */
static bool same_ns(int fd, const char *name)
{
	char p[64];
	struct stat a, b;
	snprintf(p, sizeof p, "/proc/self/ns/%s", name);
	return fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

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
	int ns[NNS];
	int cg[32], ncg;
	int slave;
	int errpipe;
	int alive; /* read end of a pipe only netlab-enter writes to: POLLHUP once it is gone */
};

static void __attribute__((noreturn)) child(struct child_ctx *c)
{
	const struct enter_req *r = c->r;
	const char *step = "setns";
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The node's open-files limit and seccomp filter, read from its PID 1 while /proc is the host's. */
	if (follow_node_confinement(r->pid) < 0) {
		step = "follow the node's limits and seccomp filter";
		errno = nl_err.errnum;
		goto fail;
	}
	for (int i = 0; i < c->ncg; i++) {
		if (write(c->cg[i], "0", 1) != 1) {
			step = "join cgroup";
			goto fail;
		}
		close(c->cg[i]);
	}
	for (size_t i = 0; i < NNS; i++) {
		if (c->ns[i] < 0)
			continue;
		if (setns(c->ns[i], nstypes[i].type) < 0) {
			step = nstypes[i].type == CLONE_NEWUSER ? "setns(user)" : "setns";
			goto fail;
		}
		close(c->ns[i]);
	}
	if (c->ns[NNS - 1] >= 0) { /* user namespace: become the node's root */
		step = "setresuid";
		if ((setgroups(0, NULL) < 0 && errno != EPERM) || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			goto fail;
	}
	if (r->detach || r->tty) {
		step = "setsid";
		if (setsid() < 0)
			goto fail;
	}
	if (r->tty) {
		step = "open pty";
		if (ioctl(c->slave, TIOCSCTTY, 0) < 0 || dup2(c->slave, 0) < 0 || dup2(c->slave, 1) < 0 ||
		    dup2(c->slave, 2) < 0)
			goto fail;
		close(c->slave);
	}
	if (r->detach) {
		pid_t p = fork();
		if (p < 0) {
			step = "fork";
			goto fail;
		}
		if (p > 0)
			_exit(0); /* the command is reparented to the node's PID 1 */
		/* Our pipes stay ours: the command gets /dev/null, or appends to its log (a path inside the node). */
		step = "open log";
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log = r->log ? open(r->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : null;
		if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			goto fail;
	} else {
		/* Dies with netlab-enter: a killed `netlab exec` leaves nothing running.
		 * If netlab-enter died before this, its end of the alive pipe is closed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		struct pollfd pf = { c->alive, 0, 0 };
		if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)))
			_exit(128 + SIGKILL);
	}
	step = "chdir";
	if (chdir(r->cwd ? r->cwd : "/") < 0)
		goto fail;
	step = "drop capabilities";
	if (drop_caps() < 0)
		goto fail;
	/* The image's User (config.md): a non-root uid loses every capability at setresuid (capabilities(7)). */
	step = "set user";
	if (r->user && (setgroups(0, NULL) < 0 || setresgid(r->gid, r->gid, r->gid) < 0 || setresuid(r->uid, r->uid, r->uid) < 0))
		goto fail;
	char **argv = r->argv[0] ? r->argv : default_shell();
	environ = clean_env(r);
	execvp(argv[0], argv);
	step = "exec";
fail:;
	char msg[300];
	int e = errno;
	snprintf(msg, sizeof msg, "%d %s", e, step);
	if (write(c->errpipe, msg, strlen(msg))) {
	}
	_exit(e == ENOENT ? 127 : 126);
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

int enter_run(const struct enter_req *r)
{
	const char *who = r->node ? r->node : "node";
	unsigned long long st;
	char state;
	if (proc_stat(r->pid, &st, &state) < 0 || state == 'Z' || (r->starttime && st != r->starttime)) {
		char hint[256];
		snprintf(hint, sizeof hint, "netlab status%s%s shows the lab's nodes; netlab down cleans up what is left",
			 r->lab ? " " : "", r->lab ? r->lab : "");
		say_error(hint, "%s%s%s: the node is not running (its PID 1, %d, is gone)", r->lab ? r->lab : "",
			  r->lab ? "/" : "", who, (int)r->pid);
		return EXIT_CANNOT_ENTER;
	}
	struct child_ctx c = { .r = r, .slave = -1 };
	for (size_t i = 0; i < NNS; i++)
		c.ns[i] = -1;
	int v2_dir = -1, master = -1;
	for (size_t i = 0; i < NNS; i++) {
		if (open_ns(r->pid, nstypes[i].name, &c.ns[i]) < 0)
			goto kernel_error;
		if (nstypes[i].type == CLONE_NEWUSER && same_ns(c.ns[i], "user")) {
			close(c.ns[i]);
			c.ns[i] = -1;
		}
	}
	int pidns;
	if (open_ns(r->pid, "pid", &pidns) < 0)
		goto kernel_error;
	if ((c.ncg = open_node_cgroups(r->pid, r->lab, r->node, r->cls, c.cg, 30, &v2_dir)) < 0)
		goto kernel_error;
	if (r->tty) {
		/* The pty comes from the node's own devpts, so `tty` inside names it. */
		char p[64];
		snprintf(p, sizeof p, "/proc/%d/root/dev/pts/ptmx", (int)r->pid);
		int unlock = 0;
		if ((master = open(p, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
			goto pty_error;
		if (ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
		    (c.slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
			goto pty_error;
		struct winsize ws;
		if (ioctl(0, TIOCGWINSZ, &ws) == 0)
			ioctl(master, TIOCSWINSZ, &ws);
		else if (r->winsize_fd > 2)
			apply_winsizes(r->winsize_fd, master); /* the size the caller sent before we started */
	}
	if (setns(pidns, CLONE_NEWPID) < 0) {
		fail("setns(pid)", "pid namespace");
		goto kernel_error;
	}
	close(pidns);
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		fail("pipe", who);
		goto kernel_error;
	}
	c.errpipe = errpipe[1];
	int alive[2];
	if (pipe2(alive, O_CLOEXEC) < 0) {
		fail("pipe", who);
		goto kernel_error;
	}
	c.alive = alive[0];
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL); /* the child unblocks before exec */
	pid_t pid = spawn(&c, v2_dir);
	int fork_errno = errno;
	close(errpipe[1]);
	close(alive[0]); /* alive[1] stays open until we exit */
	for (size_t i = 0; i < NNS; i++)
		if (c.ns[i] >= 0)
			close(c.ns[i]);
	for (int i = 0; i < c.ncg; i++)
		close(c.cg[i]);
	if (c.slave >= 0)
		close(c.slave);
	if (pid < 0) {
		failx("fork", who, fork_errno);
		goto kernel_error;
	}
	char msg[300];
	ssize_t n = read(errpipe[0], msg, sizeof msg - 1);
	close(errpipe[0]);
	if (n > 0) {
		msg[n] = 0;
		int e = atoi(msg);
		const char *step = strchr(msg, ' ') ? strchr(msg, ' ') + 1 : "exec";
		int status;
		waitpid(pid, &status, 0);
		const char *cmd = r->argv[0] ? r->argv[0] : "the login shell";
		if (!strcmp(step, "exec"))
			say_error(e != ENOENT ? ""
				  : cmd[0] == '-' ? "netlab's options after NODE need a -- before the command: netlab exec r1 --lab LAB -- CMD"
						  : "is it installed on the host? (nodes share the host's programs)",
				  "%s: %s: %s", who, cmd, strerror(e));
		else
			say_error("", "%s: entering the node: %s: %s", who, step, strerror(e));
		return strcmp(step, "exec") ? EXIT_CANNOT_ENTER : exit_status(status);
	}
	if (r->detach) {
		int status;
		waitpid(pid, &status, 0);
		return 0;
	}
	if (r->tty)
		return exit_status(relay_pty(master, pid, r->winsize_fd));
	return wait_forwarding(pid);

pty_error:
	fail("open pty", "/dev/pts/ptmx in the node");
kernel_error:
	/* An unknown class is the user's mistake (exit 2, docs/cli.md), not a node that cannot be entered. */
	if (!strcmp(nl_err.step, "no traffic class")) {
		say_error("the node's classes are listed under classes: in the topology",
			  "%s: has no traffic class %s", who, nl_err.object + 6 /* "class-" */);
		return 2;
	}
	say_error("", "%s: %s %s: %s", who, nl_err.step, nl_err.object, strerror(nl_err.errnum));
	return EXIT_CANNOT_ENTER;
}

