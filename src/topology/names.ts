/**
 * Names that end up in the kernel or on the host: lab and node names (in
 * /run/netns/<lab>.<node>, cgroup paths and hostnames), interface names
 * (IFNAMSIZ), and the smaller vocabularies of a topology (groups, classes,
 * environment variables, sysctl keys). Each check returns a problem
 * ({ what, hint }) or undefined; the caller adds the path.
 */

import { CLASS_NAME_MAX } from './limits.js';

/** A problem with a value: what is wrong and how to fix it. */
export interface Problem {
  what: string;
  hint: string;
}

/** Node names that mean something else in a topology: `host:IFNAME` endpoints and the management network. */
export const RESERVED_NODE_NAMES: readonly string[] = ['host', 'mgmt'];

/** Longest node name, bytes: the hostname limit (HOST_NAME_MAX, sethostname(2)). */
export const NODE_NAME_MAX = 63;
/** Longest lab name, bytes (it is part of /run/netns/<lab>.<node> and cgroup paths). */
export const LAB_NAME_MAX = 32;
/** Longest interface name, bytes: IFNAMSIZ (16, include/uapi/linux/if.h) minus the NUL. */
export const IFNAME_MAX = 15;

/** The loopback interface every network namespace has: no link, bridge or management interface may take its name. */
export const LOOPBACK = 'lo';

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** Lab names may also start with a digit (containerlab's `2-linux-nodes`, `03-bridge-and-host`). */
const LAB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A valid name close to `name` for a hint ("../../etc" → "etc"), else `example`. Pure. */
function suggestName(name: string, max: number, example: string): string {
  const s = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[^A-Za-z]+/, '').replace(/-+$/, '').slice(0, max);
  return NAME.test(s) ? s : example;
}

function nameProblem(what: string, name: unknown, max: number, example: string, pattern = NAME): Problem | undefined {
  if (typeof name !== 'string') return { what: `${what} must be a string`, hint: `write e.g. ${example}` };
  if (name === '') return { what: `${what} is empty`, hint: `write e.g. ${example}` };
  if (name.includes('.')) {
    return { what: `${what} "${name}" contains a dot`, hint: `dots separate lab and node in /run/netns/<lab>.<node>; use - or _, e.g. ${suggestName(name, max, example)}` };
  }
  if (!pattern.test(name)) {
    const digit = pattern === LAB_NAME;
    const firstOk = (c: string): boolean => (digit ? /[A-Za-z0-9]/ : /[A-Za-z]/).test(c);
    const bad = [...name].find((c, i) => (i === 0 ? !firstOk(c) : !/[A-Za-z0-9_-]/.test(c)));
    const first = !firstOk(name[0]!);
    return {
      what: first ? `${what} "${name}" must start with a letter${digit ? ' or a digit' : ''}` : `${what} "${name}" contains ${JSON.stringify(bad)}`,
      hint: `use a letter${digit ? ' or digit' : ''} first, then letters, digits, - or _ (e.g. ${suggestName(name, max, example)})`,
    };
  }
  const n = bytes(name);
  if (n > max) return { what: `${what} "${name}" is ${n} bytes; at most ${max} are allowed`, hint: `use a shorter name, e.g. ${suggestName(name, max, example)}` };
  return undefined;
}

/** A node name: a letter, then letters, digits, '-' or '_'; ≤63 bytes; not reserved. */
export function checkNodeName(name: unknown): Problem | undefined {
  const p = nameProblem('node name', name, NODE_NAME_MAX, 'r1');
  if (p) return p;
  if (RESERVED_NODE_NAMES.includes((name as string).toLowerCase())) {
    return { what: `node name "${String(name)}" is reserved`, hint: `"host" means the host in host:IFNAME endpoints and "mgmt" the management network; call the node e.g. ${String(name)}1` };
  }
  return undefined;
}

/** A lab name: like a node name but may start with a digit (as containerlab's may), ≤32 bytes. */
export function checkLabName(name: unknown): Problem | undefined {
  return nameProblem('lab name', name, LAB_NAME_MAX, 'triangle', LAB_NAME);
}

/** A group name (like a node name, ≤63 bytes) or a traffic-class name (≤48 bytes: it names a cgroup directory). */
export function checkPlainName(what: string, name: unknown): Problem | undefined {
  const cls = what.startsWith('class');
  return nameProblem(what, name, cls ? CLASS_NAME_MAX : NODE_NAME_MAX, cls ? 'bulk' : 'routers');
}

/**
 * An interface name as the kernel accepts it (dev_valid_name() in
 * net/core/dev.c): 1–15 bytes, not "." or "..", no '/', ':' or whitespace;
 * no '%' (dev_get_valid_name treats it as a template for a number); and no
 * control character (a NUL would end the name early).
 */
