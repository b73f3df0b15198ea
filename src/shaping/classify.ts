/**
 * How a packet finds its node class. htb looks at skb->priority first: when it
 * names one of its leaf classes (1:11) the packet goes there
 * (net/sched/sch_htb.c, htb_classify). So a rule in the node's namespace that
 * sets the priority from the sending socket's cgroup classifies without any tc
 * filter. Three ways, chosen per host (classes.ts):
 *
 *  cls_cgroup   tc filter on the htb root; the kernel maps the socket's net_cls
 *               classid to the class itself. Needs CONFIG_NET_CLS_CGROUP and net_cls.
 *  nft          `meta cgroup <classid> meta priority set 1:11` (net_cls), or
 *               `socket cgroupv2 level N "<path>" meta priority set 1:11` (v2),
 *               in table `inet netlab_classes`, output hook.
 *  iptables     mangle OUTPUT → chain NETLAB_CLASSES:
 *               `-m cgroup --cgroup <classid>` (net_cls) or `--path <path>` (v2)
 *               `-j CLASSIFY --set-class 1:11`, for IPv4 and IPv6.
 *
 * The rule texts are built by pure functions; installRules runs nft or
 * iptables inside the node's network namespace (nsenter --net, which keeps the
 * host's mount namespace, so cgroup paths resolve as on the host).
 */
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { NetlabError } from '../errors.js';
import type { PlannedClass } from './plan.js';
import { formatHandle } from './tcmath.js';

/** Which classification runs on a node. */
export type Classifier = 'cls_cgroup' | 'nft' | 'iptables';

/** How the rule matches a class: by net_cls classid, or by cgroup v2 path. */
export type ClassMatch =
  | { mode: 'net_cls' }
  | {
    mode: 'cgroup2';
    /** Per class name: path relative to the v2 root (iptables --path), path relative to /sys/fs/cgroup (nft), depth. */
    paths: Record<string, { path: string; nftPath: string; level: number }>;
  };

/** nft resolves `socket cgroupv2` paths below this directory (nftables src/datatype.c). */
export const NFT_CGROUP2_BASE = '/sys/fs/cgroup';
export const NFT_TABLE = 'netlab_classes';
export const IPT_CHAIN = 'NETLAB_CLASSES';

function quote(path: string): string {
  if (/["\n\\]/.test(path)) throw new NetlabError(`cgroup ${path}`, 'cgroup path contains a quote, newline or backslash', 'use plain lab and node names');
  return `"${path}"`;
}

/** nft's path for a v2 class cgroup: relative to /sys/fs/cgroup; undefined when the cgroup lies elsewhere. */
export function nftCgroup2Path(absDir: string): string | undefined {
  const rel = relative(NFT_CGROUP2_BASE, absDir);
  return rel.startsWith('..') ? undefined : rel;
}

/**
 * The nft script that (re)creates table inet netlab_classes with one rule per
 * class. It first declares and deletes the table, so loading it replaces an
 * older version atomically (one nft transaction). Pure.
 */
export function nftRuleset(classes: PlannedClass[], match: ClassMatch): string {
  const rules = classes.map((c) => {
    const set = `meta priority set ${formatHandle(c.classid)}`;
    if (match.mode === 'net_cls') return `    meta cgroup ${c.classid} ${set}`;
    const p = match.paths[c.name];
    if (!p) throw new Error(`nftRuleset: no cgroup path for class ${c.name}`);
    return `    socket cgroupv2 level ${p.level} ${quote(p.nftPath)} ${set}`;
  });
  return [
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    '  chain output {',
    '    type filter hook output priority 0; policy accept;',
    ...rules,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The nft script that removes the table (declare first, so it never fails on absence). */
export function nftRemoveRuleset(): string {
  return `table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`;
}

/**
 * iptables argument lists (each for both `iptables` and `ip6tables`) that
 * create chain NETLAB_CLASSES in the mangle table, hook it into OUTPUT, and
 * add one CLASSIFY rule per class. Pure.
 */
export function iptablesRules(classes: PlannedClass[], match: ClassMatch): string[][] {
  const out: string[][] = [
    ['-w', '-t', 'mangle', '-N', IPT_CHAIN],
    ['-w', '-t', 'mangle', '-A', 'OUTPUT', '-j', IPT_CHAIN],
  ];
  for (const c of classes) {
    const m = match.mode === 'net_cls' ? ['--cgroup', String(c.classid)] : ['--path', match.paths[c.name]!.path];
    out.push(['-w', '-t', 'mangle', '-A', IPT_CHAIN, '-m', 'cgroup', ...m, '-j', 'CLASSIFY', '--set-class', formatHandle(c.classid)]);
  }
  return out;
}

/** iptables argument lists that undo iptablesRules (errors from absent rules are ignored by the caller). */
export function iptablesRemoveRules(): string[][] {
  return [
    ['-w', '-t', 'mangle', '-D', 'OUTPUT', '-j', IPT_CHAIN],
    ['-w', '-t', 'mangle', '-F', IPT_CHAIN],
    ['-w', '-t', 'mangle', '-X', IPT_CHAIN],
  ];
}

/** Runs a command inside the network namespace at `netnsPath`; returns stderr on failure, '' on success. */
export function runInNetns(netnsPath: string, cmd: string, args: string[], input?: string): string {
  const r = spawnSync('nsenter', [`--net=${netnsPath}`, cmd, ...args], { input, encoding: 'utf8', timeout: 15000 });
  if (r.status === 0) return '';
  return (r.stderr || r.error?.message || `exit ${r.status}`).trim() || `exit ${r.status}`;
}

/**
 * Installs the classification rules of `classifier` in the namespace.
 * @returns '' on success, else what nft/iptables said (the caller falls back).
 */
export function installRules(netnsPath: string, classifier: Exclude<Classifier, 'cls_cgroup'>, classes: PlannedClass[], match: ClassMatch): string {
  if (classifier === 'nft') return runInNetns(netnsPath, 'nft', ['-f', '-'], nftRuleset(classes, match));
  removeRules(netnsPath, 'iptables');
  for (const bin of ['iptables', 'ip6tables']) {
    for (const args of iptablesRules(classes, match)) {
      const err = runInNetns(netnsPath, bin, args);
      if (err) {
        removeRules(netnsPath, 'iptables');
        return `${bin} ${args.join(' ')}: ${err}`;
      }
    }
  }
  return '';
}

/** Removes the rules of `classifier` from the namespace (best effort: absent rules are fine). */
export function removeRules(netnsPath: string, classifier: Classifier): void {
  if (classifier === 'nft') runInNetns(netnsPath, 'nft', ['-f', '-'], nftRemoveRuleset());
  if (classifier === 'iptables') {
    for (const bin of ['iptables', 'ip6tables']) for (const args of iptablesRemoveRules()) runInNetns(netnsPath, bin, args);
  }
}
