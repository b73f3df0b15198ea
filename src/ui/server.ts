/**
 * `netlab ui`'s web server (node:http + ws): the bundled page, a small JSON
 * API for actions (link cut/restore/shape, positions, neighbours, test runs,
 * capture), and the WebSockets (src/ui/sockets.ts). Every request needs the
 * access token (src/ui/auth.ts); requests that change something and every
 * WebSocket must come from the page's own origin. It is a client of the
 * library API only (src/ui/backend.ts); stopping it never stops a lab.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkNodeName, isLabName, NetlabError, parseShapingChange, SHAPING_CHANGE_KEYS, UsageError, type ShapingChange } from '../index.js';
import { loadAssets, type Asset } from './assets.js';
import { credential, sameOrigin, tokenCookie, newToken } from './auth.js';
import { splitLabKey, type UiBackend, type UiLab } from './backend.js';
import { errorText, LabChannel, type ChannelOptions, type Subscriber } from './live.js';
import { CaptureRequestError, LiveCaptures, type LiveCaptureOptions } from './live-capture.js';
import type { ApiError, LinkAction, ServerMessage, ViewEdge } from './protocol.js';
import { serveLive, serveTerminal } from './sockets.js';
import { TestRuns } from './tests-run.js';
import { labView } from './view.js';

/**
 * The request header by which the teacher's page says root acts on another
 * user's lab (its value: that user's name). Without it, such a lab is
 * read-only: every action on it is refused (403) (docs/decisions.md,
 * "netlab ui: the teacher's view").
 */
export const ACT_HEADER = 'x-netlab-act-as-root';

/** A user name as /etc/passwd has them (useradd's rule, loosely): what may stand before the `/` of a lab key. */
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/i;

/** Whether `key` may name a lab: a lab name, or `user/lab` when the backend shows other users' labs (pure). */
export function isLabKey(key: string, teacher: boolean): boolean {
  const { owner, lab } = splitLabKey(key);
  if (owner === undefined) return isLabName(lab);
  return teacher && USER_NAME.test(owner) && isLabName(lab);
}

/**
 * Refuses an action on another user's lab unless `actAs` names that user
 * (pure). @throws HttpError 403 with what to do.
 */
export function requireActing(key: string, owner: string | undefined, actAs: string | undefined): void {
  if (owner === undefined || actAs === owner) return;
  throw new HttpError(403, `lab ${key} is ${owner}'s: read-only in the teacher's view`,
    `tick "act on ${owner}'s lab" at the top of the page (root acts explicitly), or act as root on the command line: netlab down --user ${owner} ${splitLabKey(key).lab}`);
}

/** Options of startUiServer. */
export interface UiServerOptions {
  backend: UiBackend;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; default 8080; 0 picks a free one. */
  port?: number;
  /** Access token; default a new random one. */
  token?: string;
  /** The lab the page opens first. */
  lab?: string;
  /** Folder of the bundled page; default dist/ui of this package. */
  assetsDir?: string;
  live?: ChannelOptions;
  /** Limits of the live packet lists (tests make them small). */
  liveCapture?: LiveCaptureOptions;
}

/** A running UI server. */
export interface UiServer {
  /** The URL to open, with the token: http://127.0.0.1:8080/?token=… */
  url: string;
  host: string;
  port: number;
  token: string;
  /** Stops serving: closes every socket and terminal, ends test runs. Labs keep running. */
  close(): Promise<void>;
}

/** How often the lab list is looked at for pages, ms. */
const LABS_EVERY_MS = 2000;
/** Largest request body (positions of a big lab), bytes. */
const MAX_BODY = 4 << 20;

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly hint = '') { super(message); }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  let status = 500;
  const body: ApiError = { error: errorText(err) };
  if (err instanceof HttpError || err instanceof CaptureRequestError) {
    status = err.status;
    body.error = err.message;
    if (err.hint) body.hint = err.hint;
  } else if (err instanceof NetlabError) {
    status = err.exitCode === 2 ? 400 : 500;
    body.error = err.headline;
    if (err.hint) body.hint = err.hint;
  }
  send(res, status, body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the request body is over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
}

