/**
 * netlab's own `format` checks used by the schema validator: each takes a
 * value already known to have the schema's type and returns a Problem (what
 * is wrong and how to fix it) or undefined. Units and addresses are parsed
 * with the same functions the resolver uses later, so a value that passes
 * here cannot fail there.
 */
import { checkEnvName, checkIfname, checkLabName, checkNodeName, checkNodePath, checkPlainName, checkSysctlKey, checkSysctlValue, type Problem } from './names.js';
import { parseCidr, parseIP, hasHostBits, formatCidr, network, specialBlock, type Cidr, type Family } from './ip.js';
import { parsePercent, parseRate, parseSize, parseTime, UnitError } from './units.js';
import { parseEndpointString } from './endpoints.js';
import { parseRouteString } from './routes.js';
import { didYouMean } from './suggest.js';
import { cpuListProblem } from './cpuset.js';
import { parseDeviceEntry } from './devices.js';
import { priorityProblem } from './priority.js';

export type FormatCheck = (value: unknown) => Problem | undefined;

function unit(fn: (v: unknown) => number): FormatCheck {
  return (v) => {
    try { fn(v); return undefined; } catch (e) {
      if (e instanceof UnitError) return { what: e.message, hint: e.hint };
      throw e;
    }
  };
}

/** A problem when a lab address or subnet touches a special-purpose block (loopback, multicast, …). */
function usable(c: Cidr, s: string, subnet: boolean): Problem | undefined {
  const b = specialBlock(c);
  if (!b) return undefined;
  return subnet
    ? { what: `prefix "${s}" overlaps ${b.text}, ${b.what}, which no lab subnet may use`, hint: c.family === 4 ? 'use a private range, e.g. 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)' : 'use e.g. 2001:db8::/32 (documentation, RFC 3849) or fd00::/8 (unique local, RFC 4193)' }
    : { what: `"${s}" is in ${b.text}, ${b.what}, not an address a node can have`, hint: c.family === 4 ? 'use a private address, e.g. 10.0.0.1 (RFC 1918)' : 'use e.g. 2001:db8::1' };
}

/** A subnet as written: `family` 0 for either; `lab` when the lab uses it for its own addresses (not a route or an announced prefix). */
function prefixCheck(family: Family | 0, lab = false): FormatCheck {
  return (v) => {
    const s = String(v);
    const c = parseCidr(s);
    const fam = family === 0 ? 'IP' : `IPv${family}`;
    const example = family === 6 ? '2001:db8::/48' : '10.1.0.0/16';
    if (!c) return { what: `"${s}" is not an ${fam} prefix`, hint: `write address/length, e.g. ${example}` };
    if (family !== 0 && c.family !== family) return { what: `"${s}" is an IPv${c.family} prefix; IPv${family} is needed here`, hint: `write e.g. ${example}` };
    if (hasHostBits(c)) {
      return { what: `prefix "${s}" has host bits set`, hint: `write the network address: ${formatCidr({ ...c, addr: network(c) })}` };
    }
    return lab ? usable(c, s, true) : undefined;
  };
}

function interfaceCheck(family: Family | 0): FormatCheck {
  return (v) => {
    const s = String(v);
    const c = parseCidr(s, (f) => (f === 4 ? 32 : 128));
    const fam = family === 0 ? 'IP' : `IPv${family}`;
    if (!c) return { what: `"${s}" is not an ${fam} address`, hint: family === 6 ? 'write e.g. 2001:db8::1/64' : 'write e.g. 10.9.0.1/30' };
    if (family !== 0 && c.family !== family) return { what: `"${s}" is an IPv${c.family} address; IPv${family} is needed here`, hint: `put it under ipv${c.family}:` };
    return usable({ ...c, len: family === 6 || c.family === 6 ? 128 : 32 }, s, false);
  };
}

function addressCheck(family: Family | 0): FormatCheck {
  return (v) => {
    const s = String(v);
    const ip = parseIP(s);
    if (!ip) return { what: `"${s}" is not an ${family ? `IPv${family}` : 'IP'} address`, hint: family === 6 ? 'write e.g. 2001:db8::1' : 'write e.g. 10.0.0.1 (no prefix length)' };
    if (family && ip.family !== family) return { what: `"${s}" is not an IPv${family} address`, hint: `write e.g. ${family === 4 ? '10.0.0.1' : '2001:db8::1'}` };
    return undefined;
  };
}

// Which kinds exist is not the schema's to know: the loader gets them as an
// argument (LoadOptions.kinds) and refuses an unknown one in src/topology/nodes.ts.
const checkKind: FormatCheck = () => undefined;

