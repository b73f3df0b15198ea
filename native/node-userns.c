/*
 * A node's user namespace (user_namespaces(7)), one step per function.
 *
 * Owner. The kernel charges a user namespace's per-user limits (inotify
 * instances and watches, user namespaces, …: the ucounts) at every level, in
 * the parent namespace to the *owner* of the child (inc_ucount(),
 * kernel/ucount.c), and the owner is the effective uid of whoever created it.
 * Made by host root, a node's 128 inotify_init() calls used up host root's
 * 128. So the namespace is made with the node's own root as creator: a
 * sleeping helper clone whose effective ids are the node's root ids while the
 * node, still host root, keeps its capabilities (SECBIT_NO_SETUID_FIXUP). The
 * same clone creates the node's network, uts, ipc and cgroup namespaces, so
 * the user namespace owns them (capabilities(7): a namespace's owner is the
 * user namespace its creator was in).
 *
 * The node, still host root in the host's user namespace, then writes the
 * maps, joins those namespaces with setns(pidfd) (Linux 5.8) and builds its
 * root filesystem: every mount it makes is locked once it enters the user
 * namespace and copies its mount namespace (mount_namespaces(7), "restrictions
 * on mount namespaces"), and the sysfs it mounts shows the node's own network
 * namespace, so no sysfs of the host is ever under /sys.
 *
 * Layers. With idmapped mounts (mount_setattr(2) MOUNT_ATTR_IDMAP; overlayfs
 * takes idmapped lower layers since Linux 5.19) the host's files appear owned
 * by the node's own ids (host uid 0 = the node's root, 104 = its frr user).
 * Where the kernel or a filesystem cannot, the layer is used as it is and its
 * files appear owned by nobody (docs/nodes.md).
 */
#include "init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The helper only sleeps until it is killed; it shares our memory (CLONE_VM). */
static char helper_stack[16384] __attribute__((aligned(16)));

static int sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* Host pid of the process behind a pidfd: "Pid:" of its fdinfo, in the pid namespace of our /proc (the host's). */
static int pidfd_host_pid(int pidfd)
{
	char p[64], buf[1024];
	snprintf(p, sizeof p, "/proc/self/fdinfo/%d", pidfd);
	if (read_file(p, buf, sizeof buf) < 0)
		return -1;
	const char *line = strstr(buf, "\nPid:");
	int pid = line ? atoi(line + 5) : 0;
	return pid > 0 ? pid : failx("read pidfd", p, ESRCH);
}

/* Clones the sleeping helper in new user, net, uts, ipc and cgroup namespaces, created with euid/egid = the node's root. */
static pid_t clone_owned(const struct node_spec *s, int *pidfd)
{
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (bits < 0 || prctl(PR_SET_SECUREBITS, bits | SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
		return fail("prctl(PR_SET_SECUREBITS)", "SECBIT_NO_SETUID_FIXUP");
	pid_t pid = -1;
	int e = 0;
	if (setresgid(-1, s->root_gid, -1) < 0 || setresuid(-1, s->root_uid, -1) < 0) {
		e = errno;
	} else {
		const int flags = CLONE_VM | CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC |
				  CLONE_NEWCGROUP | SIGCHLD;
		pid = clone(sleep_forever, helper_stack + sizeof helper_stack, flags, NULL, pidfd);
		e = errno;
	}
	/* Back to host root (the saved ids are still 0), then the usual uid rules. */
	if (setresuid(-1, 0, -1) < 0 || setresgid(-1, 0, -1) < 0 || prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		_exit(70); /* cannot happen: we kept CAP_SETUID, CAP_SETGID and CAP_SETPCAP */
	if (pid < 0)
		return failx("clone(user, net, uts, ipc, cgroup)", s->name, e);
	return pid;
}

static int write_map(int host_pid, const char *file, const char *map)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/%s", host_pid, file);
	return write_file(p, map, 0, 0);
}

/*
 * Makes the node's user namespace (and its network, uts, ipc and cgroup
 * namespaces, which the node joins now) and returns an fd of it in
 * *userns_fd: the node enters it later (enter_userns), and idmaps its layers
 * with it meanwhile.
 */
int make_userns(const struct node_spec *s, int *userns_fd)
{
	int pidfd = -1;
	pid_t pid = clone_owned(s, &pidfd);
	if (pid < 0)
		return -1;
	int r = -1, host_pid = pidfd_host_pid(pidfd);
	char p[64];
	*userns_fd = -1;
	if (host_pid > 0 && write_map(host_pid, "uid_map", s->uidmap) == 0 && write_map(host_pid, "gid_map", s->gidmap) == 0) {
		snprintf(p, sizeof p, "/proc/%d/ns/user", host_pid);
		if ((*userns_fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			fail("open", p);
		else if (setns(pidfd, CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP) < 0)
			fail("setns(pidfd: net, uts, ipc, cgroup)", s->name);
		else
			r = 0;
	}
	/* Killed, not waited for (its exit takes ~1 ms here): PID 1 reaps it with its other children. */
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	close(pidfd);
	if (r < 0 && *userns_fd >= 0) {
		close(*userns_fd);
		*userns_fd = -1;
	}
	return r;
}

int open_layer(int dfd, const char *path, int userns_fd, bool recursive, const char *what)
{
	unsigned rec = recursive ? AT_RECURSIVE : 0;
	int fd = open_tree(dfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
	if (fd < 0)
		return fail("open_tree", what);
	if (userns_fd < 0)
		return fd;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned)userns_fd };
	if (mount_setattr(fd, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0 && nl_trace)
		/* EINVAL: this filesystem cannot be idmapped; the copy stays as it is (files owned by nobody). */
		dprintf(2, "netlab-init: %s: not idmapped: %s\n", what, strerror(errno));
	return fd;
}

/* Enters the node's user namespace as its root (the caller then copies its mount namespace). */
int enter_userns(const struct node_spec *s, int userns_fd)
{
	if (setns(userns_fd, CLONE_NEWUSER) < 0)
		return fail("setns(user)", s->name);
	if (setresgid(0, 0, 0) < 0)
		return fail("setresgid", "0 (is 0 in the gid map?)");
	if (setresuid(0, 0, 0) < 0)
		return fail("setresuid", "0 (is 0 in the uid map?)");
	if (setgroups(0, NULL) < 0)
		return fail("setgroups", "none");
	return 0;
}
