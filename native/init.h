/*
 * netlab-init: the launcher (one process that starts many nodes) and the node's
 * PID 1. The launcher reads node specs on stdin, clones each node, and reports
 * on stdout; the clone runs node_main() (node-init.c), which builds the node's
 * world (node-fs.c) and then stays as its PID 1.
 */
#ifndef NETLAB_INIT_H
#define NETLAB_INIT_H

#include "common.h"

struct bind_spec {
	const char *src; /* host path */
	const char *dst; /* path inside the node */
	bool ro;
};

/* One node to start, as the TypeScript side sent it (src/core/launch-wire.ts). */
struct node_spec {
	int idx;
	const char *lab, *name;
	const char *run;      /* the node's host dir: <run>/upper, when present, seeds its upper layer */
	const char *hosts;    /* the lab's hosts file (copied into the skeleton layer), or NULL */
	const char *log;      /* console log: PID 1's stdout and stderr (may be shared), or NULL */
	const char **lower;   /* overlay lower dirs, top first */
	int nlower;
	const char **cg;      /* cgroup dirs to join (host paths) */
	int ncg;
	struct bind_spec *binds;
	int nbinds;
	char *uidmap, *gidmap; /* uid_map/gid_map text; NULL: no user namespace */
	unsigned root_uid, root_gid; /* host ids of the node's root (user namespace) */
	int grace_ms;          /* SIGTERM → SIGKILL grace */
	/* filled by the launcher */
	int cg_fd;             /* cgroup2 dir for CLONE_INTO_CGROUP, or -1 */
	int log_fd;            /* opened by the launcher; -1: /dev/null */
	const char *skeleton;  /* the lab's skeleton layer: a dir of the launcher's tmpfs */
	bool *cg_skip;         /* per cg: joined already (launcher) or by clone3 */
};

/* Facts about the host the launcher probes once, inherited by every node. */
struct host_facts {
	bool shared_mounts;     /* some host mount is shared: the node makes its copies private */
	unsigned mask_exists;   /* bit i: masked path i exists on this kernel */
};
extern struct host_facts host_facts;

/* Masked and read-only paths (node-mounts.c), probed by the launcher. */
void probe_masks(void);

/* skeleton.c: the labs' skeleton layers, in the launcher's detached tmpfs */
int make_skeleton(int tmpfs, const char *dir, const char *hosts, bool var_run_link);
bool var_run_is_dir(const struct node_spec *s);

/* Device nodes a node gets (skeleton.c); open_host_devices fills this many fds. */
#define NL_NDEVICES 7
const char *device_name(int i);

/* The fd number of the launcher's skeleton tmpfs in every node. */
#define NL_SKELETON_FD 5

/* node-root.c: one function per step; each returns 0 (or an fd) or -1 with nl_err set. */
int detached_tmpfs(const char *mode, unsigned attrs, const char *what);
int make_node_tmpfs(const struct node_spec *s);           /* returns its fd */
int make_overlay(const struct node_spec *s, int tmpfs, int skel_fd); /* returns its fd */
int mount_proc_sys(int root);
int open_bind_sources(const struct node_spec *s, int *fds);
int open_host_devices(int *fds);
int pivot_into_root(int root);

/* node-mounts.c: after pivot_root */
int mount_devices(const int *host_dev_fds);
int mask_paths(void);
int proc_sys_readonly(void);
int mount_binds(const struct node_spec *s, const int *fds);

/* node-init.c */
extern bool nl_trace;
/* The node's life: called in the clone; never returns. */
void node_main(struct node_spec *s, int report_fd, int sync_fd) __attribute__((noreturn));
/* Joins cgroup dir `dir` with `pid` ("0": the caller). */
int join_cgroup(const char *dir, const char *pid);

#endif
