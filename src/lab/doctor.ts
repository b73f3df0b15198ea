/**
 * `netlab doctor`: what this machine can and cannot do for a lab, and for each
 * missing piece what it affects and how to get it. Probes run in a throw-away
 * network namespace (`unshare --net`), so the host is never changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { detectCgroups, type CgroupLayout } from '../core/cgroups.js';
import { imageFacts } from '../image/index.js';
import { allKinds } from '../daemons/registry.js';
import { findProgram } from './programs.js';
import { rootlessChecks, rootlessFacts } from './doctor-rootless.js';
import { captureBinary, enterBinary, initBinary, unpackBinary } from '../core/native.js';
import { probeQdiscSupport, supportReport } from '../shaping/probe.js';

/** One line of the doctor's report. */
export interface Check {
  /** Short name: `overlayfs`, `sch_netem`, `frr`. */
  name: string;
  ok: boolean;
  /** What was found (a version, a mode, the error). */
  detail: string;
  /** What does not work without it. */
  affects: string;
  /** How to get it (package, module). */
  fix: string;
  /** Labs cannot start at all without it. */
  required: boolean;
}

/**
 * Link kinds probed in one throw-away network namespace. Returns name → error
 * text ('' when it works). Qdiscs and classifiers are src/shaping's probe.
 */
