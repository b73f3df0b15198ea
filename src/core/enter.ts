/**
 * Running commands inside a node through native netlab-enter: it joins all of
 * the node's namespaces and cgroups, forks into its pid namespace, drops the
 * capabilities a node has not got, and execs with a clean environment (PATH,
 * HOME=/root, TERM, LANG, NETLAB_LAB, NETLAB_NODE, then opts.env). Exit codes
 * pass through (128+n for signal n); 125 means netlab-enter could not enter
 * the node (it is gone, or the kernel refused a step: stderr says which),
 * 126/127 that the command could not be run / was not found.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import { NetlabError } from '../errors.js';
import { enterBinary } from './native.js';

export { enterBinary } from './native.js';

/** netlab-enter's exit status when it cannot enter the node. */
export const EXIT_CANNOT_ENTER = 125;

/** The node to enter: its PID 1 on the host; with startTime, a reused pid is refused. */
export interface EnterTarget {
  lab: string;
  name: string;
  pid: number;
  startTime?: number;
}

/** Options of execInNode. */
export interface ExecOptions {
  /** Added to the clean environment (later wins). */
  env?: Record<string, string>;
  /** Working directory inside the node (default /). */
  cwd?: string;
  /** Run as this uid:gid of the node (an image's User) instead of root; no supplementary groups. */
  user?: { uid: number; gid: number };
  /** Written to the command's stdin, which is then closed (default: stdin is /dev/null). */
  input?: string;
  /** SIGKILL after this many ms; the result then has code 137. */
  timeoutMs?: number;
  /** SIGKILL when this aborts; the result then has code 137. */
  signal?: AbortSignal;
  /** Traffic class: the command runs in the node's cgroup `class-<cls>` (src/shaping). */
  cls?: string;
  /** Start it in its own session inside the node and return once it runs (daemons); its stdio is /dev/null or `log`. */
  detach?: boolean;
  /** With detach: file inside the node its stdout and stderr are appended to. */
  log?: string;
}

/** What a command in a node did. */
export interface ExecResult {
  /** Exit code; 128 + n when killed by signal n; 125 when the node could not be entered. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of spawnInNode: ExecOptions' env/cwd/cls, plus a terminal or a detached start. */
export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  user?: { uid: number; gid: number };
  cls?: string;
  /** A pty from the node's devpts, relayed to our stdin/stdout (for shells; stdio should be 'inherit'). */
  tty?: boolean;
  /**
   * With tty, when our stdio is not a terminal (the web UI): the fd of
   * netlab-enter (≥ 3, one of `stdio`'s pipes) from which it reads window
   * sizes, 4-byte records of rows and columns as little-endian u16
   * (winsizeRecord), each applied to the pty as a terminal's resize is.
   */
  winsizeFd?: number;
  /** Start the command in its own session inside the node and return once it runs (daemons). */
  detach?: boolean;
  /** With detach: file inside the node its stdout and stderr are appended to (default /dev/null). */
  log?: string;
  /** stdio of netlab-enter, which the command inherits (default 'pipe'). */
  stdio?: StdioOptions;
}

/** netlab-enter's arguments. Pure. @throws TypeError for an env key with '=' or a tty+detach mix. */
export function enterArgs(node: EnterTarget, argv: string[], opts: SpawnOptions = {}): string[] {
  if (opts.tty && opts.detach) throw new TypeError('a command cannot both have a terminal and be detached');
  const args = ['--pid', String(node.pid), '--lab', node.lab, '--node', node.name];
  if (node.startTime !== undefined) args.push('--starttime', String(node.startTime));
  if (opts.cls) args.push('--class', opts.cls);
  if (opts.cwd) args.push('--cwd', opts.cwd);
  if (opts.user) args.push('--user', `${opts.user.uid}:${opts.user.gid}`);
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!k || k.includes('=')) throw new TypeError(`environment variable name "${k}" is empty or holds '='`);
    args.push('--env', `${k}=${v}`);
  }
  if (opts.winsizeFd !== undefined && (!opts.tty || !Number.isInteger(opts.winsizeFd) || opts.winsizeFd < 3)) {
    throw new TypeError(`winsizeFd ${opts.winsizeFd} needs tty and an fd of 3 or more`);
  }
  if (opts.tty) args.push('-t');
  if (opts.winsizeFd !== undefined) args.push('--winsize-fd', String(opts.winsizeFd));
  if (opts.detach) args.push('--detach');
  if (opts.detach && opts.log) args.push('--log', opts.log);
  args.push('--', ...argv);
  return args;
}

/**
 * One window size for netlab-enter's --winsize-fd (pure): rows and columns,
 * each clamped to 1…65535, as little-endian u16.
 */
export function winsizeRecord(rows: number, cols: number): Buffer {
  const b = Buffer.alloc(4);
  const clamp = (n: number): number => Math.min(65535, Math.max(1, Math.floor(n) || 1));
  b.writeUInt16LE(clamp(rows), 0);
  b.writeUInt16LE(clamp(cols), 2);
  return b;
}

/**
 * Starts argv inside the node and returns netlab-enter's ChildProcess (its
 * stdio is the command's; its exit code is the command's). An empty argv with
 * tty runs the node's login shell.
 */
export function spawnInNode(node: EnterTarget, argv: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(enterBinary(), enterArgs(node, argv, opts), { stdio: opts.stdio ?? 'pipe' });
}

/**
 * Runs argv inside the node to completion and collects its output (UTF-8).
 * Never rejects for a non-zero exit: see ExecResult.code.
 * @throws NetlabError when netlab-enter cannot be run at all (not built).
 */
export function execInNode(node: EnterTarget, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const { input, timeoutMs, signal, ...rest } = opts;
  const child = spawn(enterBinary(), enterArgs(node, argv, rest), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  return new Promise<ExecResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    // Killed (timeout, abort): SIGKILLed netlab-enter takes its command along
    // (PR_SET_PDEATHSIG), but a process the command started (`sh -c "a; b"`) may
    // hold our pipes open: the result is then taken at netlab-enter's exit.
    let killed = false;
    const kill = (): void => { killed = true; child.kill('SIGKILL'); };
    const timer = timeoutMs !== undefined ? setTimeout(kill, timeoutMs) : undefined;
    if (signal?.aborted) kill();
    else signal?.addEventListener('abort', kill, { once: true });
    let settled = false;
    const finish = (code: number | null, sigName: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const sig = sigName ? constants.signals[sigName] ?? 9 : 0;
      resolve({ code: code ?? 128 + sig, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    };
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      reject(new NetlabError(`node ${node.lab}/${node.name}`, `cannot run netlab-enter: ${e.message}`, 'npm run build builds it'));
    });
    child.on('exit', (code, sigName) => { if (killed) finish(code, sigName); });
    child.on('close', finish);
    if (input !== undefined) {
      child.stdin!.on('error', () => { /* the command did not read it all */ });
      child.stdin!.end(input);
    }
  });
}
