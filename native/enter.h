/*
 * netlab-enter: run a command inside a running node (all its namespaces, its
 * cgroups, its capability limits), for `netlab exec` and `netlab shell`.
 */
#ifndef NETLAB_ENTER_H
#define NETLAB_ENTER_H

#include "common.h"

struct enter_req {
	pid_t pid;                    /* the node's PID 1, host view */
	unsigned long long starttime; /* field 22 of /proc/PID/stat; 0: not checked */
	const char *lab, *node;       /* for messages and NETLAB_LAB/NETLAB_NODE */
	const char *cls;              /* net_cls class: join <node cgroup>/class-<cls>; NULL: none */
	const char *cwd;              /* inside the node; NULL: "/" */
	char **env;                   /* extra "K=V" entries, NULL-terminated; may be NULL */
	int nenv;
	char **argv;                  /* the command; empty with tty: the node's login shell */
	bool tty;                     /* a pty from the node's devpts, relayed to our terminal */
	bool detach;                  /* start it in its own session and return once it runs */
	const char *log;              /* detached: stdout+stderr appended to this file inside the node */
	int winsize_fd;               /* with tty and no terminal of ours: window sizes to apply to the pty,
	                               * 4-byte records (rows, cols: u16 little-endian); 0: none */
	bool user;                    /* run as uid:gid (no supplementary groups) instead of root */
	unsigned uid, gid;            /* ids inside the node */
};

/* Enters and runs; returns the exit status to exit with (128+n for signal n). */
int enter_run(const struct enter_req *r);

/* `error: …` and `hint: …` lines on stderr, coloured on a terminal (as the TS CLI does). */
void say_error(const char *hint, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* enter-cgroup.c: opens `tasks` of every v1 cgroup of `pid` (host paths) and its
 * cgroup2 dir into *v2_dir (-1: none); with cls, the class cgroup of lab/node
 * too. Returns the count of v1 fds, -1 with nl_err set, or NL_NO_CLASS when
 * the node has no class `cls` (or `cls` is not a class name). */
#define NL_NO_CLASS (-2)
int open_node_cgroups(pid_t pid, const char *lab, const char *node, const char *cls, int *fds, int max, int *v2_dir);

/* Exit status when netlab-enter cannot enter the node (as docker's 125). */
#define EXIT_CANNOT_ENTER 125

/* enter-pty.c: relays our stdin/stdout to `master` until `child` exits; returns its wait status.
 * winsize_fd > 2: window sizes read from it are applied to the pty (see struct enter_req). */
int relay_pty(int master, pid_t child, int winsize_fd);

/* enter-pty.c: applies the window sizes waiting on `fd` (the last one wins) to `master`;
 * false when `fd` reached its end or failed. `fd` must be non-blocking. */
bool apply_winsizes(int fd, int master);

/* enter-cli.c: `netlab exec …` and `netlab shell …` as typed by the user. */
int cli_main(int argc, char **argv);

#endif
