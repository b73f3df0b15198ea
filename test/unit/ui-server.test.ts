/**
 * The web UI's server against a lab in memory (test/helpers/ui-fake.ts): the
 * token on every request and WebSocket, the origin check, the live state, link
 * actions, terminals, positions, test runs, and a lab that goes down.
 * Needs the page bundle (npm run build).
 */
import { expect } from 'chai';
import { request } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { UsageError } from '../../src/errors.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';
import type { ServerMessage } from '../../src/ui/protocol.js';
import { demoTopology, FakeBackend, FakeLab } from '../helpers/ui-fake.js';
import { loadTopology } from '../../src/lab/load.js';
import { PcapngReader } from '../../src/observe/packets.js';
import { echo, epb, ethernet, idb, ipv4, shb } from '../helpers/pcapng.js';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function http(server: UiServer, method: string, path: string, opts: { headers?: Record<string, string>; body?: unknown; auth?: boolean } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth !== false) headers.cookie = `netlab-ui-${server.port}=${server.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
  });
}

/** A WebSocket client that queues messages; `next(type)` waits for one of that type. */
class Client {
  readonly ws: WebSocket;
  private readonly queue: ServerMessage[] = [];
  private waiters: (() => void)[] = [];
  readonly opened: Promise<void>;
  readonly refused: Promise<number>;

  constructor(server: UiServer, path: string, opts: { token?: string | null; origin?: string } = {}) {
    const headers: Record<string, string> = {};
    if (opts.token !== null) headers.cookie = `netlab-ui-${server.port}=${opts.token ?? server.token}`;
    if (opts.origin) headers.origin = opts.origin;
    this.ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers });
    this.opened = new Promise((resolve, reject) => { this.ws.on('open', () => resolve()); this.ws.on('error', reject); });
    this.opened.catch(() => { /* a refused socket: see refused */ });
    this.refused = new Promise((resolve) => { this.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)); });
    this.ws.on('message', (data, binary) => {
      if (binary) this.queue.push({ type: 'bytes', text: data.toString() } as unknown as ServerMessage);
      else this.queue.push(JSON.parse(data.toString()) as ServerMessage);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(m: unknown): void {
    if (this.ws.readyState === this.ws.CONNECTING) this.ws.once('open', () => this.ws.send(JSON.stringify(m)));
    else this.ws.send(JSON.stringify(m));
  }

  async next<T extends string>(type: T, match: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = 5000): Promise<Extract<ServerMessage, { type: T }>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((m) => m.type === type && match(m as Extract<ServerMessage, { type: T }>));
      if (i >= 0) return this.queue.splice(i, 1)[0] as Extract<ServerMessage, { type: T }>;
      if (Date.now() > end) throw new Error(`no ${type} message within ${timeoutMs} ms; got ${this.queue.map((m) => m.type).join(', ')}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }

  close(): void { this.ws.close(); }
}

