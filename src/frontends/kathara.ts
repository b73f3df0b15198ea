/**
 * Kathará front-end: a lab folder (with lab.conf) or a path to its lab.conf →
 * a netlab input document.
 *
 * What Kathará does, and its netlab form (Kathará DockerMachine.py, Machine.py):
 * - every device forwards IPv4 (and IPv6 when `ipv6` is on), has rp_filter
 *   and ICMP rate limits off, IPv6 off unless asked → `forwarding: true` and
 *   `sysctls:` in `defaults:`;
 * - `m[N]=CD`: interface ethN on collision domain CD; a domain with two
 *   devices is a point-to-point link, with more a LAN, with one a network of
 *   one (the interface has carrier and nothing else is on it);
 * - the folder `m/` is copied over the device's root → one more read-only
 *   layer under the node's root (`layers: [m]`), shared, not copied;
 * - `shared.startup` then `m.startup` run after the interfaces exist
 *   (`startup:`), `m.shutdown` then `shared.shutdown` when the lab stops
 *   (`shutdown:`); `m[exec]` lines after the startup (`exec:`); none of
 *   them stops the lab when it fails, as in Kathará (`exec_errors: warn`);
 * - `shared/` is /shared in every device; `lab.dep` orders the starts (`after:`);
 * - FRR devices (the `kathara/frr` image) run FRR when their startup file
 *   (or the user) says `systemctl start frr` (`autostart: false`,
 *   `compat: true`), with the device's etc/frr/frr.conf and daemons files.
 * docs/kathara.md is the user's side of this file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TopologyError } from '../errors.js';
import { checkLabName, checkNodeName } from '../topology/names.js';
import { imageRole, unrunnableWhat } from './images.js';
import { parseLabConf, parseLabDep, type KatharaDevice, type KatharaLab } from './kathara-conf.js';
import { NODE_KEY_ORDER, NoteBook, ordered } from './notes.js';
import { optionalLabFile } from './paths.js';
import type { Frontend, FrontendOptions, ImageCatalog, LabDocument, Note } from './types.js';
import { NO_IMAGES } from './types.js';

type Obj = Record<string, unknown>;

/** Kathará's default image (kathara.conf `image`). */
export const KATHARA_DEFAULT_IMAGE = 'kathara/base';

/** Options netlab ignores, and why. */
const IGNORED: Record<string, string> = {
  shell: 'netlab shell opens /bin/bash or /bin/sh',
  num_terms: 'netlab opens no terminal windows: use netlab shell DEVICE',
  ulimit: 'nodes get netlab\'s limits (resources:)',
  privileged: 'nodes get the capabilities netlab gives every node',
};

/** The lab folder and its lab.conf for a path the user gave (a folder or its lab.conf). */
function locate(path: string): { dir: string; conf: string } {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const dir = isDir ? path : dirname(path);
  return { dir, conf: join(dir, 'lab.conf') };
}

/** A netlab lab name from Kathará's LAB_NAME or the folder's name. */
function labNameFrom(lab: KatharaLab | undefined, dir: string, notes: Note[]): string {
  const given = lab?.meta.name;
  const raw = given || basename(resolve(dir));
  if (!checkLabName(raw)) return raw;
  const fixed = raw.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 32).replace(/-+$/, '') || 'kathara';
  notes.push({ where: given ? 'lab.conf LAB_NAME' : dir, text: `lab name "${raw}" is not a netlab lab name: the lab is called ${fixed}` });
  return fixed;
}