/** The node endpoints a link action acts on (pure). @throws HttpError for an end the edge does not have. */
export function actionEnds(edge: ViewEdge, ends: LinkAction['ends']): string[] {
  const b = edge.b && edge.b.node !== 'host' ? edge.b.endpoint : undefined;
  if (ends === 'a') return [edge.a.endpoint];
  if (ends === 'b') {
    if (!b) throw new HttpError(400, `link ${edge.id} has no node at its other end`, 'act on end a, or on both');
    return [b];
  }
  return b ? [edge.a.endpoint, b] : [edge.a.endpoint];
}

/** A shaping change from a request (pure). @throws UsageError for unknown keys or values that are not short strings. */
export function changeOf(raw: unknown): ShapingChange {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError('change', 'is not an object', 'send e.g. { "rate": "10mbit", "delay": "20ms" }');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!(SHAPING_CHANGE_KEYS as readonly string[]).includes(k)) throw new UsageError(`change.${k.slice(0, 30)}`, 'is not a shaping value', `values: ${SHAPING_CHANGE_KEYS.join(', ')}`);
    if (typeof v !== 'string' || v.length > 40) throw new UsageError(`change.${k}`, 'is not a value as typed', 'e.g. "10mbit", "20ms", "1%", or "0" to remove it');
    if (v.trim() !== '') out[k] = v.trim();
  }
  return out as ShapingChange;
}

/**
 * Starts the server and resolves once it listens.
 * @throws NetlabError when the page is not built, or the address or port cannot be used (in use, not ours).
 */
