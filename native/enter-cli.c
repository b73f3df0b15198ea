/*
 * The fast path of `netlab exec` (bin/netlab runs `netlab-enter --cli exec …`
 * because a Node.js start alone costs ~40 ms) and `netlab shell`:
 *
 *   exec  [--lab LAB] [--class NAME] [-t] NODE [--] CMD [ARG...]
 *         (the options may also come after NODE, before a `--`)
 *   shell [--lab LAB] NODE
 *
 * The lab is the only running lab that has NODE, or --lab. Running labs are
 * the directories of $NETLAB_RUN_DIR (default /run/netlab) that hold a
 * nodes.tsv (`name<TAB>pid<TAB>starttime` lines, src/core/index-file.ts).
 * Mistakes exit 2 with `error:`/`hint:` lines, like the TypeScript CLI.
 */
#include "enter.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LABS 256

struct found {
	char lab[256];
	pid_t pid;
	unsigned long long starttime;
};

static const char *run_dir(void)
{
	const char *d = getenv("NETLAB_RUN_DIR");
	return d && d[0] ? d : "/run/netlab";
}

/* A lab name as `up` allows it (src/topology/names.ts checkLabName): a letter,
 * then letters, digits, - or _, at most 32 bytes; so never `.`, `..` or `/`. */
