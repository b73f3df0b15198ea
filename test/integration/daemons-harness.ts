/**
 * A throw-away stand-in for a lab, for the daemon tests until the container
 * core and the applier exist: each node is an `unshare --mount --net --pid
 * --uts --ipc --fork` process whose root is an overlay of the host's `/` with
 * an upper directory in /dev/shm (tmpfs, so it cannot overlap the lower layer),
 * with private /proc, /sys, /run, /tmp. Kinds' files are written into the
 * upper directory before the node starts, exactly as the applier does.
 * p2p links are veth pairs created with one end straight in the peer's
 * namespace; addresses, loopbacks, static routes and gateways as planned.
 * LAN segments are not supported here.
 *
 * Each node's PID 1 writes to <dir>/console.log (the node console).
 * Everything lives in the nodes' namespaces and /dev/shm; destroy() kills
 * each node's PID 1 (which ends its namespaces, daemons and veths) and removes
 * the directories. Never `ip netns add`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getKind } from '../../src/daemons/registry.js';
import { writeNodeFiles } from '../../src/daemons/files.js';
import type { ExecOptions, ExecResult, NodeContext } from '../../src/daemons/kind.js';
import { sysctlsOf, usesIPv6 } from '../../src/graph/plan.js';
import type { Node, Topology } from '../../src/topology/types.js';

/** The script each node's unshare runs: mounts, hostname, then a reaping PID 1 chrooted into the overlay. */
const NODE_SCRIPT = `set -e
B=$1
mount -t overlay overlay -o lowerdir=/,upperdir=$B/upper,workdir=$B/work $B/root
R=$B/root
mount -t proc proc $R/proc
mount --rbind /dev $R/dev
mount -t sysfs sysfs $R/sys
mount -t tmpfs tmpfs $R/run
mount -t tmpfs tmpfs $R/tmp
hostname "$2"
cd $R
exec chroot $R /bin/bash -c 'ip link set lo up; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'
`;

export interface ScratchNode {
  node: Node;
  /** Host pid of the node's PID 1. */
  pid: number;
  dir: string;
  ctx: NodeContext;
}

