/*
 * netlab-init --launch [--window N]
 *
 * One process starts every node of a lab: it reads node specs on stdin (spec.c),
 * clones each node with a new pid namespace and lets the clone build the rest
 * itself (its user namespace included), so the heavy work (namespaces, mounts)
 * of up to N nodes runs in parallel on all cores while this process keeps
 * cloning. A node reports "ready" or its failed step on a shared pipe; the
 * launcher prints, one line per node, as each finishes (tab-separated):
 *   ok   IDX PID STARTTIME         PID as seen from the host, STARTTIME field 22 of /proc/PID/stat
 *   err  IDX ERRNO STEP OBJECT     the step that failed, on what, and the errno
 *   fatal MESSAGE                  bad input; nothing was started
 * After the first failure (or SIGTERM/SIGINT) it starts no more nodes, waits for
 * those in flight, and exits 1 (failure) or 3 (stopped); 0 when all started.
 * Started nodes are left running: the caller rolls them back.
 */
#include "init.h"
#include "spec.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WINDOW 256

struct flight {
	pid_t pid;
	int idx;
};

static struct node_spec *specs;
static int nspecs;
static struct flight flights[MAX_WINDOW];
static int nflights;
static char out[1 << 16];
static size_t outlen;
static bool failed, stopping;

static void flush_out(void)
{
	if (outlen && write_all(1, out, outlen) < 0)
		stopping = true; /* the caller is gone: start nothing more */
	outlen = 0;
}

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	if (outlen > sizeof out - 8192)
		flush_out();
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + outlen, sizeof out - outlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		outlen += (size_t)n < sizeof out - outlen ? (size_t)n : sizeof out - outlen - 1;
}

