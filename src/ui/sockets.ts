/**
 * The page's two kinds of WebSocket: the live one (the lab list, the drawn
 * lab, its state every second, test progress) and one per node terminal
 * (keys and output as binary frames, window sizes as JSON text frames; the
 * terminal is lab.terminal(), a pty in the node as `netlab shell` makes one).
 */
import type { WebSocket } from 'ws';
import type { UiBackend } from './backend.js';
import { errorText, type LabChannel, type Subscriber } from './live.js';
import type { ClientMessage, ServerMessage, TerminalControl, TerminalEvent } from './protocol.js';
import type { TestRuns } from './tests-run.js';
import type { LiveCaptures } from './live-capture.js';

/** Output waiting in a terminal socket beyond which the terminal is not read (flow control), bytes. */
const HIGH_WATER = 1 << 20;
/** …and below which it is read again. */
const LOW_WATER = 1 << 18;

/** What a live socket needs of the server. */
export interface LiveContext {
  backend: UiBackend;
  /** The lab `netlab ui LAB` named. */
  lab?: string;
  channel(lab: string): { channel: LabChannel; tests: TestRuns };
  /** The live packet lists, sent to a page that opens their lab. */
  captures?: LiveCaptures;
  /** Whether `name` may be a lab name (checked before anything is opened). */
  validLab(name: string): boolean;
}

/** Serves one page's live socket until it closes. */
export function serveLive(ws: WebSocket, ctx: LiveContext, onClose: () => void): Subscriber {
  const sub: Subscriber = {
    send: (m: ServerMessage) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m)); },
  };
  let current: LabChannel | undefined;
  sub.send({ type: 'hello', labs: ctx.backend.labs(), capabilities: ctx.backend.capabilities(), ...(ctx.lab ? { lab: ctx.lab } : {}) });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let m: ClientMessage;
    try { m = JSON.parse(data.toString()) as ClientMessage; } catch { return; }
    if (m.type === 'subscribe' && typeof m.lab === 'string' && ctx.validLab(m.lab)) {
      current?.unsubscribe(sub);
      const { channel, tests } = ctx.channel(m.lab);
      current = channel;
      channel.subscribe(sub);
      const run = tests.last();
      if (run) sub.send({ type: 'tests', lab: m.lab, runId: run.runId, state: run.state, results: run.results, ...(run.summary ? { summary: run.summary } : {}) });
      for (const c of ctx.captures?.of(m.lab) ?? []) {
        sub.send({ type: 'capture', lab: m.lab, capture: c.info });
        if (c.rows.length) sub.send({ type: 'packets', lab: m.lab, id: c.info.id, rows: c.rows });
      }
    } else if (m.type === 'watch-node' && current && m.lab === current.name) {
      current.watch(sub, typeof m.node === 'string' ? m.node : null);
    }
  });
  ws.on('close', () => { current?.unsubscribe(sub); onClose(); });
  ws.on('error', () => { /* closed under us */ });
  return sub;
}

/**
 * Serves a terminal socket: opens a terminal in `node` of `lab` and relays
 * until either side ends. A node that cannot be entered (not running, no
 * such node) gets an 'error' message and the socket closes.
 */
export function serveTerminal(ws: WebSocket, backend: UiBackend, lab: string, node: string, size: { rows: number; cols: number }, onClose: () => void): { close(): void } {
  const event = (e: TerminalEvent): void => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(e)); };
  let term: ReturnType<ReturnType<UiBackend['open']>['terminal']>;
  try {
    term = backend.open(lab).terminal(node, size);
  } catch (err) {
    event({ type: 'error', message: errorText(err) });
    ws.close(1011, 'cannot open a terminal');
    onClose();
    return { close: () => { /* nothing runs */ } };
  }
  let paused = false;
  term.onData((chunk) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (paused && ws.bufferedAmount < LOW_WATER) { paused = false; term.resume(); }
    });
    if (!paused && ws.bufferedAmount > HIGH_WATER) { paused = true; term.pause(); }
  });
  void term.exited.then((code) => {
    event({ type: 'exit', code });
    ws.close(1000, 'the shell ended');
  });
  ws.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) { term.write(buf); return; }
    try {
      const c = JSON.parse(buf.toString()) as TerminalControl;
      if (c.type === 'resize' && Number.isInteger(c.rows) && Number.isInteger(c.cols)) term.resize(c.rows, c.cols);
    } catch { /* not a control message */ }
  });
  ws.on('close', () => { term.close(); onClose(); });
  ws.on('error', () => { /* closed under us */ });
  return { close: () => term.close() };
}
