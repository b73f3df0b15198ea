/*
 * netlab-init: the launcher (one process that starts many nodes) and the node's
 * PID 1. The launcher reads node specs on stdin, clones each node, and reports
 * on stdout; the clone runs node_main() (node-init.c), which builds the node's
 * world (node-userns.c, node-root.c, node-mounts.c) and then stays as its PID 1.
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
	const char *hosts;    /* the lab's hosts file (the node's /etc/hosts), or NULL */
	const char *log;      /* console log: PID 1's stdout and stderr (may be shared), or NULL */
	const char **lower;   /* overlay lower dirs, top first */
	int nlower;
	const char **layer;   /* host folders copied once into the launcher's tmpfs, the top layers of the node's root, top first */
	int nlayer;
	const char **cg;      /* cgroup dirs to join (host paths) */
	int ncg;
	struct bind_spec *binds;
	int nbinds;
	char *uidmap, *gidmap; /* uid_map/gid_map text; NULL: no user namespace */
	unsigned root_uid, root_gid; /* host ids of the node's root (user namespace): also its owner */
	int grace_ms;          /* SIGTERM → SIGKILL grace */
	bool seccomp;          /* install the default seccomp filter (seccomp.c); false: "unconfined" */
	const char *upper_size; /* size= of the node's tmpfs (its upper layer), bytes; NULL: the kernel's default */
	const char *devices;   /* devices the node may use, v1 devices.allow lines joined by ','; NULL: no cgroup2 program */
	/* filled by the launcher */
	int dev_prog;          /* a devices program of the node's own for its cgroup2 dir (devices.c), or -1 */
	int cg_fd;             /* cgroup2 dir for CLONE_INTO_CGROUP, or -1 */
	const char *hosts_text; /* the hosts file's content, read once per file; NULL: none */
	size_t hosts_len;
	bool var_run;          /* the lower layer's /var/run is a directory: the node gets a /var/run -> /run link */
	const char **layer_dir; /* per layer: its copy, a dir of the launcher's tmpfs (launcher.c place_layers) */
	unsigned char *cg_mode; /* per cg: CG_* below */
};

/* How a node enters cgroup dir j of its spec (launcher.c plan_cgroups). */
enum { CG_JOIN = 0 /* the dir, else its parent */, CG_OWN_ONLY /* the dir if it exists; the launcher is in the parent */,
       CG_CLONE /* cgroup2: clone3(CLONE_INTO_CGROUP) */, CG_DONE /* shared by all: the launcher joined it */ };

/* Facts about the host the launcher probes once, inherited by every node. */
struct host_facts {
	bool shared_mounts;     /* some host mount is shared: the node makes its copies private */
	unsigned mask_exists;   /* bit i: masked path i exists on this kernel */
	bool idmap_layers;      /* overlayfs takes idmapped lower layers (Linux 5.19) */
	bool in_userns;         /* the launcher runs in a user namespace of an ordinary user (rootless):
	                           overlayfs then keeps its xattrs as user.overlay.* ("userxattr") */
};

/* The overlay xattr that marks a directory opaque: trusted.overlay.opaque, or user.overlay.opaque in a user namespace. */
const char *overlay_opaque_xattr(void);
extern struct host_facts host_facts;

/* Masked and read-only paths (node-mounts.c), probed by the launcher. */
void probe_masks(void);

/* skeleton.c: the skeleton layer (/dev), in the launcher's detached tmpfs */
int make_skeleton(int tmpfs, const char *dir);
bool var_run_is_dir(const struct node_spec *s);
int copy_layer(int tmpfs, const char *dir, const char *src, unsigned uid, unsigned gid);

/* copy-tree.c: copies the folder sfd (at path src, named in errors) into the folder dfd; both stay open. */
enum {
	COPY_MERGE = 1,      /* folders the destination holds are reused and its files replaced (else: EEXIST fails the copy) */
	COPY_KEEP_OWNER = 2, /* each copy keeps its source's owner plus uid/gid (else: owned by uid/gid; by the copier when both are 0) */
};
struct copy_how {
	unsigned flags; /* COPY_* */
	unsigned uid, gid;
	/* Called with each folder made (open, below the destination) and its path below src ("/a/b"), before
	 * its contents are copied; returns 0, or -1 with nl_err set to fail the copy. NULL: none. */
	int (*on_dir)(int dfd, const char *rel, void *arg);
	void *arg;
};
int copy_tree(int sfd, int dfd, const char *src, const struct copy_how *how);

/* Device nodes a node gets (skeleton.c). */
#define NL_NDEVICES 7
const char *device_name(int i);

/* The fd number of the launcher's skeleton tmpfs in every node, and the skeleton's dir in it. */
#define NL_SKELETON_FD 5
#define NL_SKELETON_DIR "skel"

/* Console log cap (bytes): PID 1 stops copying the node's /dev/console into its log there. */
#define NL_CONSOLE_MAX (16 << 20)

/* node-userns.c: the node's user namespace, owned by the node's root (its limits count there). */
int make_userns(const struct node_spec *s, int *userns_fd);
/* A detached copy of `path` (under dfd) for the node: idmapped into userns_fd when
 * userns_fd >= 0 and the filesystem allows it. Returns its fd. */
int open_layer(int dfd, const char *path, int userns_fd, bool recursive, const char *what);
/* Becomes the node's root in its user namespace. */
int enter_userns(const struct node_spec *s, int userns_fd);

/* node-root.c: one function per step; each returns 0 (or an fd) or -1 with nl_err set. */
#define NL_MAX_LAYERS 128 /* Docker's overlay2 stacks at most 128 layers too */
int detached_tmpfs(const char *mode, const char *size, unsigned attrs, const char *what); /* size: bytes, NULL: the kernel's default */
int make_node_tmpfs(const struct node_spec *s);           /* returns its fd */
/* The overlay's lower layers, top first: the lab's folders, the skeleton, then the spec's lower dirs (idmapped copies
 * in a user namespace when the kernel can). fds[] get the copies to dispose of; returns their count. */
int open_lower_layers(const struct node_spec *s, int userns_fd, char **paths, int *npaths, int *fds);
int make_overlay(const struct node_spec *s, int tmpfs, char *const *lower, int nlower); /* returns its fd */
int open_console(int root);                               /* the read end of /dev/console (a FIFO) */
int mount_proc_sys(int root);
int open_bind_sources(const struct node_spec *s, int userns_fd, int *fds);
int park_on_old_root(int fd, const char *what);
int pivot_into_root(int root);

/* node-mounts.c: after pivot_root */
int mask_paths(void);
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
void node_main(struct node_spec *s, int report_fd) __attribute__((noreturn));
/* Joins cgroup dir `dir` with `pid` ("0": the caller). */
int join_cgroup(const char *dir, const char *pid);
/* launch-cgroups.c: who joins which cgroup (launcher, before cloning); and a node's joins. */
int plan_cgroups(struct node_spec *specs, int nspecs);
/* Joins dir j of a spec as planned (the dir, or its parent when the dir is missing). */
int join_node_cgroup(const struct node_spec *s, int j, const char *pid);

#endif
