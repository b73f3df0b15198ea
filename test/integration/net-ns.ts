/**
 * Throw-away network namespaces for the net tests and benchmarks: each one is
 * a `unshare --net sleep` process (never `ip netns add`, which leaves a shared
 * bind mount on /run/netns). Killing the process frees the namespace and every
 * interface in it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { closeNetns, openNetns } from '../../src/core/netns.js';
import { leakcheckAround } from '../helpers/kernel.js';
import { waitOperUp } from '../../src/net/iface.js';
import { Rtnl } from '../../src/net/rtnl.js';

/** One namespace held by a sleeping process. */
export interface TestNetns {
  /** Name for messages ("r1"). */
  name: string;
  pid: number;
  /** Open fd of /proc/PID/ns/net. */
  fd: number;
  proc: ChildProcess;
}

const hostNs = readlinkSync('/proc/self/ns/net');

/**
 * Starts `names.length` namespaces (in parallel) and opens their fds. Waits until
 * each process has actually entered its new namespace.
 */
export async function startNetns(names: string[]): Promise<TestNetns[]> {
  const procs = names.map((name) => ({ name, proc: spawn('unshare', ['--net', 'sleep', '3600'], { stdio: 'ignore' }) }));
  const out: TestNetns[] = [];
  for (const { name, proc } of procs) {
    const pid = proc.pid;
    if (!pid) throw new Error(`could not start unshare for ${name}`);
    for (let i = 0; ; i++) {
      let ns = '';
      try { ns = readlinkSync(`/proc/${pid}/ns/net`); } catch { /* not yet */ }
      if (ns && ns !== hostNs) break;
      if (i > 2000) throw new Error(`namespace of ${name} (pid ${pid}) did not appear`);
      await new Promise((r) => setTimeout(r, 2));
    }
    out.push({ name, pid, fd: openNetns(pid, name), proc });
  }
  return out;
}

/** Closes the fds and kills the processes; waits until they are gone. */
export async function stopNetns(list: TestNetns[]): Promise<void> {
  await Promise.all(list.map((n) => new Promise<void>((resolve) => {
    closeNetns(n.fd);
    if (n.proc.exitCode !== null || n.proc.signalCode !== null) return resolve();
    n.proc.once('exit', () => resolve());
    n.proc.kill('SIGKILL');
  })));
}

/** Runs a command inside the namespace (nsenter --net), returns status and output. */
export function inNetns(n: TestNetns, cmd: string[]): { status: number; out: string } {
  const r = spawnSync('nsenter', ['-t', String(n.pid), '-n', ...cmd], { encoding: 'utf8', timeout: 20000 });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** `ping -c1 -W1` from inside `n`; true when answered. */
export function ping(n: TestNetns, addr: string, count = 1): boolean {
  return inNetns(n, ['ping', '-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', addr]).status === 0;
}

/** `ip -j …` inside `n`, parsed. */
export function ipJson<T = unknown>(n: TestNetns, args: string[]): T {
  const r = inNetns(n, ['ip', '-j', ...args]);
  return JSON.parse(r.out || '[]') as T;
}

/** Registers leakcheck around an outer suite and runs `body` as an inner one, so
 * the inner suite's `after` cleanup runs before the leak comparison. */
export function describeWithLeakcheck(title: string, body: (this: Mocha.Suite) => void): void {
  describe(title, function () {
    leakcheckAround({ labs: [] });
    describe('(real kernel, throw-away namespaces)', body);
  });
}

/** The neighbour entry's MAC for `addr` on `iface` inside `n` ('' when none). */
export function neighMac(n: TestNetns, iface: string, addr: string): string {
  const entries = ipJson<Array<{ dst: string; lladdr?: string }>>(n, ['neigh', 'show', 'dev', iface]);
  return entries.find((e) => e.dst === addr)?.lladdr ?? '';
}

/** Waits until `ifaces` are operationally up inside `n` (see waitOperUp). */
export async function waitUp(n: TestNetns, ifaces: string[]): Promise<void> {
  const s = Rtnl.open({ netnsFd: n.fd, label: `node ${n.name}` });
  try { await waitOperUp(s, ifaces, n.name); } finally { s.close(); }
}
