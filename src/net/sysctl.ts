/**
 * Network sysctls of a node: checked keys, netlab's defaults, and writing them
 * inside the node's namespace through /proc/sys/net (a /proc/sys/net file is
 * resolved against the network namespace of the thread that opens it, proc(5),
 * so the open happens while switched with withNetns; the write is synchronous).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { KernelError, TopologyError } from '../errors.js';
import { withNetns } from '../core/netns.js';

/** A component of a sysctl key: letters, digits, "_", "-", "@", "+", and "." inside slash-form keys (vlan names). */
const SEGMENT = /^[A-Za-z0-9_@+-][A-Za-z0-9_@+.-]*$/;

/**
 * Checks a user sysctl key and returns its path below /proc/sys
 * ("net.ipv4.ip_forward" → "net/ipv4/ip_forward"). Accepted: the dotted form
 * (sysctl(8)) or the slash form ("net/ipv4/conf/eth0.100/rp_filter", needed
 * when an interface name has a dot). Only the net.* tree — the per-namespace
 * part; everything else in /proc/sys is host-wide — and no path tricks: no
 * empty, "." or ".." component, no leading "/", nothing but the characters above.
 * @throws TopologyError(where) naming the key.
 */
export function checkSysctlKey(key: string, where = 'sysctls'): string {
  const parts = key.includes('/') ? key.split('/') : key.split('.');
  const bad = parts.find((p) => !SEGMENT.test(p)); // a leading "." fails: no ".", ".."
  if (bad !== undefined || parts.length < 2) {
    throw new TopologyError(where, `sysctl key "${key}" is not a valid name`, 'write e.g. net.ipv4.ip_forward (or net/ipv4/conf/eth0.100/rp_filter)');
  }
  if (parts[0] !== 'net') {
    throw new TopologyError(where, `sysctl "${key}" is outside net.*`, 'only net.* sysctls belong to a node\'s network namespace; others would change the host');
  }
  return parts.join('/');
}

/**
 * Checks a sysctl value: one line of printable text (sysctl values such as
 * "4096 87380 6291456" are words separated by spaces or tabs).
 * @throws TopologyError(where).
 */
export function checkSysctlValue(key: string, value: string, where = 'sysctls'): string {
  if (!/^[\x20-\x7e\t]*$/.test(value)) {
    throw new TopologyError(where, `sysctl ${key}: value ${JSON.stringify(value)} has control characters`, 'give the value on one line, e.g. "1"');
  }
  return value.trim();
}

/** The kind of namespace, for {@link defaultSysctls}. */
export type NetnsRole = 'router' | 'host' | 'segment';

/**
 * netlab's sysctls for a node, to write BEFORE its interfaces exist: values under
 * `conf.default` are copied into every interface created afterwards (checked on
 * this kernel by test/integration/net-sysctl.test.ts), and `conf.all` covers the
 * rest. Returned in the order they must be written.
 * - rp_filter 0 on all and default: the effective value is max(all, iface)
 *   (Documentation/networking/ip-sysctl.rst), so both must be 0 or asymmetric paths drop;
 * - IPv6 accept_dad 0: addresses, link-local ones included,
 *   are usable at once instead of tentative for ~1 s;
 * - router: IPv4 and IPv6 forwarding on (conf.all.forwarding also sets every
 *   interface and default, ip-sysctl.rst "conf/all/forwarding");
 * - segment (the hidden namespace holding LAN bridges): IPv6 off, so the bridge and its
 *   ports send no router solicitations or MLD reports into the lab.
 */
export function defaultSysctls(role: NetnsRole): Record<string, string> {
  const out: Record<string, string> = {
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.default.rp_filter': '0',
  };
  if (role === 'segment') {
    out['net.ipv6.conf.all.disable_ipv6'] = '1';
    out['net.ipv6.conf.default.disable_ipv6'] = '1';
    return out;
  }
  out['net.ipv6.conf.all.accept_dad'] = '0';
  out['net.ipv6.conf.default.accept_dad'] = '0';
  if (role === 'router') {
    out['net.ipv4.conf.all.forwarding'] = '1';
    out['net.ipv4.conf.default.forwarding'] = '1';
    out['net.ipv6.conf.all.forwarding'] = '1';
    out['net.ipv6.conf.default.forwarding'] = '1';
  }
  return out;
}

/**
 * Writes `values` (key → value, in insertion order) inside the network
 * namespace `netnsFd`. Keys and values are checked first (nothing is written
 * when one is bad). Synchronous: each file is opened while switched into the
 * namespace and written at once.
 * @throws TopologyError for a bad key or value; KernelError(`sysctl KEY on LABEL`, 'write', errno):
 *   ENOENT — no such sysctl on this kernel or no such interface yet; EINVAL — a value
 *   the kernel does not accept; EPERM/EACCES — read-only sysctl.
 */
export function writeSysctls(netnsFd: number, values: Record<string, string>, label: string): void {
  const items = Object.entries(values).map(([k, v]) => ({ key: k, path: `/proc/sys/${checkSysctlKey(k)}`, value: checkSysctlValue(k, v) }));
  if (!items.length) return;
  withNetns(netnsFd, label, () => {
    for (const it of items) {
      let fd = -1;
      try {
        fd = openSync(it.path, 'w');
        writeSync(fd, `${it.value}\n`);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const errno = Math.abs(e.errno ?? 5);
        const hint = e.code === 'ENOENT'
          ? `this kernel has no ${it.key}, or the interface in it does not exist (yet); check with: sysctl -a | grep ${it.key.split(/[./]/).pop()}`
          : e.code === 'EINVAL' ? `the kernel does not accept "${it.value}" for ${it.key}` : '';
        throw new KernelError(`sysctl ${it.key} on ${label}`, 'write', errno, '', hint);
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    }
  });
}

/** Reads one sysctl inside `netnsFd` (for checks and tests); '' when missing. */
export function readSysctl(netnsFd: number, key: string, label: string): string {
  const path = `/proc/sys/${checkSysctlKey(key)}`;
  return withNetns(netnsFd, label, () => {
    let fd = -1;
    try {
      fd = openSync(path, 'r');
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, null);
      return buf.toString('utf8', 0, n).trim();
    } catch {
      return '';
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  });
}
