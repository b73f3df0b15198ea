/*
 * The devices a node may use, on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the node's cgroup2 directory (or the lab's, above it).
 * The kernel runs it on every open and mknod of a device node
 * (devcgroup_check_permission(), security/device_cgroup.c) — also of a device
 * reached through a devtmpfs the node mounts itself, and on mounting a block
 * device — and allows the access only when the program returns 1. cgroup v1
 * has the devices controller's devices.allow/deny files for the same list
 * (src/core/cgroups.ts writes them).
 *
 * Rules come as the text of v1's devices.allow lines, comma-separated:
 * "c 1:3 rwm,c 136:* rwm" (Documentation/admin-guide/cgroup-v1/devices.rst):
 * type c (char), b (block) or a (both), major and minor or *, and the access
 * allowed: r read, w write, m mknod. The program (hand-assembled, as runc, crun
 * and systemd do; the context is struct bpf_cgroup_dev_ctx of linux/bpf.h):
 *
 *     r2 = type  r3 = access  r4 = major  r5 = minor
 *     per rule:  if the type, major or minor differ, or the access asks for a
 *                bit the rule lacks, go on to the next rule; else return 1
 *     return 0
 */
#include "init.h"

#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_RULES 256
/* Instructions per rule at most (type, access ×3, major, minor, return ×2) and around them. */
#define MAX_INSNS (MAX_RULES * 8 + 16)

struct dev_rule {
	int type;  /* BPF_DEVCG_DEV_CHAR/BLOCK, 0: both */
	long major, minor; /* -1: any */
	int access; /* BPF_DEVCG_ACC_* bits */
};

static int parse_number(const char **p, long *out)
{
	if (**p == '*') {
		(*p)++;
		*out = -1;
		return 0;
	}
	char *end;
	long v = strtol(*p, &end, 10);
	if (end == *p || v < 0 || v > 0xfffff)
		return -1;
	*p = end;
	*out = v;
	return 0;
}

/* One "T MAJ:MIN ACC" rule at *p, up to ',' or the end. */
static int parse_rule(const char **p, struct dev_rule *r)
{
	const char *s = *p;
	switch (*s) {
	case 'a': r->type = 0; break;
	case 'c': r->type = BPF_DEVCG_DEV_CHAR; break;
	case 'b': r->type = BPF_DEVCG_DEV_BLOCK; break;
	default: return -1;
	}
	s++;
	if (*s++ != ' ' || parse_number(&s, &r->major) < 0 || *s++ != ':' || parse_number(&s, &r->minor) < 0 || *s++ != ' ')
		return -1;
	r->access = 0;
	for (; *s && *s != ','; s++) {
		if (*s == 'r')
			r->access |= BPF_DEVCG_ACC_READ;
		else if (*s == 'w')
			r->access |= BPF_DEVCG_ACC_WRITE;
		else if (*s == 'm')
			r->access |= BPF_DEVCG_ACC_MKNOD;
		else
			return -1;
	}
	if (!r->access)
		return -1;
	*p = *s == ',' ? s + 1 : s;
	return 0;
}

int device_rules_valid(const char *text)
{
	struct dev_rule r;
	int n = 0;
	for (const char *p = text; *p; n++)
		if (n == MAX_RULES || parse_rule(&p, &r) < 0)
			return 0;
	return 1;
}

static struct bpf_insn insn(unsigned char code, int dst, int src, short off, int imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = (unsigned char)dst, .src_reg = (unsigned char)src, .off = off, .imm = imm };
}

#define LDX_W(dst, off) insn(BPF_LDX | BPF_W | BPF_MEM, dst, BPF_REG_1, off, 0)
#define ALU32_IMM(op, dst, imm) insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define MOV64_IMM(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Assembles the program of `text` into out[]; returns the instruction count or -1. */
static int assemble(const char *text, struct bpf_insn *out)
{
	int n = 0;
	out[n++] = LDX_W(BPF_REG_2, 0); /* access_type */
	out[n++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff);
	out[n++] = LDX_W(BPF_REG_3, 0);
	out[n++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
	out[n++] = LDX_W(BPF_REG_4, 4); /* major */
	out[n++] = LDX_W(BPF_REG_5, 8); /* minor */
	int rules = 0;
	for (const char *p = text; *p; rules++) {
		struct dev_rule r;
		if (rules == MAX_RULES || parse_rule(&p, &r) < 0)
			return -1;
		const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
		/* the tests, each jumping past the rest of this rule and its "return 1" when it fails */
		int tests = (r.type ? 1 : 0) + (r.access != all ? 3 : 0) + (r.major >= 0 ? 1 : 0) + (r.minor >= 0 ? 1 : 0);
		int left = tests; /* instructions from here to the "return 1" pair */
		if (r.type) {
			out[n++] = JNE_IMM(BPF_REG_2, r.type, (short)(left - 1 + 2));
			left -= 1;
		}
		if (r.access != all) { /* the bits asked for beyond the rule's: none allowed */
			out[n++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
			out[n++] = ALU32_IMM(BPF_AND, BPF_REG_1, ~r.access & all);
			out[n++] = JNE_IMM(BPF_REG_1, 0, (short)(left - 3 + 2));
			left -= 3;
		}
		if (r.major >= 0) {
			out[n++] = JNE_IMM(BPF_REG_4, (int)r.major, (short)(left - 1 + 2));
			left -= 1;
		}
		if (r.minor >= 0) {
			out[n++] = JNE_IMM(BPF_REG_5, (int)r.minor, (short)(left - 1 + 2));
			left -= 1;
		}
		out[n++] = MOV64_IMM(BPF_REG_0, 1);
		out[n++] = EXIT();
	}
	out[n++] = MOV64_IMM(BPF_REG_0, 0);
	out[n++] = EXIT();
	return n;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int device_program_load(const char *rules)
{
	static struct bpf_insn prog[MAX_INSNS];
	int n = assemble(rules, prog);
	if (n < 0)
		return failx("device rules", rules, EINVAL);
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (__u64)(unsigned long)prog;
	attr.insn_cnt = (unsigned)n;
	attr.license = (__u64)(unsigned long)"GPL";
	long fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0 && errno == EPERM) {
		/* before 5.11 BPF programs counted against RLIMIT_MEMLOCK */
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		setrlimit(RLIMIT_MEMLOCK, &rl);
		fd = sys_bpf(BPF_PROG_LOAD, &attr);
	}
	if (fd < 0)
		return fail("load the devices program (bpf BPF_PROG_LOAD, CONFIG_CGROUP_BPF)", rules);
	return (int)fd;
}

int device_program_attach(int prog, int cgroup_fd, const char *dir)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.target_fd = (unsigned)cgroup_fd;
	attr.attach_bpf_fd = (unsigned)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	/* More programs may follow below (a node's own list): every one must allow an access. */
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return fail("attach the devices program (bpf BPF_PROG_ATTACH)", dir);
	return 0;
}
