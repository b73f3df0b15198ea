/*
 * Shared by netlab-init (the node's PID 1 and its launcher) and netlab-enter.
 *
 * Error style (after crun): every step is one function that returns 0 or -1;
 * on -1 it has recorded in `nl_err` which step failed, on which object (a
 * path or a name) and the errno. The caller reports `nl_err` and stops.
 */
#ifndef NETLAB_COMMON_H
#define NETLAB_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NL_PATH_MAX 4096

/* The failure of the last step: what was tried, on what, and the kernel's answer. */
struct nl_err {
	const char *step;        /* e.g. "mount overlay", "mkdir", "setns(net)" */
	char object[NL_PATH_MAX]; /* the path or name it was tried on */
	int errnum;              /* positive errno */
};
extern struct nl_err nl_err;

/* Records step/object/errno (the current errno) and returns -1. */
int fail(const char *step, const char *object);
/* Same with an explicit errno. */
int failx(const char *step, const char *object, int errnum);

/* write(2) until done; -1 with errno on failure. */
int write_all(int fd, const void *buf, size_t len);
/* Writes `data` to `path` (O_WRONLY|flags); fails with the step "write". */
int write_file(const char *path, const char *data, int flags, mode_t mode);
/* Reads up to cap-1 bytes of a file, NUL-terminates; returns length or -1 (fail "read"). */
ssize_t read_file(const char *path, char *buf, size_t cap);
/* snprintf into out[NL_PATH_MAX]; fails with ENAMETOOLONG naming `what`. */
int path_join(char *out, const char *a, const char *b);
/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);

/*
 * Field 22 of /proc/PID/stat (start time in clock ticks since boot) and the
 * state letter (field 3). Returns 0, or -1 when the process is gone.
 */
int proc_stat(pid_t pid, unsigned long long *starttime, char *state);

/* Capabilities a node must not have (docs/nodes.md lists them and why). */
extern const int nl_dropped_caps[];
extern const int nl_dropped_caps_n;
/* Drops nl_dropped_caps from the bounding, effective, permitted, inheritable and ambient sets. */
int drop_caps(void);

/* seccomp.c: installs the default seccomp filter of a node (needs CAP_SYS_ADMIN in the caller's user namespace). */
int seccomp_install_default(void);
/*
 * Gives the caller the open-files and other per-user limits of process `pid`
 * (a node's PID 1, host pid) and sets *filter when that process has the node's
 * seccomp filter: the caller installs the same filter with
 * seccomp_install_default() once its own setup no longer needs the calls the
 * filter refuses (keyctl for a session keyring of its own). Reads /proc/PID:
 * call it while /proc is still the host's.
 */
int follow_node_confinement(pid_t pid, bool *filter);

#endif