describe('netlab ui server (a lab in memory)', function () {
  let lab: FakeLab;
  let backend: FakeBackend;
  let server: UiServer;
  const clients: Client[] = [];
  const client = (path: string, opts?: ConstructorParameters<typeof Client>[2]): Client => { const c = new Client(server, path, opts); clients.push(c); return c; };

  beforeEach(async function () {
    lab = new FakeLab(demoTopology('t-ui'));
    backend = new FakeBackend(lab);
    server = await startUiServer({ backend, port: 0, lab: 't-ui', live: { intervalMs: 50 } });
  });
  afterEach(async function () {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  it('refuses every request without the token, also with a wrong one', async function () {
    for (const path of ['/', '/assets/app.js', '/api/labs', '/api/labs/t-ui']) {
      expect((await http(server, 'GET', path, { auth: false })).status, path).to.equal(403);
      expect((await http(server, 'GET', path, { auth: false, headers: { cookie: `netlab-ui-${server.port}=${'0'.repeat(64)}` } })).status, path).to.equal(403);
    }
    expect((await http(server, 'POST', '/api/labs/t-ui/links/L0', { auth: false, body: { action: 'cut' } })).status).to.equal(403);
    expect(lab.log.actions).to.deep.equal([]);
  });

  it('trades ?token= for a cookie and sends the browser to the address without it', async function () {
    const r = await http(server, 'GET', `/?token=${server.token}`, { auth: false });
    expect(r.status).to.equal(303);
    expect(r.headers.location).to.equal('/');
    expect(String(r.headers['set-cookie'])).to.contain(`netlab-ui-${server.port}=${server.token}`).and.contain('HttpOnly').and.contain('SameSite=Strict');
    const page = await http(server, 'GET', '/');
    expect(page.status).to.equal(200);
    expect(page.body).to.contain('<script src="/assets/app.js">');
    expect(String(page.headers['content-security-policy'])).to.contain("default-src 'self'");
    expect(server.url).to.equal(`http://127.0.0.1:${server.port}/?token=${server.token}`);
  });

  it('refuses a WebSocket without the token, and one from another site\'s page', async function () {
    expect(await client('/ws/live', { token: null }).refused).to.equal(403);
    expect(await client('/ws/term?lab=t-ui&node=r1', { token: 'x' }).refused).to.equal(403);
    expect(await client('/ws/live', { origin: 'http://evil.example' }).refused).to.equal(403);
    expect(await client('/ws/term?lab=t-ui&node=r1', { origin: 'http://evil.example' }).refused).to.equal(403);
    expect(lab.log.resizes, 'no terminal was opened').to.deep.equal([]);
  });

  it('refuses a change requested by another site\'s page', async function () {
    const r = await http(server, 'POST', '/api/labs/t-ui/links/L0', { body: { action: 'cut' }, headers: { origin: 'http://evil.example' } });
    expect(r.status).to.equal(403);
    expect(lab.log.actions).to.deep.equal([]);
  });

  it('sends the lab list, the drawn lab and its live state with rates', async function () {
    const c = client('/ws/live', { origin: `http://127.0.0.1:${server.port}` });
    const hello = await c.next('hello');
    expect(hello.labs).to.deep.equal([{ name: 't-ui' }]);
    expect(hello.lab).to.equal('t-ui');
    c.send({ type: 'subscribe', lab: 't-ui' });
    const topo = await c.next('topology');
    expect(topo.view.nodes).to.have.length(6);
    await c.next('live');
    lab.counters.set('r1:eth1', { rx: 1_000_000, tx: 5_000_000 });
    const live = await c.next('live', (m) => (m.live.edges.L0?.abBps ?? 0) > 0);
    expect(live.live.edges.L0!.state).to.equal('up');
    expect(live.live.nodes.r1!.state).to.equal('running');
    const withHealth = await c.next('live', (m) => !!m.live.nodes.r1!.daemons);
    expect(withHealth.live.nodes.r1!.daemons!.map((d) => d.daemon)).to.deep.equal(['zebra', 'ospfd']);
  });

  it('opens the lab named at start before any page asks for it', async function () {
    const other = new FakeBackend(new FakeLab(demoTopology('t-ui-named')));
    const opened: string[] = [];
    const open = other.open.bind(other);
    other.open = (name) => { opened.push(name); return open(name); };
    const s = await startUiServer({ backend: other, port: 0, lab: 't-ui-named', live: { intervalMs: 50 } });
    try {
      await new Promise((r) => setImmediate(r));
      expect(opened).to.deep.equal(['t-ui-named']);
    } finally {
      await s.close();
    }
  });

  it('reads the lab named at start once, so that its first page gets node and link states with the drawn lab', async function () {
    const other = new FakeBackend(new FakeLab(demoTopology('t-ui-first')));
    const s = await startUiServer({ backend: other, port: 0, lab: 't-ui-first', live: { intervalMs: 60_000 } });
    try {
      await new Promise((r) => setTimeout(r, 50)); // the reading at start is done
      const c = new Client(s, '/ws/live');
      c.send({ type: 'subscribe', lab: 't-ui-first' });
      const drawn = await c.next('topology');
      c.close();
      expect(drawn.live, 'live state with the drawing').to.not.equal(undefined);
      expect(Object.keys(drawn.live!.nodes).sort()).to.deep.equal(['h1', 'h2', 'r1', 'r2', 'r3']);
    } finally {
      await s.close();
    }
  });

  it('sends a page that comes later the last live state with the drawn lab, so it is drawn with it', async function () {
    const a = client('/ws/live');
    a.send({ type: 'subscribe', lab: 't-ui' });
    await a.next('topology');
    const first = await a.next('live');
    const b = client('/ws/live');
    b.send({ type: 'subscribe', lab: 't-ui' });
    const topo = await b.next('topology');
    expect(topo.live?.lab).to.equal('t-ui');
    expect(topo.live?.nodes.r1?.state).to.equal(first.live.nodes.r1?.state);
  });

  it('shows a paused node as paused, and running again once resumed', async function () {
    const c = client('/ws/live');
    c.send({ type: 'subscribe', lab: 't-ui' });
    await c.next('topology');
    lab.paused.add('r2');
    await c.next('live', (m) => m.live.nodes.r2?.state === 'paused' && m.live.nodes.r1?.state === 'running');
    lab.paused.delete('r2');
    await c.next('live', (m) => m.live.nodes.r2?.state === 'running');
  });

  it('cuts and restores both ends of a link, and the live state turns it down and up', async function () {
    const c = client('/ws/live');
    c.send({ type: 'subscribe', lab: 't-ui' });
    await c.next('topology');
    const r = await http(server, 'POST', '/api/labs/t-ui/links/L0', { body: { action: 'cut' } });
    expect(r.status, r.body).to.equal(200);
    expect(lab.log.actions).to.deep.equal(['down r1:eth1', 'down r2:eth1']);
    await c.next('live', (m) => m.live.edges.L0?.state === 'down' && m.live.edges.L0.reason === 'r1:eth1 is cut');
    await http(server, 'POST', '/api/labs/t-ui/links/L0', { body: { action: 'restore' } });
    await c.next('live', (m) => m.live.edges.L0?.state === 'up');
  });

  it('shapes one direction with values as typed, and answers a bad value with the error and a hint', async function () {
    const ok = await http(server, 'POST', '/api/labs/t-ui/links/L0', { body: { action: 'shape', ends: 'a', change: { rate: '2mbit', delay: '30ms' } } });
    expect(ok.status, ok.body).to.equal(200);
    expect(lab.log.actions).to.deep.equal(['set r1:eth1 {"rateBps":2000000,"delayMs":30}']);
    const bad = await http(server, 'POST', '/api/labs/t-ui/links/L0', { body: { action: 'shape', change: { rate: 'fast' } } });
    expect(bad.status).to.equal(400);
    const err = JSON.parse(bad.body) as { error: string; hint: string };
    expect(err.error).to.contain('rate fast');
    expect(err.hint).to.not.equal('');
    expect((await http(server, 'POST', '/api/labs/t-ui/links/L99', { body: { action: 'cut' } })).status).to.equal(404);
    expect((await http(server, 'POST', '/api/labs/t-ui/links/L0', { body: { action: 'explode' } })).status).to.equal(400);
  });

  it('relays a terminal: keys in, output out, resizes to the node, hang-up on close', async function () {
    const t = client('/ws/term?lab=t-ui&node=r1&rows=30&cols=100');
    await t.opened;
    const prompt = await t.next('bytes' as never) as unknown as { text: string };
    expect(prompt.text).to.equal('r1# ');
    t.ws.send(Buffer.from('ip route\r'), { binary: true });
    const echo = await t.next('bytes' as never) as unknown as { text: string };
    expect(echo.text).to.equal('ip route\r');
    t.send({ type: 'resize', rows: 40, cols: 132 });
    await new Promise((r) => setTimeout(r, 100));
    expect(lab.log.typed).to.deep.equal(['ip route\r']);
    expect(lab.log.resizes).to.deep.equal([{ rows: 30, cols: 100 }, { rows: 40, cols: 132 }]);
  });

  it('says why a terminal cannot open on a node that is not running', async function () {
    lab.running.delete('r2');
    const t = client('/ws/term?lab=t-ui&node=r2');
    const e = await t.next('error' as never) as unknown as { message: string };
    expect(e.message).to.contain('t-ui/r2: is not running');
  });

  it('saves dragged positions and shows them on the other pages', async function () {
    const a = client('/ws/live'), b = client('/ws/live');
    for (const c of [a, b]) { c.send({ type: 'subscribe', lab: 't-ui' }); await c.next('topology'); }
    const r = await http(server, 'PUT', '/api/labs/t-ui/positions', { body: { r1: { x: 10, y: 20 } } });
    expect(r.status).to.equal(200);
    expect((await b.next('positions')).positions).to.deep.equal({ r1: { x: 10, y: 20 } });
    expect(lab.positions()).to.deep.equal({ r1: { x: 10, y: 20 } });
    const bad = await http(server, 'PUT', '/api/labs/t-ui/positions', { body: { r1: { x: 'left' } } });
    expect(bad.status).to.equal(400);
  });

  it('runs the lab\'s tests and shows each start and end', async function () {
    const c = client('/ws/live');
    c.send({ type: 'subscribe', lab: 't-ui' });
    await c.next('topology');
    lab.exec = async () => ({ code: 0, stdout: '3 packets transmitted, 3 received, 0% packet loss\nrtt min/avg/max/mdev = 0.1/0.1/0.1/0.0 ms\n', stderr: '' });
    const r = await http(server, 'POST', '/api/labs/t-ui/tests');
    expect(r.status, r.body).to.equal(202);
    await c.next('tests', (m) => m.results[0]!.status === 'running');
    const done = await c.next('tests', (m) => m.state === 'done');
    expect(done.results[0]!.status).to.equal('pass');
    expect(done.summary).to.contain('1 test');
  });

  it('says when the lab goes down, keeps serving, and draws it again when it is back', async function () {
    const c = client('/ws/live');
    c.send({ type: 'subscribe', lab: 't-ui' });
    await c.next('topology');
    backend.down('t-ui');
    lab.touch();
    const gone = await c.next('gone');
    expect(gone.message).to.contain('lab t-ui: is not running');
    expect((await http(server, 'GET', '/')).status, 'the page still loads').to.equal(200);
    expect((await http(server, 'POST', '/api/labs/t-ui/links/L0', { body: { action: 'cut' } })).status).to.equal(400);
    backend.labsByName.set('t-ui', lab);
    await c.next('topology');
    await c.next('labs', (m) => m.labs.length === 1, 5000);
  });

  it('answers capture with 501 and the reason when the backend cannot capture', async function () {
    const r = await http(server, 'GET', '/api/labs/t-ui/links/L0/capture?seconds=2');
    expect(r.status).to.equal(501);
    expect(JSON.parse(r.body).hint).to.equal('not in this test');
  });

  it('streams a capture of both ends of a link as a pcapng download, and stops it when the download ends', async function () {
    const asked: { endpoints: string[]; durationMs: number }[] = [];
    let stopped = 0;
    backend.capture = (_lab, endpoints, opts) => {
      asked.push({ endpoints, durationMs: opts.durationMs });
      return { ready: Promise.resolve(), stream: Readable.from([Buffer.from('pcapng bytes')]), stop: () => { stopped++; } };
    };
    const r = await http(server, 'GET', '/api/labs/t-ui/links/L0/capture?seconds=2');
    expect(r.status).to.equal(200);
    expect(r.headers['content-disposition']).to.equal('attachment; filename="t-ui-L0.pcapng"');
    expect(r.body).to.equal('pcapng bytes');
    expect(asked).to.deep.equal([{ endpoints: ['r1:eth1', 'r2:eth1'], durationMs: 2000 }]);
    expect(stopped).to.be.at.least(1);
  });

  it('answers a capture that cannot start with the library\'s error, not an empty download', async function () {
    let stopped = 0;
    backend.capture = () => ({
      ready: Promise.reject(new UsageError('r1', 'is not running', 'netlab status t-ui')), stream: Readable.from([]), stop: () => { stopped++; },
    });
    const r = await http(server, 'GET', '/api/labs/t-ui/links/L0/capture?seconds=2');
    expect(r.status).to.equal(400);
    expect(JSON.parse(r.body).hint).to.equal('netlab status t-ui');
    expect(stopped).to.equal(1);
  });

  describe('live packet list', function () {
    const T0 = 1_765_000_000_000_000_000n;
    const ping = (seq: number): Buffer => ethernet(0x0800, ipv4('10.1.0.1', '10.1.0.2', 1, echo(8, 1, seq)));
    let stream: PassThrough;
    let stops: number;
    let asked: { endpoints: string[]; filter?: string }[];
    let endCapture: (dropped: number) => void;

    beforeEach(function () {
      stops = 0;
      asked = [];
      backend.capture = (_lab, endpoints, opts) => {
        asked.push({ endpoints, ...(opts.filter ? { filter: opts.filter } : {}) });
        stream = new PassThrough();
        let done!: (r: { dropped: number }) => void;
        endCapture = (dropped) => { stream.end(); done({ dropped }); };
        return { ready: Promise.resolve(), stream, stop: () => { stops++; endCapture(0); }, done: new Promise((r) => { done = r; }) };
      };
    });

    /** GET of a download, as bytes. */
    const download = (path: string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> => new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path, headers: { cookie: `netlab-ui-${server.port}=${server.token}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });

    async function startOn(link: string, body: unknown = {}, opts?: Parameters<typeof startUiServer>[0]['liveCapture']): Promise<{ c: Client; id: string }> {
      if (opts) {
        await server.close();
        server = await startUiServer({ backend, port: 0, lab: 't-ui', live: { intervalMs: 50 }, liveCapture: { flushMs: 30, ...opts } });
      }
      const c = client('/ws/live');
      c.send({ type: 'subscribe', lab: 't-ui' });
      await c.next('topology');
      const r = await http(server, 'POST', `/api/labs/t-ui/links/${link}/live-capture`, { body });
      expect(r.status, r.body).to.equal(202);
      return { c, id: (JSON.parse(r.body) as { id: string }).id };
    }

    it('captures one end of the link and sends each packet as a row: addresses, protocol, length, interface', async function () {
      const { c, id } = await startOn('L0', { filter: 'icmp' });
      expect(asked).to.deep.equal([{ endpoints: ['r1:eth1'], filter: 'icmp' }]);
      stream.write(Buffer.concat([shb(), idb('r1:eth1'), epb(0, T0, ping(1))]));
      stream.write(epb(0, T0 + 250_000_000n, ping(2)));
      const rows: { n: number; src: string; dst: string; protocol: string; length: number; endpoint: string; t: number }[] = [];
      while (rows.length < 2) rows.push(...(await c.next('packets', (m) => m.id === id)).rows);
      expect(rows.map((r) => [r.n, r.endpoint, r.src, r.dst, r.protocol, r.length])).to.deep.equal([
        [1, 'r1:eth1', '10.1.0.1', '10.1.0.2', 'ICMP', ping(1).length], [2, 'r1:eth1', '10.1.0.1', '10.1.0.2', 'ICMP', ping(2).length]]);
      expect(rows[1]!.t).to.be.closeTo(0.25, 1e-6);
      await c.next('capture', (m) => m.capture.id === id && m.capture.packets === 2);
    });

    it('stops from the page, and the pcapng stays downloadable, whole', async function () {
      const { c, id } = await startOn('L0');
      const bytes = Buffer.concat([shb(), idb('r1:eth1'), epb(0, T0, ping(1))]);
      stream.write(bytes);
      await c.next('packets', (m) => m.id === id);
      expect((await http(server, 'POST', `/api/labs/t-ui/captures/${id}/stop`)).status).to.equal(200);
      expect(stops).to.equal(1);
      const last = await c.next('capture', (m) => m.capture.id === id && m.capture.state === 'stopped' && m.capture.kernelDropped !== undefined);
      expect(last.capture).to.include({ packets: 1, shown: 1, notShown: 0, fileBytes: bytes.length });
      const d = await download(`/api/labs/t-ui/captures/${id}/pcapng`);
      expect(d.status).to.equal(200);
      expect(d.headers['content-disposition']).to.equal('attachment; filename="t-ui-L0-live.pcapng"');
      expect(d.body.equals(bytes)).to.equal(true);
      expect((await http(server, 'POST', '/api/labs/t-ui/captures/c99/stop')).status).to.equal(404);
    });

    it('sends a page that opens the lab later the capture and the rows the server holds', async function () {
      const { c, id } = await startOn('L0');
      stream.write(Buffer.concat([shb(), idb('r1:eth1'), epb(0, T0, ping(1))]));
      await c.next('packets', (m) => m.id === id);
      const late = client('/ws/live');
      late.send({ type: 'subscribe', lab: 't-ui' });
      expect((await late.next('capture', (m) => m.capture.id === id)).capture.state).to.equal('running');
      expect((await late.next('packets', (m) => m.id === id)).rows.map((r) => r.n)).to.deep.equal([1]);
    });

    it('under a flood lists a bounded number of rows, counts the others, and keeps the file within its limit and valid', async function () {
      const { c, id } = await startOn('L0', {}, { rowsPerFlush: 5, maxFileBytes: 4096 });
      stream.write(Buffer.concat([shb(), idb('r1:eth1')]));
      const all: Buffer[] = [];
      for (let i = 0; i < 1000; i++) all.push(epb(0, T0 + BigInt(i) * 1000n, ping(i)));
      stream.write(Buffer.concat(all));
      const info = (await c.next('capture', (m) => m.capture.id === id && m.capture.packets === 1000)).capture;
      expect(info.shown + info.notShown).to.equal(1000);
      expect(info.notShown).to.be.at.least(990);
      expect(info.fileBytes).to.be.at.most(4096);
      expect(info.notInFile).to.be.greaterThan(900).and.lessThan(1000);
      await http(server, 'POST', `/api/labs/t-ui/captures/${id}/stop`);
      await c.next('capture', (m) => m.capture.id === id && m.capture.state === 'stopped');
      const d = await download(`/api/labs/t-ui/captures/${id}/pcapng`);
      expect(d.body.length).to.be.at.most(4096);
      const blocks = new PcapngReader().push(d.body);
      expect(blocks[0]!.kind).to.equal('section');
      expect(blocks.filter((b) => b.kind === 'packet').length).to.equal(1000 - info.notInFile);
    });

    it('refuses a live capture with bad seconds or a filter that is not text', async function () {
      expect((await http(server, 'POST', '/api/labs/t-ui/links/L0/live-capture', { body: { seconds: -1 } })).status).to.equal(400);
      expect((await http(server, 'POST', '/api/labs/t-ui/links/L0/live-capture', { body: { filter: 5 } })).status).to.equal(400);
      expect((await http(server, 'POST', '/api/labs/t-ui/links/L9/live-capture', { body: {} })).status).to.equal(404);
      expect(asked).to.deep.equal([]);
    });
  });

  describe('the teacher\'s view (another user\'s lab)', function () {
    let student: FakeLab;
    beforeEach(function () {
      student = new FakeLab(demoTopology('t-ui'));
      backend.labsByName.set('alice/t-ui', student);
      backend.labs = () => [{ name: 't-ui', owner: 'root' }, { name: 'alice/t-ui', owner: 'alice', readOnly: true }];
      backend.ownerOf = (key: string) => (key.includes('/') ? key.split('/')[0] : undefined);
    });

    it('lists the user\'s lab with its owner, read-only, and draws it', async function () {
      const labs = JSON.parse((await http(server, 'GET', '/api/labs')).body) as unknown[];
      expect(labs).to.deep.include({ name: 'alice/t-ui', owner: 'alice', readOnly: true });
      const view = await http(server, 'GET', '/api/labs/alice%2Ft-ui');
      expect(view.status).to.equal(200);
      expect((JSON.parse(view.body) as { nodes: unknown[] }).nodes).to.have.length(6);
      const c = client('/ws/live');
      await c.next('hello');
      c.send({ type: 'subscribe', lab: 'alice/t-ui' });
      expect((await c.next('topology', (m) => m.lab === 'alice/t-ui')).view.nodes).to.have.length(6);
      expect((await c.next('live', (m) => m.live.lab === 'alice/t-ui')).live.nodes.r1!.state).to.equal('running');
    });

    it('refuses a cut, a shaping, a test run and saved positions unless root acts for that user', async function () {
      for (const [method, path, body] of [['POST', '/api/labs/alice%2Ft-ui/links/L0', { action: 'cut' }], ['POST', '/api/labs/alice%2Ft-ui/links/L0', { action: 'shape', change: { rate: '1mbit' } }],
        ['POST', '/api/labs/alice%2Ft-ui/tests', undefined], ['PUT', '/api/labs/alice%2Ft-ui/positions', { r1: { x: 1, y: 2 } }]] as const) {
        const r = await http(server, method, path, { body });
        expect(r.status, `${method} ${path}`).to.equal(403);
        expect(JSON.parse(r.body).error).to.equal('lab alice/t-ui is alice\'s: read-only in the teacher\'s view');
        expect(JSON.parse(r.body).hint).to.contain('act on alice\'s lab');
      }
      const other = await http(server, 'POST', '/api/labs/alice%2Ft-ui/links/L0', { body: { action: 'cut' }, headers: { 'x-netlab-act-as-root': 'bob' } });
      expect(other.status, 'acting for another user does not count').to.equal(403);
      expect(student.log.actions).to.deep.equal([]);
      const acted = await http(server, 'POST', '/api/labs/alice%2Ft-ui/links/L0', { body: { action: 'cut' }, headers: { 'x-netlab-act-as-root': 'alice' } });
      expect(acted.status, acted.body).to.equal(200);
      expect(student.log.actions).to.deep.equal(['down r1:eth1', 'down r2:eth1']);
      // Root's own lab is root's to change, as always.
      expect((await http(server, 'POST', '/api/labs/t-ui/links/L0', { body: { action: 'cut' } })).status).to.equal(200);
    });

    it('opens no terminal in another user\'s lab, and takes no user/lab key when not the teacher\'s view', async function () {
      expect(await client('/ws/term?lab=alice%2Ft-ui&node=r1').refused).to.equal(403);
      expect(student.log.resizes).to.deep.equal([]);
      delete backend.ownerOf;
      expect((await http(server, 'GET', '/api/labs/alice%2Ft-ui')).status).to.equal(404);
    });
  });

  describe('a large lab\'s first layout (by the server)', function () {
    /** A ring of `n` linux nodes, loaded (pure). */
    const ring = (name: string, n: number): FakeLab => {
      const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}: {}`).join(', ');
      const links = Array.from({ length: n }, (_, i) => `  - [n${i + 1}:eth1, n${((i + 1) % n) + 1}:eth2]`).join('\n');
      return new FakeLab(loadTopology({ text: `name: ${name}\ndefaults: { kind: linux }\nnodes: { ${nodes} }\nlinks:\n${links}\n` }));
    };
    const servers: UiServer[] = [];
    const start = async (big: FakeLab, live: Parameters<typeof startUiServer>[0]['live'] = {}): Promise<UiServer> => {
      const s = await startUiServer({ backend: new FakeBackend(big), port: 0, lab: big.name, live: { intervalMs: 50, ...live } });
      servers.push(s);
      return s;
    };
    const page = (s: UiServer, lab: string): Client => { const c = new Client(s, '/ws/live'); clients.push(c); c.send({ type: 'subscribe', lab }); return c; };
    afterEach(async function () { for (const s of servers.splice(0)) await s.close(); });

    it('lays out a large lab before its first page draws it, and saves the positions with the lab', async function () {
      this.timeout(30_000);
      const big = ring('t-ui-big', 400);
      const s = await start(big);
      const topo = await page(s, big.name).next('topology', () => true, 25_000);
      expect(Object.keys(topo.positions)).to.have.length(400);
      const p1 = topo.positions.n1!, p2 = topo.positions.n2!;
      expect(Number.isFinite(p1.x) && Number.isFinite(p1.y)).to.equal(true);
      expect(p1, 'two nodes are not put in one place').to.not.deep.equal(p2);
      expect(big.positions(), 'saved where dragged positions are').to.deep.equal(topo.positions);
      // A later page gets the same picture at once.
      expect((await page(s, big.name).next('topology')).positions).to.deep.equal(topo.positions);
    });

    it('keeps positions a page saved, laying out only the other nodes', async function () {
      this.timeout(30_000);
      const big = ring('t-ui-big', 400);
      big.savePositions({ n1: { x: 12345, y: -678 } });
      const s = await start(big);
      const topo = await page(s, big.name).next('topology', () => true, 25_000);
      expect(topo.positions.n1).to.deep.equal({ x: 12345, y: -678 });
      expect(Object.keys(topo.positions)).to.have.length(400);
    });

    it('sends the drawn lab without positions when the layout fails (the page lays it out)', async function () {
      const failing = ring('t-ui-big', 400);
      const s1 = await start(failing, { layout: () => Promise.reject(new Error('no layout here')) });
      const topo = await page(s1, failing.name).next('topology');
      expect(topo.positions).to.deep.equal({});
      expect(topo.layingOut).to.equal(undefined);
    });

    it('sends the drawn lab after a while without positions, saying they come, and sends them when the layout is in', async function () {
      const slow = ring('t-ui-slow', 400);
      let finish: (p: Record<string, { x: number; y: number }>) => void = () => { /* set below */ };
      const s = await start(slow, { layout: () => new Promise((r) => { finish = r; }), layoutWaitMs: 200 });
      const t0 = Date.now();
      const c = page(s, slow.name);
      const topo = await c.next('topology');
      expect(Date.now() - t0).to.be.below(2000);
      expect(topo.positions).to.deep.equal({});
      expect(topo.layingOut).to.equal(true);
      const later = page(s, slow.name);
      expect((await later.next('topology')).layingOut, 'a page that comes meanwhile is told too').to.equal(true);
      const laid = Object.fromEntries(slow.topology.nodes.map((n, i) => [n.name, { x: 3 * i, y: i }]));
      finish(laid);
      expect((await c.next('positions')).positions).to.deep.equal(laid);
      expect((await later.next('positions')).positions).to.deep.equal(laid);
      expect(slow.positions()).to.deep.equal(laid);
    });

    it('draws a lab it may not save positions for (another user\'s) from the layout it kept', async function () {
      const theirs = ring('t-ui-big', 400);
      theirs.savePositions = () => { throw new UsageError('alice/t-ui-big', 'saving positions is not offered on another user\'s lab from the page'); };
      const laid = Object.fromEntries(theirs.topology.nodes.map((n, i) => [n.name, { x: i, y: 2 * i }]));
      const s = await start(theirs, { layout: async () => laid });
      expect((await page(s, theirs.name).next('topology')).positions).to.deep.equal(laid);
    });

    it('leaves a small lab to the page', async function () {
      let asked = 0;
      const small = new FakeLab(demoTopology('t-ui-small'));
      const s = await start(small, { layout: async () => { asked++; return {}; } });
      expect((await page(s, small.name).next('topology')).positions).to.deep.equal({});
      expect(asked).to.equal(0);
    });
  });
});
