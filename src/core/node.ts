/**
 * Starting nodes: one native launcher (netlab-init --launch) starts a whole
 * batch, because a process spawn from Node.js costs milliseconds and a lab has
 * up to thousands of nodes. The launcher clones each node's PID 1 with its own
 * pid, mount, uts, ipc, net and cgroup namespaces and, unless `userns: false`,
 * a user namespace of its own (ids from ids.ts); the nodes build their root
 * filesystems in parallel on all cores and report as they become ready.
 * docs/nodes.md describes what a node is.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError, NetlabError } from '../errors.js';
import type { UsernsSpec } from './ids.js';
import { encodeSpecs, parseLaunchLine, type LaunchFields, type WireSpec } from './launch-wire.js';
import { initBinary } from './native.js';

export type { IdMapping } from './launch-wire.js';
export type { UsernsSpec } from './ids.js';

/**
 * One node to start: the launcher's fields (LaunchFields, src/core/launch-wire.ts,
 * where each is described) and, unless absent, the node's user namespace (its
 * maps: allocateNodeIds in ids.ts); absent: the node's root is host root.
 */
export interface NodeSpec extends LaunchFields {
  userns?: UsernsSpec;
}

/** A running node: its PID 1 as seen from the host. */
export interface RunningNode {
  name: string;
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): tells a reused pid from the node's. */
  startTime: number;
}

/** Options of startNodes. */
export interface StartOptions {
  /** Called as each node becomes ready, in the order they do: record it for rollback. */
  onStarted?(node: RunningNode): void;
  /** Abort: no further node starts; those already started are reported and stay up. */
  signal?: AbortSignal;
  /** Nodes being set up at the same time (default 8: enough to keep 2 cores busy). */
  window?: number;
}

/** The launcher's record of a spec: an empty `lowerDirs` is the host's root, `userns` becomes its maps. Pure. */
export function toWire({ userns, ...s }: NodeSpec): WireSpec {
  return {
    ...s, lowerDirs: s.lowerDirs.length ? s.lowerDirs : ['/'],
    ...(userns ? { uidMap: userns.uidMap, gidMap: userns.gidMap } : {}),
  };
}

/**
 * The launcher's environment, which every node's PID 1 inherits and shows in
 * /proc/1/environ: a PATH and nothing of whoever ran netlab (NETLAB_INIT_TRACE
 * passes through, for tracing). Pure.
 */
export function launcherEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...(env.NETLAB_INIT_TRACE ? { NETLAB_INIT_TRACE: env.NETLAB_INIT_TRACE } : {}),
  };
}

/** Hints for the steps a user can do something about (native/node-*.c name the steps). */
function hintFor(step: string, errno: number): { feature?: string; hint?: string } {
  if (/overlay/.test(step) && errno === 19) return { feature: 'overlay (CONFIG_OVERLAY_FS)' };
  if (/^unshare|^clone/.test(step) && errno === 28) return { hint: 'too many namespaces: raise /proc/sys/user/max_net_namespaces (and max_mnt_, max_pid_…)' };
  if (/^clone/.test(step) && errno === 11) return { hint: 'out of processes: check ulimit -u, kernel.pid_max and the pids limit of the cgroup netlab runs in' };
  if (/^clone/.test(step) && errno === 1) return { hint: 'creating namespaces needs root (or CAP_SYS_ADMIN)' };
  if (/bind/.test(step) && errno === 2) return { hint: 'a bind source does not exist on the host' };
  if (/cgroup/.test(step) && errno === 2) return { hint: 'the lab\'s cgroups are missing: apply planLabCgroups first' };
  if (/uid_map|gid_map|user/.test(step)) return { hint: 'user namespaces: check /proc/sys/user/max_user_namespaces and the uid range (docs/nodes.md); userns: false runs without' };
  const missing = errno === 22 || errno === 38; // EINVAL, ENOSYS: the kernel lacks it
  if (/devices program/.test(step)) {
    return { ...(missing ? { feature: 'cgroup BPF (CONFIG_BPF_SYSCALL, CONFIG_CGROUP_BPF)' } : {}), hint: 'netlab limits the devices of nodes on cgroup v2 with a BPF program; where the kernel (or a container netlab runs in) refuses it, resources: { devices: ["a *:* rwm"] } on every node goes without (docs/nodes.md, Devices)' };
  }
  if (/seccomp/.test(step)) return { ...(missing ? { feature: 'seccomp filters (CONFIG_SECCOMP_FILTER)' } : {}), hint: 'or run the nodes with security: { seccomp: unconfined } (docs/nodes.md)' };
  return {};
}