function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.stdout || r.error?.message}`);
  return r.stdout;
}

/** Runs argv inside the node with pid `pid` (all its namespaces and its root). Never throws on a non-zero exit. */
export function execIn(pid: number, env: Record<string, string>, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn('nsenter', ['-t', String(pid), '-a', '-r', '-w', '--', ...argv], {
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ...env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on('error', () => { /* the command did not read its input */ });
      child.stdin.end(opts.input);
    }
  });
}

/** A lab of scratch nodes. */
export class ScratchLab {
  readonly nodes = new Map<string, ScratchNode>();
  private readonly procs: ChildProcess[] = [];
  private base = '';

  constructor(readonly topology: Topology) {}

  /** Starts every node, writes its kind's files, creates links, addresses and routes (not daemons). */
  async build(): Promise<void> {
    this.base = mkdtempSync('/dev/shm/netlab-daemons-');
    // If the test process dies without destroy(), the nodes must not outlive it.
    process.once('exit', this.killSync);
    const t = this.topology;
    const v6 = usesIPv6(t);
    for (const n of t.nodes) {
      const dir = join(this.base, n.name);
      for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d), { recursive: true });
      writeNodeFiles(join(dir, 'upper'), getKind(n.kind).files(n, t), '/', n.name);
      const consoleFd = openSync(join(dir, 'console.log'), 'a');
      const p = spawn('unshare', ['--mount', '--net', '--pid', '--uts', '--ipc', '--fork', '--kill-child', '--propagation', 'private', '/bin/sh', '-c', NODE_SCRIPT, 'sh', dir, n.name], { stdio: ['ignore', consoleFd, 'pipe'] });
      closeSync(consoleFd);
      // A test that never calls destroy() must not keep the process alive: the exit handler kills the nodes.
      p.unref();
      (p.stderr as unknown as { unref?: () => void } | null)?.unref?.();
      let stderr = '';
      p.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      this.procs.push(p);
      const pid = await this.initPid(p.pid!, join(dir, 'root')).catch((e: Error) => { throw new Error(`${n.name}: ${e.message}: ${stderr.trim()}`); });
      const node: ScratchNode = { node: n, pid, dir, ctx: undefined as unknown as NodeContext };
      node.ctx = { lab: t.name, node: n, topology: t, upperDir: join(dir, 'upper'), exec: (argv, opts) => execIn(pid, n.env, argv, opts) };
      this.nodes.set(n.name, node);
      const sysctls = { ...sysctlsOf(n, v6), ...(getKind(n.kind).sysctls?.(n) ?? {}) };
      const script = Object.entries(sysctls).map(([k, v]) => `echo ${v} > /proc/sys/${k.replaceAll('.', '/')}`).join('\n');
      const r = await execIn(pid, {}, ['/bin/sh', '-c', script]);
      if (r.code !== 0) throw new Error(`sysctls on ${n.name}: ${r.stderr}`);
    }
    for (const l of t.links) {
      if (l.kind !== 'p2p') throw new Error('the scratch harness only builds p2p links');
      const [a, b] = l.endpoints as [{ node: string; iface: string }, { node: string; iface: string }];
      const na = this.nodes.get(a.node)!, nb = this.nodes.get(b.node)!;
      sh(['nsenter', '-t', String(na.pid), '-n', 'ip', 'link', 'add', a.iface, 'type', 'veth', 'peer', 'name', b.iface, 'netns', String(nb.pid)]);
    }
    for (const s of this.nodes.values()) {
      const n = s.node;
      const cmds: string[] = [];
      for (const c of [n.loopback.ipv4, n.loopback.ipv6]) if (c) cmds.push(`ip addr add ${c} dev lo`);
      for (const i of n.interfaces) {
        cmds.push(`ip link set ${i.name} address ${i.mac} mtu ${i.mtu}`);
        for (const c of [i.ipv4, i.ipv6]) if (c) cmds.push(`ip addr add ${c} dev ${i.name}`);
        cmds.push(`ip link set ${i.name} up`);
      }
      for (const r of n.routes) cmds.push(`ip route add ${r.prefix}${r.via?.length ? ` via ${r.via[0]}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`);
      if (n.gateway?.ipv4) cmds.push(`ip route add default via ${n.gateway.ipv4}`);
      if (n.gateway?.ipv6) cmds.push(`ip -6 route add default via ${n.gateway.ipv6}`);
      const r = await execIn(s.pid, {}, ['/bin/sh', '-ec', cmds.join('\n')]);
      if (r.code !== 0) throw new Error(`addresses on ${n.name}: ${r.stderr}`);
    }
  }

  /** The node's console (its PID 1's stdout), as text. */
  console(name: string): string {
    const s = this.nodes.get(name);
    return s ? readFileSync(join(s.dir, 'console.log'), 'utf8') : '';
  }

  /** The NodeContext of a node. */
  ctx(name: string): NodeContext {
    const s = this.nodes.get(name);
    if (!s) throw new Error(`no node ${name}`);
    return s.ctx;
  }

  /** Runs argv in a node. */
  exec(name: string, argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    return this.ctx(name).exec(argv, opts);
  }

  /** Starts every node's kind in parallel and waits until all are ready. */
  async startAll(timeoutMs = 30_000): Promise<void> {
    await Promise.all([...this.nodes.values()].map(async (s) => {
      const k = getKind(s.node.kind);
      await k.start(s.ctx);
      await k.ready(s.ctx, timeoutMs);
    }));
  }

  private readonly killSync = (): void => {
    for (const s of this.nodes.values()) {
      try { process.kill(s.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    for (const p of this.procs) p.kill('SIGKILL');
    if (this.base) rmSync(this.base, { recursive: true, force: true });
  };

  /** Kills every node (its namespaces go with its PID 1) and removes the directories. Idempotent. */
  async destroy(): Promise<void> {
    process.removeListener('exit', this.killSync);
    for (const s of this.nodes.values()) {
      try { process.kill(s.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    for (const p of this.procs) p.kill('SIGKILL');
    await Promise.all(this.procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)))));
    this.nodes.clear();
    if (this.base) rmSync(this.base, { recursive: true, force: true });
    this.base = '';
  }

  /** Waits until unshare's child has chrooted into `root`; returns its host pid. */
  private async initPid(unsharePid: number, root: string): Promise<number> {
    for (let i = 0; i < 500; i++) {
      const children = `/proc/${unsharePid}/task/${unsharePid}/children`;
      if (!existsSync(children)) throw new Error('unshare exited early (root? overlayfs?)');
      const pid = Number(readFileSync(children, 'utf8').trim().split(' ')[0]);
      if (pid) {
        try { if (readlinkSync(`/proc/${pid}/root`) === root) return pid; } catch { /* racing */ }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the scratch node did not start within 5 s');
  }
}