export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const backend = opts.backend;
  const token = opts.token ?? newToken();
  const host = opts.host ?? '127.0.0.1';
  const assets = loadAssets(opts.assetsDir);
  const channels = new Map<string, { channel: LabChannel; tests: TestRuns }>();
  const sockets = new Set<WebSocket>();
  const terminals = new Set<{ close(): void }>();
  const captures = new LiveCaptures(backend, opts.liveCapture);
  let port = opts.port ?? 8080;
  // Every page learns when a lab starts or goes (the lab list), within LABS_EVERY_MS.
  const pages = new Set<Subscriber>();
  let labList = '';
  const labsTimer = setInterval(() => {
    if (!pages.size) return;
    const labs = backend.labs();
    const text = JSON.stringify(labs);
    if (text === labList) return;
    labList = text;
    for (const p of pages) p.send({ type: 'labs', labs });
  }, LABS_EVERY_MS);

  const channel = (lab: string): { channel: LabChannel; tests: TestRuns } => {
    let c = channels.get(lab);
    if (!c) {
      const ch = new LabChannel(lab, backend, opts.live);
      c = { channel: ch, tests: new TestRuns(lab, (m: ServerMessage) => ch.broadcast(m)) };
      channels.set(lab, c);
    }
    return c;
  };
  const validLab = (key: string): boolean => isLabKey(key, backend.ownerOf !== undefined);
  const openLab = (lab: string): UiLab => {
    if (!validLab(lab)) throw new HttpError(404, `"${lab.slice(0, 40)}" is not a lab name`);
    const open = channels.get(lab)?.channel.current();
    return open && !open.stale() ? open : backend.open(lab);
  };
  const edgeOf = (lab: UiLab, id: string): ViewEdge => {
    const e = labView(lab.topology).edges.find((x) => x.id === id);
    if (!e) throw new HttpError(404, `lab ${lab.name} has no link ${id.slice(0, 40)}`);
    return e;
  };

  const api = async (req: IncomingMessage, res: ServerResponse, parts: string[], query: URLSearchParams): Promise<void> => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && !sameOrigin(req)) throw new HttpError(403, 'this request comes from another site\'s page');
    if (parts.length === 1 && method === 'GET') return send(res, 200, backend.labs());
    const labName = parts[1]!;
    const lab = openLab(labName);
    const [, , what, id, sub] = parts;
    if (what === undefined && method === 'GET') return send(res, 200, labView(lab.topology));
    // Another user's lab: reading is fine; acting (anything but a read) needs root's explicit word, per request.
    const reads = method === 'GET' && (what === 'nodes' && sub === 'neighbors');
    if (!reads) {
      const act = req.headers[ACT_HEADER];
      requireActing(labName, backend.ownerOf?.(labName), typeof act === 'string' ? act : undefined);
    }
    if (what === 'positions' && parts.length === 3 && method === 'PUT') {
      const positions = lab.savePositions(await readJson(req));
      channel(labName).channel.broadcast({ type: 'positions', lab: labName, positions });
      return send(res, 200, { ok: true });
    }
    if (what === 'links' && id !== undefined && sub === undefined && method === 'POST') {
      const body = (await readJson(req) ?? {}) as LinkAction;
      const edge = edgeOf(lab, id);
      const ends = actionEnds(edge, body.ends);
      const shaping: Record<string, unknown> = {};
      if (body.action === 'cut' || body.action === 'restore') {
        for (const e of ends) await (body.action === 'cut' ? lab.link(e).down() : lab.link(e).up());
      } else if (body.action === 'shape') {
        const change = parseShapingChange(changeOf(body.change), (k, v) => `${k} ${v}`);
        if (!Object.keys(change).length && !body.reset) throw new UsageError('shape', 'nothing to change', 'give a rate, delay or loss (0 removes one), or reset');
        for (const e of ends) shaping[e] = await lab.link(e).set(change, { reset: body.reset === true });
      } else {
        throw new HttpError(400, `unknown action ${JSON.stringify(body.action)?.slice(0, 30)}`, 'cut, restore or shape');
      }
      void channel(labName).channel.tick(); // pages see the change now, not within the second
      return send(res, 200, { ok: true, ends, shaping });
    }
    if (what === 'links' && id !== undefined && sub === 'capture' && method === 'GET') return capture(res, lab, edgeOf(lab, id), query);
    if (what === 'links' && id !== undefined && sub === 'live-capture' && method === 'POST') {
      const body = (await readJson(req) ?? {}) as { seconds?: unknown; filter?: unknown };
      const seconds = body.seconds === undefined ? undefined : Number(body.seconds);
      if (seconds !== undefined && (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)) throw new HttpError(400, 'seconds must be from 0 to 3600');
      if (body.filter !== undefined && (typeof body.filter !== 'string' || body.filter.length > 200)) throw new HttpError(400, 'the filter is not a short text', 'a tcpdump filter, e.g. icmp or "not arp"');
      const caps = backend.capabilities();
      if (!caps.capture) throw new HttpError(501, 'packet capture is not available', caps.captureWhy ?? '');
      // One end sees every packet of the link (sent or received there): each packet is listed once.
      const edge = edgeOf(lab, id);
      const ch = channel(labName).channel;
      const filter = typeof body.filter === 'string' && body.filter.trim() ? body.filter.trim() : undefined;
      const info = await captures.start(lab, edge.id, actionEnds(edge, 'a'), { ...(seconds ? { seconds } : {}), ...(filter ? { filter } : {}) }, (m) => ch.broadcast(m));
      return send(res, 202, info);
    }
    if (what === 'captures' && id !== undefined && sub === 'stop' && method === 'POST') {
      captures.stop(labName, id);
      return send(res, 200, { ok: true });
    }
    if (what === 'captures' && id !== undefined && sub === 'pcapng' && method === 'GET') return captures.download(labName, id, res);
    if (what === 'nodes' && id !== undefined && sub === 'neighbors' && method === 'GET') {
      if (checkNodeName(id) !== undefined) throw new HttpError(404, 'not a node name');
      return send(res, 200, await lab.neighbors(id));
    }
    if (what === 'tests' && parts.length === 3 && method === 'POST') {
      const { runId } = channel(labName).tests.start(lab);
      return send(res, 202, { runId });
    }
    throw new HttpError(404, `no such API: ${method} /${parts.join('/').slice(0, 80)}`);
  };

  const capture = async (res: ServerResponse, lab: UiLab, edge: ViewEdge, query: URLSearchParams): Promise<void> => {
    const caps = backend.capabilities();
    if (!backend.capture || !caps.capture) throw new HttpError(501, 'packet capture is not available', caps.captureWhy ?? '');
    const seconds = Number(query.get('seconds') ?? '10');
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new HttpError(400, 'seconds must be from 0 to 3600');
    const c = backend.capture(lab, actionEnds(edge, 'both'), { durationMs: seconds * 1000 });
    try {
      await c.ready;
    } catch (err) {
      c.stop();
      throw err;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${lab.name}-${edge.id}.pcapng"`,
      'cache-control': 'no-store',
    });
    c.stream.pipe(res);
    res.on('close', () => c.stop());
  };

  const page = (req: IncomingMessage, res: ServerResponse, path: string, asset: Asset, how: string): void => {
    const headers: Record<string, string> = {
      'content-type': asset.type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': `default-src 'self'; connect-src 'self' ws://${req.headers.host ?? host}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'`,
    };
    if (how === 'query') {
      // The token leaves the address bar (and the browser's history) for a cookie.
      headers['set-cookie'] = tokenCookie(port, token);
      if (path === '/') { res.writeHead(303, { ...headers, location: '/' }); res.end(); return; }
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };

  const refuse = (res: ServerResponse): void => {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('netlab ui: this needs the access token. Open the URL that `netlab ui` printed (it ends in ?token=…).\n');
  };

  const server: Server = createServer((req, res) => {
    const how = credential(req, token, port);
    if (how === 'none') return refuse(res);
    let url: URL;
    let parts: string[];
    try {
      url = new URL(req.url ?? '/', 'http://x');
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return send(res, 400, { error: 'malformed URL' });
    }
    if (parts[0] === 'api' && parts[1] === 'labs') {
      api(req, res, parts.slice(1), url.searchParams).catch((err: unknown) => sendError(res, err));
      return;
    }
    const asset = assets.get(url.pathname === '/index.html' ? '/' : url.pathname);
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) return send(res, 404, { error: 'not found' });
    page(req, res, url.pathname, asset, how);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const deny = (status: string): void => { socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`); };
    if (credential(req, token, port) === 'none') return deny('403 Forbidden');
    if (!sameOrigin(req)) return deny('403 Forbidden');
    let url: URL;
    try { url = new URL(req.url ?? '/', 'http://x'); } catch { return deny('400 Bad Request'); }
    if (url.pathname === '/ws/live') {
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        const sub = serveLive(ws, { backend, ...(opts.lab ? { lab: opts.lab } : {}), channel, captures, validLab }, () => { sockets.delete(ws); pages.delete(sub); });
        pages.add(sub);
      });
      return;
    }
    if (url.pathname === '/ws/term') {
      const lab = url.searchParams.get('lab') ?? '', node = url.searchParams.get('node') ?? '';
      if (!validLab(lab) || checkNodeName(node) !== undefined) return deny('404 Not Found');
      // A terminal in another user's lab is not offered from the page (src/ui/backend.ts, teacherBackend).
      if (backend.ownerOf?.(lab) !== undefined) return deny('403 Forbidden');
      const size = { rows: Number(url.searchParams.get('rows')) || 24, cols: Number(url.searchParams.get('cols')) || 80 };
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        let closed = false;
        const t = serveTerminal(ws, backend, lab, node, size, () => { closed = true; sockets.delete(ws); });
        if (!closed) {
          terminals.add(t);
          ws.once('close', () => terminals.delete(t));
        }
      });
      return;
    }
    deny('404 Not Found');
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const hint = err.code === 'EADDRINUSE' ? `another program listens on port ${port}: pick another, e.g. --port ${port + 1} (or --port 0 for any free one)`
        : err.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine: --listen 127.0.0.1, or one that ip addr shows`
          : err.code === 'EACCES' ? 'ports below 1024 need root: pick --port 8080' : '';
      reject(new UsageError(`--listen ${host} --port ${port}`, `cannot listen: ${err.code ?? err.message}`, hint));
    };
    server.once('error', onError);
    server.listen(port, host, () => { server.off('error', onError); resolve(); });
  });
  port = (server.address() as AddressInfo).port;
  // The lab named on the command line is opened and drawn now, not when the first page asks for it:
  // the first page of a large lab then gets its drawing without waiting for a cold open.
  if (opts.lab && validLab(opts.lab)) { const lab = opts.lab; setImmediate(() => channel(lab).channel.prepare()); }
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    host,
    port,
    token,
    close: async () => {
      clearInterval(labsTimer);
      for (const t of terminals) t.close();
      for (const { channel: ch, tests } of channels.values()) { ch.stop(); tests.stop(); }
      captures.close();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
    },
  };
}