/** The Kathará front-end. */
export const kathara: Frontend = {
  name: 'Kathará',

  detect(path: string): boolean {
    if (basename(path) === 'lab.conf') return true;
    return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'lab.conf'));
  },

  labName(path: string): string {
    const { dir, conf } = locate(path);
    let lab: KatharaLab | undefined;
    try { lab = parseLabConf(readFileSync(conf, 'utf8')); } catch { /* the name then comes from the folder */ }
    return labNameFrom(lab, dir, []);
  },

  convert(path: string, opts: FrontendOptions): LabDocument {
    const { dir, conf } = locate(path);
    let text: string;
    try { text = readFileSync(conf, 'utf8'); } catch {
      throw new TopologyError(conf, 'cannot read lab.conf', 'a Kathará lab is a folder with a lab.conf');
    }
    const notes: Note[] = [];
    const lab = parseLabConf(text);
    if (lab.devices.length === 0) throw new TopologyError('lab.conf', 'the lab has no devices', 'add lines such as pc1[0]=A');
    for (const o of lab.overwritten) notes.push({ where: `lab.conf:${o.line}`, text: `${o.device}[${o.option}] is set again: the last value counts, as in Kathará` });
    const images = opts.images ?? NO_IMAGES;
    const name = labNameFrom(lab, dir, notes);

    const deps = existsSync(join(dir, 'lab.dep')) ? parseLabDep(readFileSync(join(dir, 'lab.dep'), 'utf8')) : new Map<string, { after: string[]; line: number }>();
    const known = new Set(lab.devices.map((d) => d.name));
    for (const [d, { after, line }] of deps) {
      for (const a of [d, ...after]) {
        if (!known.has(a)) throw new TopologyError(`lab.dep:${line}`, `device ${a} is not in lab.conf`, `devices: ${[...known].join(', ')}`);
      }
    }
    for (const extra of ['lab.ext', 'lab.link']) {
      if (existsSync(join(dir, extra))) notes.push({ where: extra, text: `${extra} (links to the host's interfaces) is not read: those collision domains stay inside the lab` });
    }

    const bridged = lab.devices.filter((d) => truthy(d.options.get('bridged')?.value));
    const doc: Obj = { name };
    const desc = [lab.meta.description, lab.meta.version && `version ${lab.meta.version}`, lab.meta.author && `by ${lab.meta.author}`,
      lab.meta.email, lab.meta.web].filter(Boolean).join('; ');
    doc.description = desc || `Kathará lab ${basename(resolve(dir))}, read by netlab`;
    doc.addressing = false;
    if (bridged.length) {
      doc.mgmt = { iface: 'mgmt0' };
      notes.push({ where: `lab.conf:${bridged[0]!.options.get('bridged')!.line}`, text: `${bridged.map((d) => d.name).join(', ')} ${bridged.length > 1 ? 'are' : 'is'} bridged: every device gets netlab's management interface mgmt0 (NAT to the host's network)` });
    }
    doc.defaults = { forwarding: true, compat: true, exec_errors: 'warn', sysctls: defaultSysctls(false) };

    const shared = existsSync(join(dir, 'shared')) && statSync(join(dir, 'shared')).isDirectory();
    const nodes: Obj = {};
    const book = new NoteBook(notes);
    const scripts = opts.scripts === undefined ? undefined : resolve(opts.scripts);
    for (const d of lab.devices) nodes[d.name] = ordered(convertDevice(d, dir, deps, shared, images, notes, book, scripts), NODE_KEY_ORDER);
    book.flush();
    doc.nodes = nodes;
    doc.links = collisionDomains(lab, notes);
    return { data: doc, dir, file: conf, format: 'Kathará', notes };
  },
};

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(true|yes|on|1|y|t)$/i.test(v.trim());
}

