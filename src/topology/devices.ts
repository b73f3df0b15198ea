/**
 * `resources.devices` entries as written in a topology: parsed and checked
 * here (pure), resolved against the host's /dev by src/core/devices.ts at
 * `up`. Rule syntax: the cgroup v1 devices controller's
 * (Documentation/admin-guide/cgroup-v1/devices.rst).
 */
/** A `resources.devices` entry as written: a host device path (made visible in the node), or a bare rule. */
export type DeviceSpec = { path: string; access: string } | { rule: string };

const RULE = /^[abc] (\*|\d{1,7}):(\*|\d{1,7}) [rwm]{1,3}$/;

/** What is wrong with a rule's text, or undefined. Pure. */
function ruleProblem(rule: string): string | undefined {
  if (!RULE.test(rule)) return 'is not "TYPE MAJOR:MINOR ACCESS"';
  const [type, nums, access] = rule.split(' ') as [string, string, string];
  if (new Set(access).size !== access.length) return `repeats a letter in "${access}"`;
  for (const n of nums.split(':')) if (n !== '*' && Number(n) > 0xfffff) return `has a device number above ${0xfffff}`;
  if (type === 'a' && nums !== '*:*') return 'type a (every device) takes *:*';
  return undefined;
}

/**
 * Parses one `resources.devices` entry. Pure.
 *   "/dev/kvm"          the host's device, read and write (rw)
 *   "/dev/kvm:rwm"      … with this access
 *   "c 10:232 rwm"      a rule only (no device node is made visible)
 * @returns the spec, or `{ what, hint }` saying what is wrong.
 */
export function parseDeviceEntry(text: string): DeviceSpec | { what: string; hint: string } {
  const hint = 'write a host device path ("/dev/kvm", or "/dev/kvm:rw" with the access), or a rule "c 10:232 rwm" (c char, b block; major:minor, * for any; r read, w write, m mknod)';
  if (text.startsWith('/')) {
    const colon = text.lastIndexOf(':');
    const path = colon > 0 ? text.slice(0, colon) : text;
    const access = colon > 0 ? text.slice(colon + 1) : 'rw';
    if (!/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length) {
      return { what: `device "${text}": access "${access}" is not made of r, w and m`, hint };
    }
    if (path.split('/').includes('..')) return { what: `device path "${path}" holds ".."`, hint: 'give the device\'s own path, e.g. /dev/kvm' };
    return { path, access };
  }
  const problem = ruleProblem(text);
  return problem ? { what: `device rule "${text}" ${problem}`, hint } : { rule: text };
}