static bool lab_name_ok(const char *lab)
{
	size_t n = strlen(lab);
	if (n == 0 || n > 32 || !((lab[0] >= 'A' && lab[0] <= 'Z') || (lab[0] >= 'a' && lab[0] <= 'z')))
		return false;
	return strspn(lab, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Looks `node` up in <run>/<lab>/nodes.tsv. 1 found, 0 not there, -1 no index. */
static int lookup(const char *lab, const char *node, struct found *f)
{
	char path[NL_PATH_MAX], buf[1 << 16];
	if (!lab_name_ok(lab))
		return -1;
	snprintf(path, sizeof path, "%s/%s/nodes.tsv", run_dir(), lab);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return -1;
	size_t nlen = strlen(node);
	int found = 0;
	while (fgets(buf, sizeof buf, fp)) {
		if (strncmp(buf, node, nlen) || buf[nlen] != '\t')
			continue;
		char *end;
		long pid = strtol(buf + nlen + 1, &end, 10);
		if (*end != '\t' || pid <= 0)
			continue;
		snprintf(f->lab, sizeof f->lab, "%s", lab);
		f->pid = (pid_t)pid;
		f->starttime = strtoull(end + 1, NULL, 10);
		found = 1;
		break;
	}
	fclose(fp);
	return found;
}

/* True when the node's PID 1 still runs (same process: starttime checked). */
static bool alive(const struct found *f)
{
	unsigned long long st;
	char state;
	return proc_stat(f->pid, &st, &state) == 0 && state != 'Z' && (!f->starttime || st == f->starttime);
}

/* Names of the running labs (those with a nodes.tsv), sorted. */
static int list_labs(char labs[][256], int max)
{
	DIR *d = opendir(run_dir());
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		if (!lab_name_ok(e->d_name))
			continue;
		char p[NL_PATH_MAX];
		snprintf(p, sizeof p, "%s/%s/nodes.tsv", run_dir(), e->d_name);
		if (access(p, R_OK) == 0)
			snprintf(labs[n++], 256, "%s", e->d_name);
	}
	closedir(d);
	qsort(labs, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
	return n;
}

static void join_names(char *out, size_t cap, char labs[][256], int n)
{
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(out);
		snprintf(out + len, cap - len, "%s%s", i ? ", " : "", labs[i]);
	}
}

static int usage(const char *cmd)
{
	if (cmd && !strcmp(cmd, "shell"))
		say_error("netlab shell r1 opens a shell in node r1", "usage: netlab shell [--lab LAB] NODE");
	else
		say_error("netlab exec r1 -- ip route runs `ip route` in node r1",
			  "usage: netlab exec [--lab LAB] [--class NAME] [-t] NODE [--] CMD [ARG...]");
	return 2;
}

static int unknown_option(const char *cmd, const char *opt)
{
	say_error(cmd && !strcmp(cmd, "shell") ? "usage: netlab shell [--lab LAB] NODE"
						 : "usage: netlab exec [--lab LAB] [--class NAME] [-t] NODE [--] CMD [ARG...]",
		  "unknown option '%s'", opt);
	return 2;
}

/* Finds the lab of `node`; prints the error and returns 2 when it cannot say. */
static int find_node(const char *lab, const char *node, struct found *f)
{
	static char labs[MAX_LABS][256];
	char names[8192];
	int nlabs = list_labs(labs, MAX_LABS);
	join_names(names, sizeof names, labs, nlabs);
	char hint[9000];
	if (lab && !lab_name_ok(lab)) {
		say_error("a lab name is a letter, then letters, digits, - or _, at most 32 bytes (netlab status lists the running labs)",
			  "--lab: \"%.64s\" is not a lab name", lab);
		return 2;
	}
	if (lab) {
		int r = lookup(lab, node, f);
		if (r == 1)
			return 0;
		if (r < 0) {
			snprintf(hint, sizeof hint, "%s%s", nlabs ? "running labs: " : "no lab is running; start one with netlab up TOPOLOGY.yaml",
				 nlabs ? names : "");
			say_error(hint, "lab %s is not running", lab);
		} else {
			snprintf(hint, sizeof hint, "netlab status %s lists its nodes", lab);
			say_error(hint, "lab %s has no node %s", lab, node);
		}
		return 2;
	}
	if (nlabs == 0) {
		say_error("start one with netlab up TOPOLOGY.yaml", "no lab is running (nothing in %s)", run_dir());
		return 2;
	}
	/* Labs whose node has died (a crashed lab) do not count, so a lab
	 * left over by a crash makes no other lab's node ambiguous. */
	int hits = 0;
	struct found dead = { 0 };
	char which[8192] = "";
	for (int i = 0; i < nlabs; i++) {
		struct found g;
		if (lookup(labs[i], node, &g) != 1)
			continue;
		if (!alive(&g)) {
			dead = g;
			continue;
		}
		if (hits++ == 0)
			*f = g;
		size_t len = strlen(which);
		snprintf(which + len, sizeof which - len, "%s%.255s", len ? ", " : "", labs[i]);
	}
	if (hits == 1)
		return 0;
	if (hits == 0 && dead.pid) {
		snprintf(hint, sizeof hint, "netlab status %s shows what still runs; netlab down %s removes it", dead.lab, dead.lab);
		say_error(hint, "node %s of lab %s is not running (it died)", node, dead.lab);
	} else if (hits == 0) {
		snprintf(hint, sizeof hint, "running labs: %s; netlab status LAB lists a lab's nodes", names);
		say_error(hint, "no running lab has a node %s", node);
	} else {
		snprintf(hint, sizeof hint, "say which lab: netlab exec --lab %s %s -- CMD", f->lab, node);
		say_error(hint, "node %s is in %d running labs: %s", node, hits, which);
	}
	return 2;
}

/*
 * Reads netlab's option at argv[*i] (of argv[0..end)) into `lab` / `r`,
 * advancing *i past its value. 1: it was one; 0: not an option (NODE, the
 * command, or "--"); -1: an unknown option (reported, exit 2).
 */
static int take_option(char **argv, int *i, int end, bool shell, const char *cmd, const char **lab, struct enter_req *r)
{
	const char *a = argv[*i];
	if (!strcmp(a, "--lab") && *i + 1 < end)
		*lab = argv[++*i];
	else if (!strncmp(a, "--lab=", 6))
		*lab = a + 6;
	else if (!shell && !strcmp(a, "--class") && *i + 1 < end)
		r->cls = argv[++*i];
	else if (!shell && !strncmp(a, "--class=", 8))
		r->cls = a + 8;
	else if (!shell && (!strcmp(a, "-t") || !strcmp(a, "--tty")))
		r->tty = true;
	else if (a[0] != '-' || !strcmp(a, "--"))
		return 0;
	else {
		bool wants_value = !strcmp(a, "--lab") || (!shell && !strcmp(a, "--class"));
		if (wants_value)
			say_error(!strcmp(a, "--lab") ? "e.g. --lab triangle" : "e.g. --class bulk", "option '%s' needs a value", a);
		else
			unknown_option(cmd, a);
		return -1;
	}
	return 1;
}

int cli_main(int argc, char **argv)
{
	if (argc < 1)
		return usage(NULL);
	const char *cmd = argv[0];
	bool shell = !strcmp(cmd, "shell");
	if (!shell && strcmp(cmd, "exec"))
		return usage(NULL);
	struct enter_req r = { 0 };
	const char *lab = NULL;
	int i = 1, t = 1;
	for (; i < argc && (t = take_option(argv, &i, argc, shell, cmd, &lab, &r)) == 1; i++)
		;
	if (t < 0)
		return 2;
	if (i >= argc || !strcmp(argv[i], "--"))
		return usage(cmd);
	r.node = argv[i++];
	/* Options may also follow NODE (`exec r1 --lab L -- CMD`) when a `--`
	 * marks where the command starts; without one, the command starts at
	 * once. `shell` has no command: everything after NODE is an option. */
	int dashes = i;
	while (dashes < argc && strcmp(argv[dashes], "--"))
		dashes++;
	if (dashes < argc || shell) {
		for (; i < dashes; i++) {
			t = take_option(argv, &i, dashes, shell, cmd, &lab, &r);
			if (t < 0)
				return 2;
			if (t == 0)
				return usage(cmd);
		}
		i = dashes < argc ? dashes + 1 : argc;
	}
	r.argv = argv + i;
	if (shell) {
		if (r.argv[0])
			return usage(cmd);
		r.tty = true;
	} else if (!r.argv[0]) {
		return usage(cmd);
	}
	struct found f;
	int rc = find_node(lab, r.node, &f);
	if (rc)
		return rc;
	r.lab = f.lab;
	r.pid = f.pid;
	r.starttime = f.starttime;
	return enter_run(&r);
}