/** Format checks by name (the `format` values of src/topology/schema/source.ts). */
export const FORMATS: Record<string, FormatCheck> = {
  'kind': checkKind,
  'lab-name': checkLabName,
  'node-name': checkNodeName,
  'node-ref': (v) => nameProblemOnly(checkNodeName(v)),
  'endpoint-node': (v) => (v === 'host' || v === 'mgmt' ? undefined : checkNodeName(v)),
  'group-name': (v) => checkPlainName('group name', v),
  'group-ref': (v) => checkPlainName('group name', v),
  'class-name': (v) => checkPlainName('class name', v),
  'priority': priorityProblem,
  'ifname': checkIfname,
  'env-name': checkEnvName,
  'sysctl-key': checkSysctlKey,
  'rate': unit(parseRate),
  'time': unit(parseTime),
  'percent': unit(parsePercent),
  'size': unit(parseSize),
  'memory': unit((v) => {
    const n = parseSize(v);
    if (n < 4 * 1024 * 1024) throw new UnitError(`memory ${String(v)} is below 4M`, 'a node needs a few MiB to start; write e.g. 64M (a bare number means bytes)');
    return n;
  }),
  'upper-size': unit((v) => {
    const n = parseSize(v);
    if (n < 1024 * 1024) throw new UnitError(`upper ${String(v)} is below 1M`, 'a node writes its hostname and configs there; write e.g. 64M (a bare number means bytes)');
    return n;
  }),
  'lab-memory': (v) => {
    if (typeof v === 'string' && v.trim().endsWith('%')) {
      const r = unit(parsePercent)(v);
      if (r) return r;
      return parsePercent(v) > 0 ? undefined : { what: `limits.memory ${v} is 0%`, hint: 'give a share above 0%, e.g. 50%, or a size such as 8G' };
    }
    return unit((x) => {
      const n = parseSize(x);
      if (n < 16 * 1024 * 1024) throw new UnitError(`memory ${String(x)} is below 16M`, 'a lab needs a few MiB per node; write e.g. 8G, or a share of the host\'s memory: 50%');
      return n;
    })(v);
  },
  'device': (v) => {
    const r = parseDeviceEntry(String(v));
    return 'what' in r ? r : undefined;
  },
  'cpuset': (v) => {
    const problem = cpuListProblem(String(v));
    return problem ? { what: `cpuset "${String(v)}" is not a CPU list: ${problem}`, hint: 'write e.g. "0-1" or "0,2" (cpuset(7) list format: numbers and low-high ranges)' } : undefined;
  },
  'abs-path': (v) => checkNodePath(v),
  'sysctl-value': checkSysctlValue,
  'bind': (v) => {
    const parts = String(v).split(':');
    if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) {
      return { what: `bind "${String(v)}" is not "source:target[:ro]"`, hint: 'write e.g. ./data:/data or ./data:/data:ro' };
    }
    if (!parts[1].startsWith('/')) return { what: `bind target "${parts[1]}" is not an absolute path`, hint: 'the target inside the node starts with /' };
    const target = checkNodePath(parts[1], 'bind target');
    if (target) return target;
    if (parts[2] !== undefined && parts[2] !== 'ro' && parts[2] !== 'rw') return { what: `bind option "${parts[2]}" is unknown`, hint: 'use ro or rw' };
    return undefined;
  },
  'ipv4-prefix': prefixCheck(4, true),
  'ipv6-prefix': prefixCheck(6, true),
  'link-prefix': prefixCheck(0, true),
  'ip-prefix': prefixCheck(0),
  'route-prefix': (v) => (v === 'default' ? undefined : prefixCheck(0)(v)),
  'ipv4-interface': interfaceCheck(4),
  'ipv6-interface': interfaceCheck(6),
  'ip-address': addressCheck(0),
  'ipv4-address': addressCheck(4),
  'ipv6-address': addressCheck(6),
  'gateway': (v) => (parseIP(String(v)) ? undefined : nameProblemOnly(checkNodeName(v),
    `gateway "${String(v)}" is neither an address nor a node name`)),
  'mac': (v) => {
    const s = String(v);
    if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(s)) return { what: `"${s}" is not a MAC address`, hint: 'write six hex bytes, e.g. 02:00:00:00:00:01' };
    if (parseInt(s.slice(0, 2), 16) & 1) return { what: `MAC "${s}" is a multicast address`, hint: 'the lowest bit of the first byte must be 0, e.g. 02:…' };
    return undefined;
  },
  'endpoint': (v) => {
    const r = parseEndpointString(String(v));
    return 'what' in r ? r : undefined;
  },
  'route': (v) => {
    const r = parseRouteString(String(v));
    return 'what' in r ? r : undefined;
  },
};

/**
 * The same checks as yes/no answers, for the compiled schema validator
 * (src/topology/schema/check.generated.js), which only needs to know whether a
 * value fits; the message comes from FORMATS when it does not.
 */
export const FORMAT_TESTS: Record<string, (value: string) => boolean> = Object.fromEntries(
  Object.entries(FORMATS).map(([name, check]) => [name, (value: string) => check(value) === undefined]),
);

function nameProblemOnly(p: Problem | undefined, what?: string): Problem | undefined {
  if (!p) return undefined;
  return what ? { what, hint: 'write an address (10.1.0.1) or the name of a node on a shared link' } : p;
}