export function checkIfname(name: unknown): Problem | undefined {
  if (typeof name !== 'string') return { what: 'interface name must be a string', hint: 'write e.g. eth1' };
  if (name === '') return { what: 'interface name is empty', hint: 'write e.g. eth1' };
  const n = bytes(name);
  if (n > IFNAME_MAX) {
    return { what: `interface name "${name}" is ${n} bytes; Linux allows ${IFNAME_MAX}`, hint: `use a shorter name, e.g. "${shorten(name)}" (IFNAMSIZ is 16 with the final NUL)` };
  }
  if (name === '.' || name === '..') return { what: `interface name "${name}" is not allowed by Linux`, hint: 'use e.g. eth1' };
  const bad = /[/:\s]/.exec(name);
  if (bad) return { what: `interface name "${name}" contains ${JSON.stringify(bad[0])}, which Linux does not allow`, hint: 'use letters, digits, - _ . only, e.g. eth1' };
  // The kernel reads a % as a template for a number (dev_alloc_name: "eth%d" becomes eth0), so the name would not be the one asked for.
  if (name.includes('%')) return { what: `interface name "${name}" contains "%", which Linux reads as a number template (eth%d)`, hint: 'use letters, digits, - _ . only, e.g. eth1' };
  // A NUL ends the name where the kernel reads it (two names that differ after it are one); other control characters are unreadable in every tool.
  const control = /[\x00-\x1f\x7f]/.exec(name);
  if (control) return { what: `interface name ${JSON.stringify(name)} contains the control character ${JSON.stringify(control[0])}`, hint: 'use letters, digits, - _ . only, e.g. eth1' };
  return undefined;
}

function shorten(name: string): string {
  const digits = /\d+$/.exec(name)?.[0] ?? '1';
  return `eth${digits}`.slice(0, IFNAME_MAX);
}

/**
 * A path inside a node (a bind target): absolute, and without `.` or `..`
 * parts, so it names the place it reads as (`/data/../../etc` would be /etc).
 */
export function checkNodePath(path: unknown, what?: string): Problem | undefined {
  const s = String(path);
  if (!s.startsWith('/')) return { what: `${what ? `${what} ` : ''}"${s}" is not an absolute path`, hint: 'paths inside the node start with /' };
  if (s.split('/').some((part) => part === '.' || part === '..')) {
    return { what: `${what ?? 'path'} "${s}" has a . or .. part`, hint: `write the path it means without them, e.g. ${normalisePath(s)}` };
  }
  if (/[\x00-\x1f\x7f]/.test(s)) return { what: `${what ?? 'path'} ${JSON.stringify(s)} contains a control character`, hint: 'write a plain path, e.g. /data' };
  return undefined;
}

/** `/data/../../etc` → `/etc`: what the kernel resolves an absolute path to, without symlinks. Pure. */
function normalisePath(s: string): string {
  const out: string[] = [];
  for (const part of s.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/**
 * A sysctl value written as text: printable characters, at most 4,096 bytes
 * (what one write to /proc/sys takes). Numbers and booleans are checked by the schema.
 */
export function checkSysctlValue(value: unknown): Problem | undefined {
  const s = String(value);
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(s)) return { what: `sysctl value ${JSON.stringify(s)} contains a control character`, hint: 'a sysctl value is one line: a number or words, e.g. "32768 60999"' };
  if (Buffer.byteLength(s) > 4096) return { what: `sysctl value is ${Buffer.byteLength(s)} bytes; the kernel takes at most 4096`, hint: 'give a shorter value' };
  return undefined;
}

/** An environment variable name (POSIX: letters, digits, _; not starting with a digit). */
export function checkEnvName(name: unknown): Problem | undefined {
  if (typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  return { what: `environment variable name ${JSON.stringify(name)} is not valid`, hint: 'use letters, digits and _, not starting with a digit' };
}

/**
 * A sysctl key: only `net.*`, the parameters that belong to a network
 * namespace (others would change the host). Dotted form; a slash form
 * (net/ipv4/ip_forward) is refused with a hint.
 */
export function checkSysctlKey(key: unknown): Problem | undefined {
  if (typeof key !== 'string') return { what: 'sysctl key must be a string', hint: 'write e.g. net.ipv4.ip_forward' };
  if (key.includes('/')) return { what: `sysctl key "${key}" uses slashes`, hint: `write it with dots: ${key.replace(/\//g, '.')}` };
  if (!key.startsWith('net.')) {
    return { what: `sysctl "${key}" is not a net.* key`, hint: 'only net.* sysctls belong to a node\'s network namespace; others would change the host' };
  }
  if (!/^net(\.[A-Za-z0-9_@-]+)+$/.test(key)) return { what: `sysctl key "${key}" is not valid`, hint: 'write e.g. net.ipv4.conf.all.rp_filter' };
  return undefined;
}