/** The sysctls Kathará sets in every device (DockerMachine.create), for IPv6 off or on. */
function defaultSysctls(ipv6: boolean): Obj {
  const s: Obj = { 'net.ipv4.icmp_ratelimit': 0 };
  if (ipv6) {
    Object.assign(s, { 'net.ipv6.conf.all.disable_ipv6': 0, 'net.ipv6.conf.default.disable_ipv6': 0, 'net.ipv6.conf.all.forwarding': 1, 'net.ipv6.conf.all.accept_ra': 0, 'net.ipv6.icmp.ratelimit': 0 });
  } else {
    Object.assign(s, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
  }
  return s;
}

function convertDevice(d: KatharaDevice, dir: string, deps: Map<string, { after: string[]; line: number }>, shared: boolean,
  images: ImageCatalog, notes: Note[], book: NoteBook, scripts?: string): Obj {
  const where = `lab.conf:${d.line}`;
  const p = checkNodeName(d.name);
  if (p) throw new TopologyError(where, `device ${p.what}`, p.hint);
  const out: Obj = {};
  const imageOpt = d.options.get('image');
  const image = imageOpt?.value ?? KATHARA_DEFAULT_IMAGE;
  const iwhere = imageOpt ? `lab.conf:${imageOpt.line}` : where;
  const role = imageRole(image);
  // An image the store has (or up pulls, with --pull) runs as itself; only the others fall back.
  const own = images.available(image);
  if (role === 'unrunnable' && !own) {
    throw new TopologyError(iwhere, `device ${d.name} runs ${image}, ${unrunnableWhat(image)}: it is neither in netlab's image store nor installed on this host`,
      'put the image in netlab\'s store (netlab image pull, or netlab image import of a docker save archive) or run netlab up --pull, or use kathara/frr and an FRR configuration');
  }
  if (own) out.image = image;
  const folder = optionalLabFile(dir, d.name, where, 'device folder');
  if (folder?.isDir) out.layers = [folder.rel];
  if (role === 'frr' || role === 'bird') {
    out.kind = role;
    out.autostart = false;
    const daemon = role === 'frr' ? 'FRR' : 'BIRD';
    const conf = role === 'frr' ? optionalLabFile(dir, join(d.name, 'etc/frr/frr.conf'), where, 'frr.conf')
      : optionalLabFile(dir, join(d.name, 'etc/bird/bird.conf'), where, 'bird.conf');
    if (conf) out.config = conf.rel;
    if (role === 'frr') {
      const daemons = optionalLabFile(dir, join(d.name, 'etc/frr/daemons'), where, 'FRR daemons file');
      if (daemons) out.daemons = daemons.rel;
    }
    if (own) book.runs(image, d.name, images.stored?.(image) ?? true ? 'stored' : 'pulled', role, iwhere);
    else book.image(image, d.name, role, iwhere, `, started when the startup file (or you) run \`systemctl start ${role}\``);
    if (!conf) notes.push({ where, text: `${d.name} has no ${role === 'frr' ? 'etc/frr/frr.conf' : 'etc/bird/bird.conf'}: ${daemon} starts with an empty configuration` });
  } else if (own) {
    book.runs(image, d.name, images.stored?.(image) ?? true ? 'stored' : 'pulled', 'linux', iwhere);
  } else {
    book.image(image, d.name, 'root', iwhere);
  }
  // A script from the scripts folder is named by its absolute path (the document's paths are relative to the lab folder).
  const script = (f: string, what: string): string | undefined => {
    const own = scripts === undefined ? undefined : optionalLabFile(scripts, f, where, what);
    if (own && !own.isDir) return own.abs;
    const inLab = optionalLabFile(dir, f, where, what);
    return inLab && !inLab.isDir ? inLab.rel : undefined;
  };
  const startup = ['shared.startup', `${d.name}.startup`].map((f) => script(f, 'startup file')).filter((f) => f !== undefined);
  if (startup.length) out.startup = startup;
  const shutdown = [`${d.name}.shutdown`, 'shared.shutdown'].map((f) => script(f, 'shutdown file')).filter((f) => f !== undefined);
  if (shutdown.length) out.shutdown = shutdown;
  if (d.exec.length) out.exec = [...d.exec];
  if (shared) out.binds = ['shared:/shared'];
  const dep = deps.get(d.name);
  if (dep) out.after = [...dep.after];

  const resources: Obj = {};
  const mem = d.options.get('mem');
  if (mem) resources.memory = /^\d+$/.test(mem.value) ? `${mem.value}m` : mem.value;
  const cpus = d.options.get('cpus');
  if (cpus) {
    const n = Number(cpus.value);
    if (!(n > 0)) throw new TopologyError(`lab.conf:${cpus.line}`, `${d.name}[cpus]="${cpus.value}" is not a positive number`, 'write e.g. r1[cpus]=0.5');
    resources.cpus = n;
  }
  if (Object.keys(resources).length) out.resources = resources;
  const ipv6 = truthy(d.options.get('ipv6')?.value);
  const sysctls: Obj = ipv6 ? defaultSysctls(true) : {};
  for (const [k, v] of d.sysctls) sysctls[k] = /^-?\d+$/.test(v) ? Number(v) : v;
  if (Object.keys(sysctls).length) out.sysctls = sysctls;
  if (d.envs.length) out.env = Object.fromEntries(d.envs.map(([k, v]) => [k, v]));
  for (const [port, line] of d.ports) notes.push({ where: `lab.conf:${line}`, text: `${d.name}[port]=${port} is ignored: netlab publishes no ports on the host` });
  for (const [opt, { line }] of d.options) {
    if (['image', 'mem', 'cpus', 'bridged', 'ipv6'].includes(opt)) continue;
    book.ignore(`[${opt}]`, d.name, `lab.conf:${line}`, IGNORED[opt] ?? '');
  }
  return out;
}

/** Collision domains, in order of first mention → links. */
function collisionDomains(lab: KatharaLab, notes: Note[]): Obj[] {
  const cds = new Map<string, { node: string; iface: string; mac?: string; line: number }[]>();
  const mentions: { cd: string; line: number; node: string; iface: string; mac?: string }[] = [];
  for (const d of lab.devices) for (const [num, i] of d.interfaces) mentions.push({ cd: i.cd, line: i.line, node: d.name, iface: `eth${num}`, ...(i.mac ? { mac: i.mac } : {}) });
  mentions.sort((a, b) => a.line - b.line);
  for (const m of mentions) {
    const list = cds.get(m.cd) ?? [];
    list.push({ node: m.node, iface: m.iface, ...(m.mac ? { mac: m.mac } : {}), line: m.line });
    cds.set(m.cd, list);
  }
  const links: Obj[] = [];
  for (const [cd, members] of cds) {
    const link: Obj = {};
    if (Buffer.byteLength(cd) <= 15 && !/^s\d+e\d+$/.test(cd) && !/^lan\d+$/.test(cd)) link.name = cd;
    else notes.push({ where: `lab.conf:${members[0]!.line}`, text: `collision domain ${cd} is not a usable link name (at most 15 bytes): the link is unnamed` });
    link.endpoints = members.map((m) => (m.mac ? { node: m.node, iface: m.iface, mac: m.mac } : `${m.node}:${m.iface}`));
    links.push(link);
  }
  return links;
}