/**
 * Starts every node of `specs` with one native launcher and resolves with them
 * (in spec order) once all are ready.
 * @throws KernelError naming the first node that failed, the step (e.g.
 *   `mount overlay`, `join cgroup`) and the errno; nodes started before are
 *   reported through onStarted and left running for the caller's rollback.
 *   An abort rejects with signal.reason after reporting what was started.
 */
export function startNodes(specs: NodeSpec[], opts: StartOptions = {}): Promise<RunningNode[]> {
  if (!specs.length) return Promise.resolve([]);
  if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
  const input = encodeSpecs(specs.map(toWire));
  const child = spawn(initBinary(), ['--launch', '--window', String(opts.window ?? 8)], { stdio: ['pipe', 'pipe', 'pipe'], env: launcherEnv(process.env) });
  const started = new Map<number, RunningNode>();
  let failure: Error | undefined;
  let stderr = '';
  let buffered = '';
  const onAbort = (): void => { child.kill('SIGTERM'); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const handle = (line: string): void => {
    const ev = parseLaunchLine(line);
    if (!ev) return;
    if (ev.kind === 'ok') {
      const s = specs[ev.idx];
      if (!s) return;
      const n: RunningNode = { name: s.name, pid: ev.pid, startTime: ev.startTime };
      started.set(ev.idx, n);
      try {
        opts.onStarted?.(n);
      } catch (err) {
        failure ??= err as Error;
        child.kill('SIGTERM');
      }
    } else if (ev.kind === 'err') {
      const s = specs[ev.idx];
      const where = s ? `node ${s.lab}/${s.name}` : 'nodes';
      const obj = ev.object && ev.object !== s?.name ? ` ${ev.object}` : '';
      const { feature, hint } = hintFor(ev.step, ev.errno);
      failure ??= new KernelError(where, `${ev.step}${obj}`, ev.errno, feature ?? '', hint ?? '');
    } else {
      failure ??= new NetlabError('netlab-init', ev.message, 'this is a bug in netlab: please report it');
    }
  };

  return new Promise<RunningNode[]>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        handle(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => { stderr += chunk; });
    child.stdin.on('error', () => { /* the launcher stopped reading: its exit says why */ });
    child.on('error', (err) => reject(new NetlabError('netlab-init', `cannot run the launcher: ${err.message}`, 'npm run build builds it')));
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (buffered) handle(buffered);
      if (failure) return reject(failure);
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      if (code !== 0 || started.size !== specs.length) {
        return reject(new NetlabError('netlab-init', `the launcher ended (${signal ?? `exit ${code}`}) after ${started.size} of ${specs.length} nodes${stderr ? `: ${stderr.trim()}` : ''}`,
          'this is a bug in netlab: please report it'));
      }
      resolve(specs.map((_, i) => started.get(i)!));
    });
    child.stdin.end(input);
  });
}

/** start time (field 22) and state (field 3) of /proc/PID/stat, or undefined when the process is gone. */
export function readProcStat(pid: number): { startTime: number; state: string } | undefined {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return undefined; }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' '); // comm may hold spaces
  return { state: rest[0] ?? '', startTime: Number(rest[19]) };
}

/**
 * Is the node's PID 1 still running? False for a dead pid, a zombie, and a pid
 * the kernel has given to another process since (start time differs).
 */
export function isAlive(n: { pid: number; startTime: number }): boolean {
  const st = readProcStat(n.pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.startTime === n.startTime;
}

/**
 * Sends `signal` to the node's PID 1 if it is still that node. SIGTERM stops a
 * node gracefully: its processes get SIGTERM, SIGKILL after the grace period.
 * @returns false when the node was not running.
 */
export function signalNode(n: { pid: number; startTime: number }, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  if (!isAlive(n)) return false;
  try { process.kill(n.pid, signal); return true; } catch { return false; }
}

/** Waits until the node's PID 1 has exited; false if it still runs after timeoutMs. */
export async function waitForExit(n: { pid: number; startTime: number }, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (isAlive(n)) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}