function probeNetFeatures(): Map<string, string> {
  const probes: Record<string, string> = {
    veth: 'ip link add nlp0 type veth peer name nlp1',
    bridge: 'ip link add nlpbr type bridge',
    vxlan: 'ip link add nlpvx type vxlan id 5 dstport 4789',
    macvlan: 'ip link add nlpmv link nlp0 type macvlan',
  };
  const script = Object.entries(probes)
    .map(([name, cmd]) => `if out=$(${cmd} 2>&1); then echo "${name}="; else echo "${name}=$(echo $out | head -c 200)"; fi`)
    .join('\n');
  // An ordinary user probes in a user namespace of its own (root there: docs/rootless.md).
  const r = spawnSync('unshare', [...(process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']), '--net', 'sh', '-c', script], { encoding: 'utf8' });
  const found = new Map<string, string>();
  if (r.status !== 0 && !r.stdout) {
    for (const name of Object.keys(probes)) found.set(name, `could not probe: ${(r.stderr || r.error?.message || '').trim()}`);
    return found;
  }
  for (const line of r.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) found.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return found;
}

/** Runs every check. Takes ~100 ms (two throw-away namespaces plus file reads). */
export async function runChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Omit<Check, 'required'> & { required?: boolean }) => checks.push({ required: false, ...c });

  const root = process.getuid?.() === 0;
  if (root) add({ name: 'root', ok: root, detail: 'running as root', affects: '', fix: '', required: true });
  else checks.push(...rootlessChecks(rootlessFacts())); // an ordinary user: labs without root (docs/rootless.md)

  const [maj, min] = process.versions.node.split('.').map(Number);
  add({ name: 'node.js', ok: maj > 20 || (maj === 20 && min >= 19), detail: `v${process.versions.node}`, affects: 'netlab itself', fix: 'install Node.js 20.19 or newer', required: true });

  for (const ns of ['pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup']) {
    const ok = existsSync(`/proc/self/ns/${ns}`);
    add({ name: `${ns} namespace`, ok, detail: ok ? 'available' : 'missing', affects: 'every node', fix: `a kernel with CONFIG_${ns === 'mnt' ? '' : ns.toUpperCase() + '_'}NS`.replace('CONFIG_NS', 'CONFIG_NAMESPACES'), required: true });
  }
  const userOk = existsSync('/proc/self/ns/user') && Number(readOrEmpty('/proc/sys/user/max_user_namespaces') || '0') > 0;
  add({ name: 'user namespace', ok: userOk, detail: userOk ? 'available' : 'disabled', affects: 'every lab but those with userns: false', fix: 'sysctl user.max_user_namespaces=15000 (CONFIG_USER_NS)' });
  const [kmaj = 0, kmin = 0] = release().split('.').map((x) => parseInt(x, 10));
  const idmap = kmaj > 5 || (kmaj === 5 && kmin >= 19);
  add({ name: 'idmapped layers', ok: idmap, detail: `Linux ${release()}`, affects: 'nodes in user namespaces: without, the host\'s files appear owned by nobody (docs/nodes.md)', fix: 'Linux 5.19 or newer' });

  const overlay = /\toverlay$/m.test(readOrEmpty('/proc/filesystems'));
  add({ name: 'overlayfs', ok: overlay, detail: overlay ? 'in /proc/filesystems' : 'not loaded', affects: 'every node (copy-on-write root)', fix: 'modprobe overlay (CONFIG_OVERLAY_FS)', required: true });

  let layout: CgroupLayout | undefined;
  let cgError = '';
  try { layout = detectCgroups(); } catch (err) { cgError = (err as Error).message; }
  const modeText = { v2: 'cgroup v2 (unified)', hybrid: 'hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)', v1: 'cgroup v1' };
  add({ name: 'cgroups', ok: Boolean(layout), detail: layout ? modeText[layout.mode] : cgError, affects: 'node limits (memory, cpus, pids) and teardown', fix: 'mount cgroup2 on /sys/fs/cgroup', required: root });
  const v1Controllers = new Set(layout?.v1.flatMap((h) => h.controllers) ?? []);
  const procCgroups = readOrEmpty('/proc/cgroups');
  for (const ctrl of ['memory', 'pids', 'cpu', 'cpuset', 'net_cls']) {
    const ok = ctrl === 'net_cls'
      ? new RegExp(`^net_cls\\s+\\d+\\s+\\d+\\s+1$`, 'm').test(procCgroups)
      : Boolean(layout?.unifiedControllers.includes(ctrl) || v1Controllers.has(ctrl));
    add({
      name: `cgroup ${ctrl}`, ok, detail: ok ? 'enabled' : 'missing',
      affects: ctrl === 'net_cls' ? 'node traffic classes (netlab exec --class) on cgroup v1/hybrid; v2 uses the cgroup path instead' : `resources.${ctrl === 'cpu' ? 'cpus' : ctrl}`,
      fix: ctrl === 'net_cls' ? 'CONFIG_CGROUP_NET_CLASSID' : `enable the ${ctrl} controller (kernel command line cgroup_enable=${ctrl})`,
    });
  }

  // containment (docs/nodes.md): the devices allow-list and the seccomp filter
  const bpf = existsSync('/proc/sys/kernel/unprivileged_bpf_disabled'); // CONFIG_BPF_SYSCALL
  const devOk = layout ? (layout.unified ? bpf : v1Controllers.has('devices')) : false;
  add({
    name: 'devices allow-list', ok: devOk,
    detail: [v1Controllers.has('devices') ? 'cgroup v1 devices' : '', layout?.unified ? (bpf ? 'cgroup v2 BPF' : 'no BPF for cgroup v2') : ''].filter(Boolean).join(' + ') || 'missing',
    required: false,
    affects: root ? 'every node: netlab refuses to start nodes it cannot keep from the host\'s devices' : 'labs run as root (a rootless node gets only the host\'s own device nodes bound in)', fix: 'a kernel with CONFIG_CGROUP_DEVICE (v1) or CONFIG_BPF_SYSCALL and CONFIG_CGROUP_BPF (v2); or resources: { devices: ["a *:* rwm"] } on every node',
  });
  const seccomp = existsSync('/proc/sys/kernel/seccomp/actions_avail');
  add({ name: 'seccomp filter', ok: seccomp, detail: seccomp ? 'available' : 'missing', affects: 'every node (security: { seccomp: unconfined } goes without)', fix: 'a kernel with CONFIG_SECCOMP_FILTER' });

  const net = probeNetFeatures();
  const netInfo: Record<string, { affects: string; fix: string; required?: boolean }> = {
    veth: { affects: 'every link', fix: 'modprobe veth (CONFIG_VETH)', required: true },
    bridge: { affects: 'LAN segments (3+ endpoints) and kind: bridge', fix: 'modprobe bridge (CONFIG_BRIDGE)' },
    vxlan: { affects: 'nothing yet (multi-host labs later)', fix: 'modprobe vxlan (CONFIG_VXLAN)' },
    macvlan: { affects: 'nothing yet', fix: 'modprobe macvlan (CONFIG_MACVLAN)' },
  };
  for (const [name, info] of Object.entries(netInfo)) {
    const err = net.get(name);
    add({ name, ok: err === '', detail: err === '' ? 'works' : err ?? 'not probed', affects: info.affects, fix: info.fix, required: info.required });
  }
  // The qdisc probe talks netlink from this (multi-threaded) process into a namespace: root only. A rootless
  // lab's qdiscs are the same kernel's: `sudo netlab doctor` shows them.
  if (!root) add({ name: 'qdiscs', ok: true, detail: 'probed only as root (sudo netlab doctor): a rootless lab has the same kernel\'s qdiscs', affects: '', fix: '' });
  for (const item of root ? supportReport(await probeQdiscSupport()) : []) {
    add({ name: item.name, ok: item.ok, detail: item.detail, affects: item.ok ? '' : shapingAffects(item.name), fix: item.hint });
  }

  const programs: (readonly [string, string, string, string])[] = [
    ['ip', 'ip', 'netlab link show readbacks, users\' own debugging', 'apt install iproute2'],
    ['tc', 'tc', 'netem delay distributions (/usr/lib/tc/*.dist) and users\' debugging', 'apt install iproute2'],
    ['nft', 'nft', 'management network NAT, traffic classes without cls_cgroup, node priority:', 'apt install nftables'],
    ['iptables', 'iptables', 'traffic classes fallback (CLASSIFY)', 'apt install iptables'],
    ...allKinds().flatMap((k) => k.facts.doctor),
    ['ping', 'ping', 'tests: reach', 'apt install iputils-ping'],
    ['iperf3', 'iperf3', 'measuring shaped links', 'apt install iperf3'],
    ['tcpdump', 'tcpdump', 'capturing inside nodes', 'apt install tcpdump'],
    ['tshark', 'tshark', 'reading captures on the command line (netlab\'s tests)', 'apt install tshark'],
  ];
  for (const [name, program, affects, fix] of programs) {
    const path = findProgram(program);
    add({ name, ok: Boolean(path), detail: path ?? 'not found', affects, fix });
  }

  const img = imageFacts();
  add({
    name: 'image store', ok: img.writable,
    detail: img.writable ? `${img.store} (${img.freeBytes !== undefined ? `${(img.freeBytes / 1e9).toFixed(1)} GB free` : 'free space unknown'})` : `${img.store}: ${img.error ?? 'not writable'}`,
    affects: 'nodes with image: (pull, import)', fix: 'run as root, or point NETLAB_STORE to a folder you can write',
  });
  add({
    name: 'image layers', ok: img.layersPerImage === 'any',
    detail: img.layersPerImage === 'any' ? `Linux ${img.kernel}: any number per image (overlayfs lowerdir+)` : `Linux ${img.kernel}: about ${img.layersPerImage} per image`,
    affects: 'images with many layers', fix: 'Linux 6.8 or newer takes any number of layers; or flatten the image (fewer layers)',
  });
  let capture = '';
  try { capture = captureBinary(); } catch { /* not built */ }
  const pcap = capture ? spawnSync(capture, ['--check'], { encoding: 'utf8' }) : undefined;
  add({
    name: 'libpcap', ok: pcap?.status === 0, detail: !capture ? 'netlab-capture not built' : pcap?.status === 0 ? 'loads' : (pcap?.stderr.replace(/^error - \S+ \d+ /, '').trim() || 'cannot be loaded'),
    affects: 'netlab capture', fix: capture ? 'apt install libpcap0.8' : 'npm run build',
  });

  for (const [helper, find] of [['netlab-init', initBinary], ['netlab-enter', enterBinary]] as const) {
    let path = '';
    try { path = find(); } catch { /* not built */ }
    add({ name: helper, ok: Boolean(path), detail: path || 'not built', affects: 'every node', fix: 'npm run build (needs a C compiler: apt install gcc make)', required: true });
  }
  let unpack = '';
  try { unpack = unpackBinary(); } catch { /* not built */ }
  add({ name: 'netlab-unpack', ok: Boolean(unpack), detail: unpack || 'not built', affects: 'image pull and import', fix: 'npm run build (needs a C compiler: apt install gcc make)' });
  const archive = unpack ? spawnSync(unpack, ['--check'], { encoding: 'utf8' }) : undefined;
  add({
    name: 'libarchive', ok: archive?.status === 0, detail: !unpack ? 'netlab-unpack not built' : archive?.status === 0 ? 'loads' : (archive?.stderr.trim() || 'cannot be loaded'),
    affects: 'image pull and import (nodes with image:)', fix: unpack ? 'apt install libarchive13' : 'npm run build',
  });
  const fetch = unpack ? spawnSync(unpack, ['--check-fetch'], { encoding: 'utf8' }) : undefined;
  add({
    name: 'libcurl', ok: fetch?.status === 0, detail: !unpack ? 'netlab-unpack not built' : fetch?.status === 0 ? 'loads (with libcrypto)' : (fetch?.stderr.trim() || 'cannot be loaded'),
    affects: 'speed only: uncompressed layers are downloaded through Node instead, about 1.4x slower', fix: unpack ? 'apt install libcurl4 libssl3' : 'npm run build',
  });
  return checks;
}

/** What a missing shaping feature takes away, for the doctor's "affects" line. */
function shapingAffects(name: string): string {
  if (name === 'qdisc netem') return 'shaping: delay, jitter, loss, corrupt, duplicate, reorder (rate limits still work)';
  if (name === 'qdisc tbf') return 'shaping: rate limits';
  if (name === 'qdisc htb') return 'shaping: rate with impairments, traffic classes';
  if (name === 'netem distributions') return 'shaping: jitter with a normal/pareto distribution';
  if (name === 'class classification') return 'traffic classes (netlab exec --class)';
  return 'shaping';
}

function readOrEmpty(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}