static void emit_err(int idx, const struct nl_err *e)
{
	char obj[NL_PATH_MAX];
	snprintf(obj, sizeof obj, "%s", e->object);
	for (char *c = obj; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	emit("err\t%d\t%d\t%s\t%s\n", idx, e->errnum, e->step, obj);
	failed = true;
}

static bool host_has_shared_mounts(void)
{
	static char buf[1 << 16];
	if (read_file("/proc/self/mountinfo", buf, sizeof buf) < 0)
		return true;
	return strstr(buf, " shared:") != NULL;
}

static int null_fd = -1;

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Reads a hosts file once for every node that names it (they write it into their upper layer). */
static int read_hosts(struct node_spec *s, const struct node_spec *prev)
{
	if (!s->hosts)
		return 0;
	if (prev && same(prev->hosts, s->hosts)) {
		s->hosts_text = prev->hosts_text;
		s->hosts_len = prev->hosts_len;
		return 0;
	}
	static char buf[1 << 20];
	ssize_t n = read_file(s->hosts, buf, sizeof buf);
	if (n < 0)
		return -1;
	if ((size_t)n + 1 >= sizeof buf)
		return failx("read hosts file", s->hosts, EFBIG);
	char *text = malloc((size_t)n + 1);
	if (!text)
		return failx("read hosts file", s->hosts, ENOMEM);
	memcpy(text, buf, (size_t)n + 1);
	s->hosts_text = text;
	s->hosts_len = (size_t)n;
	return 0;
}

/*
 * The skeleton layer (/dev) in one detached tmpfs, shared by every node: a
 * few dozen syscalls in all instead of ~25 per node; and per node, what it
 * needs from the host: the hosts file's text, and whether its lower layer has
 * a real /var/run directory (one lstat per lower stack: a lab's nodes usually
 * share theirs).
 */
static int skel_fd = -1;

/*
 * Folders a node's root shows on top of its skeleton and lower dirs (a Kathará device
 * folder, netlab's compat commands). overlayfs refuses a lower layer that
 * lies inside another lower layer's tree ("overlapping lowerdir path",
 * fs/overlayfs/super.c ovl_check_layer), and a lab's folders usually lie
 * inside the host's "/": each distinct folder (per owner) is copied once into
 * the launcher's tmpfs and shared by every node that stacks it.
 */
static struct { const char *src; unsigned uid, gid; char name[24]; } *copies;
static int ncopies;

static int place_layers(struct node_spec *s)
{
	if (s->nlayer == 0)
		return 0;
	s->layer_dir = calloc((size_t)s->nlayer, sizeof *s->layer_dir);
	if (!s->layer_dir)
		return failx("layers", s->name, ENOMEM);
	for (int j = 0; j < s->nlayer; j++) {
		int k;
		for (k = 0; k < ncopies; k++)
			if (!strcmp(copies[k].src, s->layer[j]) && copies[k].uid == s->root_uid && copies[k].gid == s->root_gid)
				break;
		if (k == ncopies) {
			void *p = realloc(copies, (size_t)(ncopies + 1) * sizeof *copies);
			if (!p)
				return failx("layers", s->name, ENOMEM);
			copies = p;
			copies[k].src = s->layer[j];
			copies[k].uid = s->root_uid;
			copies[k].gid = s->root_gid;
			snprintf(copies[k].name, sizeof copies[k].name, "layer-%d", k);
			ncopies++;
			if (copy_layer(skel_fd, copies[k].name, s->layer[j], s->root_uid, s->root_gid) < 0)
				return -1;
		}
		s->layer_dir[j] = copies[k].name;
	}
	return 0;
}

static int prepare_layers(void)
{
	umask(0); /* exact modes: 1777 for /dev/shm, 0666 for devices */
	skel_fd = detached_tmpfs("755", NULL, 0, "skeleton layer");
	int r = skel_fd < 0 ? -1 : make_skeleton(skel_fd, NL_SKELETON_DIR);
	umask(022);
	if (r < 0) {
		emit_err(0, &nl_err);
		return -1;
	}
	for (int i = 0; i < nspecs; i++) {
		struct node_spec *s = &specs[i], *prev = i ? &specs[i - 1] : NULL;
		if (prev && s->nlower == prev->nlower && same(s->lower[0], prev->lower[0]))
			s->var_run = prev->var_run;
		else
			s->var_run = var_run_is_dir(s);
		if (read_hosts(s, prev) < 0) {
			emit_err(i, &nl_err);
			return -1;
		}
		if (place_layers(s) < 0) {
			emit_err(i, &nl_err);
			return -1;
		}
	}
	return 0;
}

/*
 * Resource limits of every node, set once here and inherited by each PID 1;
 * netlab-enter gives the commands it starts those of the node's PID 1 (seccomp.c).
 *  - RLIMIT_NOFILE: 1024 soft, 524288 hard — systemd's defaults (systemd.exec(5),
 *    LimitNOFILE=). The host's limit is often a million or more, which nodes
 *    would inherit from Node.js; FRR sizes its tables by it and warns about a
 *    "stupidly large" limit (containerlab#2217). A program that needs more
 *    raises its soft limit up to the hard one.
 *  - RLIMIT_SIGPENDING and RLIMIT_MSGQUEUE: a quarter of the host's. Both
 *    count per user (queued signals, POSIX message queue bytes: getrlimit(2))
 *    and are checked against the limit of the process that queues, so the
 *    nodes of a `userns: false` lab, all host root, can together take at most
 *    a quarter of host root's.
 */
#define NODE_NOFILE_SOFT 1024
#define NODE_NOFILE_HARD 524288

static void limit_node(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) < 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY && hard > rl.rlim_max)
		hard = rl.rlim_max; /* never above what the host allows the launcher */
	rl.rlim_cur = soft < hard ? soft : hard;
	rl.rlim_max = hard;
	setrlimit(resource, &rl);
}

