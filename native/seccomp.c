/*
 * What every process of a node shares beyond its namespaces and cgroups: the
 * default seccomp filter (seccomp-gen.c builds it; docs/nodes.md lists what it
 * refuses) and its resource limits. A node's PID 1 installs the filter as the
 * last step of its setup; netlab-enter gives each command it starts in a node
 * the same filter and limit as that node's PID 1 ("follow"), so `netlab exec`,
 * the routing daemons and the node's `cmd` are confined exactly like the node
 * they run in, and a node started without the filter (security: {seccomp:
 * unconfined}) stays without it.
 */
#include "common.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "build/seccomp-filter.h"

int seccomp_install_default(void)
{
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof nl_seccomp_filter / sizeof nl_seccomp_filter[0]),
		.filter = (struct sock_filter *)nl_seccomp_filter,
	};
	/* No PR_SET_NO_NEW_PRIVS: the caller has CAP_SYS_ADMIN in its user namespace
	 * (seccomp(2)), and setuid programs (ping, su) must keep working in a node. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return fail("seccomp(SECCOMP_SET_MODE_FILTER)", "the default filter");
	return 0;
}

/* "Seccomp_filters:" of /proc/PID/status (5.9+), else 1 for "Seccomp: 2" (filter mode), else 0. */
static int filter_count(const char *status)
{
	const char *f = strstr(status, "\nSeccomp_filters:");
	if (f)
		return atoi(f + strlen("\nSeccomp_filters:"));
	f = strstr(status, "\nSeccomp:");
	return f && atoi(f + strlen("\nSeccomp:")) == 2 ? 1 : 0;
}

/* Soft and hard limit of row `name` of /proc/PID/limits (proc(5)), e.g. "Max open files". */
static int read_limit(const char *limits, const char *name, struct rlimit *rl)
{
	const char *l = strstr(limits, name);
	char soft[32], hard[32];
	if (!l || l == limits || l[-1] != '\n' || sscanf(l + strlen(name), "%31s %31s", soft, hard) != 2)
		return -1;
	rl->rlim_cur = !strcmp(soft, "unlimited") ? RLIM_INFINITY : strtoull(soft, NULL, 10);
	rl->rlim_max = !strcmp(hard, "unlimited") ? RLIM_INFINITY : strtoull(hard, NULL, 10);
	return 0;
}

/* The limits a node's processes get from its PID 1 (the launcher sets them: launcher.c limit_node()). */
static const struct { int resource; const char *row; } followed[] = {
	{ RLIMIT_NOFILE, "Max open files" },
	{ RLIMIT_SIGPENDING, "Max pending signals" },
	{ RLIMIT_MSGQUEUE, "Max msgqueue size" },
};

int follow_node_confinement(pid_t pid, bool *filter)
{
	static char node[8192], self[8192];
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/limits", (int)pid);
	if (read_file(p, node, sizeof node) < 0)
		return -1;
	for (size_t i = 0; i < sizeof followed / sizeof followed[0]; i++) {
		struct rlimit rl;
		if (read_limit(node, followed[i].row, &rl) < 0)
			return failx("read the node's limits", p, EINVAL);
		if (setrlimit(followed[i].resource, &rl) < 0)
			return fail("setrlimit", followed[i].row);
	}
	snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
	if (read_file(p, node, sizeof node) < 0 || read_file("/proc/self/status", self, sizeof self) < 0)
		return -1;
	/* Filters are inherited: the node's PID 1 has ours (the host's, if any) plus its own. */
	*filter = filter_count(node) > filter_count(self);
	return 0;
}
