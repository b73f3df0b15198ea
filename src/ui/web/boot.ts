/**
 * The first script of the page (tiny, before app.js): opens the live
 * WebSocket at once and keeps what arrives until app.js takes it over
 * (main.ts connect). Opening it from app.js cost 0.25–0.4 s of the main thread
 * on a 1,000-node lab's first page here (measured in chromium, after the
 * 0.95 MB script was compiled); opened first, the handshake and the server's
 * hello and drawn lab travel while app.js loads.
 */
import type { ServerMessage } from '../protocol.js';

/** What app.js takes over: the socket, the messages that came before it did, and the lab subscribed to. */
export interface EarlySocket {
  ws: WebSocket;
  queued: string[];
  /** The lab boot.js subscribed to on the server's hello (the one main.ts would pick), if any. */
  subscribed?: string;
}

const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/live`);
const early: EarlySocket = { ws, queued: [] };
ws.onmessage = (ev: MessageEvent) => {
  early.queued.push(ev.data as string);
  if (early.queued.length !== 1) return;
  // The hello names the labs: subscribe now to the lab main.ts would open, so the drawn lab comes while app.js loads.
  const hello = JSON.parse(ev.data as string) as ServerMessage;
  if (hello.type !== 'hello') return;
  const lab = new URLSearchParams(location.hash.slice(1)).get('lab') ?? hello.lab ?? (hello.labs.length === 1 ? hello.labs[0]!.name : undefined);
  if (!lab) return;
  early.subscribed = lab;
  ws.send(JSON.stringify({ type: 'subscribe', lab }));
};
(globalThis as unknown as { netlabEarly?: EarlySocket }).netlabEarly = early;