static void limit_nodes(void)
{
	limit_node(RLIMIT_NOFILE, NODE_NOFILE_SOFT, NODE_NOFILE_HARD);
	struct rlimit rl;
	for (int r = 0; r < 2; r++) {
		int resource = r ? RLIMIT_MSGQUEUE : RLIMIT_SIGPENDING;
		if (getrlimit(resource, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
			limit_node(resource, rl.rlim_cur / 4, rl.rlim_cur / 4);
	}
}

/* overlayfs takes idmapped lower layers from Linux 5.19 on (fs/overlayfs/params.c; EINVAL before). */
static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;
	return uname(&u) == 0 && sscanf(u.release, "%d.%d", &a, &b) == 2 && (a > major || (a == major && b >= minor));
}

static pid_t clone_node(int cg_fd)
{
	struct clone_args args;
	memset(&args, 0, sizeof args);
	args.flags = CLONE_NEWPID; /* the rest, user namespace included, the node creates (node-init.c) */
	args.exit_signal = SIGCHLD;
	if (cg_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (unsigned)cg_fd;
	}
	long r = syscall(SYS_clone3, &args, sizeof args);
	if (r < 0 && errno == ENOSYS && cg_fd < 0)
		r = syscall(SYS_clone, (unsigned long)args.flags | SIGCHLD, 0, 0, 0, 0);
	return (pid_t)r;
}

static void start_node(struct node_spec *s, int report_w)
{
	int cg_fd = -1;
	if (s->cg_fd <= -2) {
		const char *dir = s->cg[-2 - s->cg_fd];
		if ((cg_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			fail("open cgroup", dir);
			emit_err(s->idx, &nl_err);
			return;
		}
	}
	/* The node's own devices program, when its list is narrower than its lab's (launch-cgroups.c). */
	if (s->dev_prog >= 0 && (cg_fd < 0 || device_program_attach(s->dev_prog, cg_fd, s->cg[-2 - s->cg_fd]) < 0)) {
		if (cg_fd < 0)
			failx("attach the devices program", s->name, EBADF);
		emit_err(s->idx, &nl_err);
		if (cg_fd >= 0)
			close(cg_fd);
		return;
	}
	pid_t pid = clone_node(cg_fd);
	if (pid == 0) {
		/* The node: /dev/null on 0-2 (the console log comes later), the report
		 * pipe on 3, the skeleton tmpfs on 5, nothing else inherited. */
		int r = fcntl(report_w, F_DUPFD, 10);
		int k = fcntl(skel_fd, F_DUPFD, 10);
		if (r < 0 || k < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0 ||
		    dup2(r, 3) < 0 || (close(4), false) || dup2(k, NL_SKELETON_FD) < 0) {
			/* EMFILE or ENOMEM: say so on the report pipe, still open here, and stop */
			char line[300];
			snprintf(line, sizeof line, "E\t%d\t%d\tset up the node's file descriptors\t%s\n", s->idx, errno, s->name);
			if (write(report_w, line, strlen(line)) < 0)
				_exit(3);
			_exit(1);
		}
		syscall(SYS_close_range, NL_SKELETON_FD + 1, ~0U, 0);
		node_main(s, 3);
	}
	int e = errno;
	if (cg_fd >= 0)
		close(cg_fd);
	if (pid < 0) {
		failx(cg_fd >= 0 ? "clone3(CLONE_INTO_CGROUP)" : "clone", s->name, e);
		emit_err(s->idx, &nl_err);
		return;
	}
	flights[nflights++] = (struct flight){ pid, s->idx };
}

static int flight_index(int idx)
{
	for (int i = 0; i < nflights; i++)
		if (flights[i].idx == idx)
			return i;
	return -1;
}

static void drop_flight(int i)
{
	flights[i] = flights[--nflights];
}

/* Lines from the nodes: "R\tIDX" ready, "E\tIDX\tERRNO\tSTEP\tOBJECT" failed. */
static void handle_line(char *line)
{
	int idx = atoi(line + 2);
	int fi = flight_index(idx);
	if (fi < 0)
		return;
	if (line[0] == 'R') {
		unsigned long long st;
		char state;
		pid_t pid = flights[fi].pid;
		if (proc_stat(pid, &st, &state) < 0 || state == 'Z') {
			failx("node exited right after start", specs[idx].name, ESRCH);
			emit_err(idx, &nl_err);
		} else {
			emit("ok\t%d\t%d\t%llu\n", idx, (int)pid, st);
		}
		drop_flight(fi);
		return;
	}
	struct nl_err e = { .step = "node setup" };
	char *f[4] = { 0 };
	char *p = line;
	for (int i = 0; i < 4 && p; i++) {
		p = strchr(p, '\t');
		if (p)
			*p++ = 0, f[i] = p;
	}
	if (f[1])
		e.errnum = atoi(f[1]);
	if (f[2])
		e.step = f[2];
	snprintf(e.object, sizeof e.object, "%s", f[3] ? f[3] : specs[idx].name);
	emit_err(idx, &e);
	flights[fi].idx = -1 - idx; /* reported; the exit is reaped quietly */
}

static void read_reports(int fd)
{
	static char buf[1 << 16];
	static size_t have;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			return;
		have += (size_t)n;
		buf[have] = 0;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			*nl = 0;
			handle_line(start);
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
	}
}

static void reap_children(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < nflights; i++) {
			if (flights[i].pid != pid)
				continue;
			if (flights[i].idx >= 0) {
				/* Died before reporting anything. */
				int idx = flights[i].idx;
				failx(WIFSIGNALED(status) ? "node killed during setup" : "node exited during setup",
				      specs[idx].name, WIFSIGNALED(status) ? EINTR : EIO);
				emit_err(idx, &nl_err);
			}
			drop_flight(i);
			break;
		}
	}
}

