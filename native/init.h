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
	bool seccomp;          /* install the default seccomp filter (seccomp.c); false: "unconfined" */
	const char *upper_size; /* size= of the node's tmpfs (its upper layer), bytes; NULL: the kernel's default */
	const char *devices;   /* devices the node may use, v1 devices.allow lines joined by ','; NULL: no cgroup2 program */
	/* filled by the launcher */
	int dev_prog;          /* a devices program of the node's own for its cgroup2 dir (devices.c), or -1 */
	int cg_fd;             /* cgroup2 dir for CLONE_INTO_CGROUP, or -1 */
	const char *skeleton;  /* the lab's skeleton layer: a dir of the launcher's tmpfs */
	bool var_run;          /* the lower layer's /var/run is a directory (skeleton.c) */
	unsigned char *cg_mode; /* per cg: CG_* below */
};

/* How a node enters cgroup dir j of its spec (launcher.c plan_cgroups). */
enum { CG_JOIN = 0 /* the dir, else its parent */, CG_OWN_ONLY /* the dir if it exists; the launcher is in the parent */,
       CG_CLONE /* cgroup2: clone3(CLONE_INTO_CGROUP) */, CG_DONE /* shared by all: the launcher joined it */ };

/* Facts about the host the launcher probes once, inherited by every node. */
struct host_facts {
	bool shared_mounts;     /* some host mount is shared: the node makes its copies private */
	unsigned mask_exists;   /* bit i: masked path i exists on this kernel */
};
extern struct host_facts host_facts;

/* Masked and read-only paths (node-mounts.c), probed by the launcher. */
void probe_masks(void);

/* skeleton.c: the labs' skeleton layers, in the launcher's detached tmpfs */
int make_skeleton(int tmpfs, const char *dir, const char *hosts, bool var_run_link, unsigned uid, unsigned gid);
bool var_run_is_dir(const struct node_spec *s);

/* Device nodes a node gets (skeleton.c). */
#define NL_NDEVICES 7
const char *device_name(int i);

/* The fd number of the launcher's skeleton tmpfs in every node. */
#define NL_SKELETON_FD 5

/* node-root.c: one function per step; each returns 0 (or an fd) or -1 with nl_err set. */
int detached_tmpfs(const char *mode, const char *size, unsigned attrs, const char *what); /* size: bytes, NULL: the kernel's default */
int make_node_tmpfs(const struct node_spec *s);           /* returns its fd */
int make_overlay(const struct node_spec *s, int tmpfs, int skel_fd); /* returns its fd; skel_fd -1: the node's own */
int mount_proc_sys(int root);
int open_bind_sources(const struct node_spec *s, int *fds);
int pivot_into_root(int root);

/* node-mounts.c: after pivot_root */
int mask_paths(bool userns);
int mount_sysfs_again(void);
int mount_devpts(bool userns);
int proc_sys_readonly(void);
int mount_binds(const struct node_spec *s, const int *fds);

/* devices.c: the cgroup2 devices program (BPF_PROG_TYPE_CGROUP_DEVICE) of a list of rules */
int device_rules_valid(const char *rules);
int device_program_load(const char *rules);                /* returns the program's fd */
int device_program_attach(int prog, int cgroup_fd, const char *dir);
/* launch-cgroups.c: loads each distinct list once, attaches to the labs' cgroup2 dirs; nodes with
 * a narrower list than their lab get dev_prog for their own dir. */
int plan_device_programs(struct node_spec *specs, int nspecs);

/* node-init.c */
extern bool nl_trace;
/* In the launcher, before cloning: the memory layout nodes need to set their command line. */
void read_mm_template(void);
/* The node's life: called in the clone; never returns. */
void node_main(struct node_spec *s, int report_fd, int sync_fd) __attribute__((noreturn));
/* Joins cgroup dir `dir` with `pid` ("0": the caller). */
int join_cgroup(const char *dir, const char *pid);
/* launch-cgroups.c: who joins which cgroup (launcher, before cloning); and a node's joins. */
int plan_cgroups(struct node_spec *specs, int nspecs);
/* Joins dir j of a spec as planned (the dir, or its parent when the dir is missing). */
int join_node_cgroup(const struct node_spec *s, int j, const char *pid);

#endif
