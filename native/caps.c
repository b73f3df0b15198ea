/*
 * The capabilities a node's processes lose (netlab-init for itself, netlab-enter
 * for every command it starts). capabilities(7) explains each; docs/nodes.md
 * says why each one goes and why NET_ADMIN, NET_RAW and SYS_ADMIN stay.
 */
#include "common.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

const int nl_dropped_caps[] = {
	CAP_SYS_MODULE,      /* loading kernel modules: host-wide */
	CAP_SYS_BOOT,        /* reboot(2), kexec */
	CAP_SYS_TIME,        /* the clock is the host's */
	CAP_SYS_RAWIO,       /* /dev/mem, ioperm, raw block I/O */
	CAP_MAC_ADMIN,       /* LSM policy */
	CAP_MAC_OVERRIDE,
	CAP_SYSLOG,          /* dmesg -c clears the host's kernel log */
	CAP_DAC_READ_SEARCH, /* open_by_handle_at(2) reaches host files around the overlay root */
	CAP_SYS_PACCT,       /* process accounting is host-wide */
	CAP_WAKE_ALARM,
	CAP_BLOCK_SUSPEND,
	CAP_AUDIT_CONTROL,   /* host audit rules */
	CAP_MKNOD,           /* a node gets the devices netlab gives it */
};
const int nl_dropped_caps_n = sizeof nl_dropped_caps / sizeof nl_dropped_caps[0];

int drop_caps(void)
{
	for (int i = 0; i < nl_dropped_caps_n; i++) {
		/* EINVAL: a capability this kernel does not know; nothing to drop. */
		if (prctl(PR_CAPBSET_DROP, nl_dropped_caps[i], 0, 0, 0) < 0 && errno != EINVAL)
			return fail("prctl(PR_CAPBSET_DROP)", "capability bounding set");
	}
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return fail("capget", "capabilities");
	for (int i = 0; i < nl_dropped_caps_n; i++) {
		int c = nl_dropped_caps[i];
		unsigned bit = 1u << (c % 32);
		data[c / 32].effective &= ~bit;
		data[c / 32].permitted &= ~bit;
		data[c / 32].inheritable &= ~bit;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return fail("capset", "capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", "capabilities");
	return 0;
}