static char *read_stdin(size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			perror("netlab-init: malloc");
			exit(70);
		}
		ssize_t r = read(0, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("netlab-init: read stdin");
			exit(70);
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	*len = n;
	return buf;
}

/* Is this process outside the initial user namespace? (its uid_map is not "0 0 4294967295", user_namespaces(7)) */
static bool in_child_userns(void)
{
	char buf[256];
	if (read_file("/proc/self/uid_map", buf, sizeof buf) < 0)
		return false;
	unsigned long a, b, c;
	return !(sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL);
}

static int launch(int window)
{
	signal(SIGPIPE, SIG_IGN);
	size_t len;
	char *input = read_stdin(&len);
	if (parse_specs(input, len, &specs, &nspecs) < 0) {
		emit("fatal\t%s\n", spec_parse_error());
		flush_out();
		return 2;
	}
	if (nspecs == 0)
		return 0;
	nl_trace = getenv("NETLAB_INIT_TRACE") != NULL;
	host_facts.shared_mounts = host_has_shared_mounts();
	host_facts.idmap_layers = kernel_at_least(5, 19);
	host_facts.in_userns = in_child_userns();
	probe_masks();
	read_mm_template();
	if (plan_cgroups(specs, nspecs) < 0 || plan_device_programs(specs, nspecs) < 0) {
		emit_err(0, &nl_err);
		flush_out();
		return 1;
	}
	limit_nodes();
	if (prepare_layers() < 0) {
		flush_out();
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	int rep[2];
	if (sfd < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		emit("fatal\tsignalfd/pipe: %s\n", strerror(errno));
		flush_out();
		return 2;
	}
	fcntl(rep[0], F_SETFL, O_NONBLOCK);
	if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		emit("fatal\topen /dev/null: %s\n", strerror(errno));
		flush_out();
		return 2;
	}
	int next = 0;
	while (next < nspecs || nflights > 0) {
		while (!failed && !stopping && next < nspecs && nflights < window)
			start_node(&specs[next++], rep[1]);
		if (nflights == 0)
			break;
		flush_out();
		struct pollfd pfd[2] = { { rep[0], POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		struct signalfd_siginfo si;
		bool chld = false;
		while (read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGCHLD)
				chld = true;
			else
				stopping = true;
		}
		read_reports(rep[0]);
		if (chld)
			reap_children();
		if ((failed || stopping) && nflights == 0)
			break;
	}
	flush_out();
	return failed ? 1 : stopping ? 3 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--launch")) {
		int window = 8;
		if (argc >= 4 && !strcmp(argv[2], "--window"))
			window = atoi(argv[3]);
		if (window < 1)
			window = 1;
		if (window > MAX_WINDOW)
			window = MAX_WINDOW;
		return launch(window);
	}
	fprintf(stderr, "usage: netlab-init --launch [--window N] < specs\n"
			"netlab-init is started by netlab (src/core/node.ts); see docs/nodes.md\n");
	return 2;
}
