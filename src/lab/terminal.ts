/**
 * A terminal in a node for programs that are not themselves on a terminal
 * (the web UI): what `netlab shell` does — a pty from the node's own devpts
 * with the node's login shell (or `argv`) as its session leader, through
 * native netlab-enter — with the bytes and the window size handed over pipes
 * instead of our own terminal. The pty's line discipline is the node's, so
 * Ctrl-C, job control and `tty` inside work as in `netlab shell`.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnInNode, winsizeRecord, type EnterTarget } from '../core/enter.js';

/** Options of `lab.terminal()`. */
export interface TerminalOptions {
  /** Window size in character cells; default 24 × 80. */
  rows?: number;
  cols?: number;
  /** The command on the terminal; default the node's login shell. */
  argv?: string[];
  /** Extra environment (after netlab-enter's clean one); TERM defaults to xterm-256color. */
  env?: Record<string, string>;
}

/** A running terminal in a node. */
export interface NodeTerminal {
  /** `lab/node`, for messages. */
  readonly label: string;
  /**
   * Calls `listener` with every chunk the terminal shows (the pty's output,
   * and netlab-enter's own error lines, e.g. when the node is gone).
   */
  onData(listener: (chunk: Buffer) => void): void;
  /** Types `data` (keys, pasted text: bytes as a terminal sends them). */
  write(data: string | Buffer): void;
  /** Stops / restarts reading the terminal's output (flow control: the reader is behind). */
  pause(): void;
  resume(): void;
  /** Sets the window size in character cells (TIOCSWINSZ; the node's foreground job gets SIGWINCH). */
  resize(rows: number, cols: number): void;
  /**
   * Hangs up: the command's session gets SIGHUP, as when a terminal window
   * closes (netlab-enter gets SIGTERM and passes it on as a hangup).
   */
  close(): void;
  /** Resolves with the exit code when the command ended (128 + n for signal n; 125: the node could not be entered). */
  readonly exited: Promise<number>;
}

/** fd of netlab-enter that carries window sizes (stdio index 3). */
const WINSIZE_FD = 3;

/**
 * Starts a terminal in `node` (`target`: its PID 1 on the host and start
 * time). Never throws for a node that is gone: netlab-enter says why on the
 * terminal and `exited` resolves with 125.
 */
export function openTerminal(target: EnterTarget, opts: TerminalOptions = {}): NodeTerminal {
  const child: ChildProcess = spawnInNode(target, opts.argv ?? [], {
    tty: true,
    winsizeFd: WINSIZE_FD,
    env: { TERM: 'xterm-256color', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const sizes = child.stdio[WINSIZE_FD] as NodeJS.WritableStream & { destroyed?: boolean };
  const listeners: ((chunk: Buffer) => void)[] = [];
  const emit = (chunk: Buffer): void => { for (const l of listeners) l(chunk); };
  child.stdout!.on('data', emit);
  // netlab-enter's own messages (`error: … is not running`) as terminal lines.
  child.stderr!.on('data', (b: Buffer) => emit(Buffer.from(b.toString('utf8').replace(/\r?\n/g, '\r\n'))));
  // A pipe closed under us (the command exited) is not an error of ours.
  for (const s of [child.stdin!, sizes]) s.on('error', () => { /* gone */ });
  sizes.write(winsizeRecord(opts.rows ?? 24, opts.cols ?? 80));
  const exited = new Promise<number>((resolve) => {
    child.on('error', (e) => { emit(Buffer.from(`netlab: cannot start netlab-enter: ${e.message}\r\n`)); resolve(125); });
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 143 : 129)));
  });
  let ended = false;
  void exited.then(() => { ended = true; });
  return {
    label: `${target.lab}/${target.name}`,
    onData: (l) => { listeners.push(l); },
    write: (data) => { if (!ended && child.stdin!.writable) child.stdin!.write(data); },
    pause: () => { child.stdout!.pause(); },
    resume: () => { child.stdout!.resume(); },
    resize: (rows, cols) => { if (!ended && !sizes.destroyed) sizes.write(winsizeRecord(rows, cols)); },
    close: () => { if (!ended) child.kill('SIGTERM'); },
    exited,
  };
}
