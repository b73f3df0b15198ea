import { expect } from 'chai';
import { enterArgs, winsizeRecord } from '../../src/core/enter.js';
import { parseNetDev, type LinkCounters } from '../../src/observe/link-counters.js';
import { checkPositions } from '../../src/lab/positions.js';
import { parseShapingChange } from '../../src/topology/shaping-change.js';
import { NetlabError } from '../../src/errors.js';
import { credential, readCookie, sameOrigin, sameToken } from '../../src/ui/auth.js';
import { actionEnds, changeOf } from '../../src/ui/server.js';
import { COVER_OVER, counterNodes, counterPlan, labView, liveEdges, liveNodes } from '../../src/ui/view.js';
import { parseListen, parsePort } from '../../src/cli/ui.js';
import { loadTopology } from '../../src/lab/load.js';
import { demoTopology } from '../helpers/ui-fake.js';
import { fcoseOptions, LARGE_LAB_OVER, layoutRequest, NODE_BOX, needsServerLayout } from '../../src/ui/layout-plan.js';

function caught(fn: () => unknown): NetlabError {
  try { fn(); } catch (e) { return e as NetlabError; }
  throw new Error('expected an error');
}

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth1:   12345      67    0    2    0     0          0         0    98765     432    0    5    0     0       0          0
`;

describe('netlab ui: the drawn lab', () => {
  it('draws a node per lab node, a LAN as a node of its own, and an edge per link or LAN member', () => {
    const v = labView(demoTopology());
    expect(v.nodes.map((n) => n.id)).to.deep.equal(['r1', 'r2', 'r3', 'h1', 'h2', 'lan:lan1']);
    expect(v.edges.map((e) => `${e.id} ${e.source}-${e.target}`)).to.deep.equal([
      'L0 r1-r2', 'L1 r2-r3', 'L2 r3-r1', 'L3 h1-r1', 'L4 h2-r3', 'L5.0 h1-lan:lan1', 'L5.1 h2-lan:lan1', 'L5.2 r2-lan:lan1',
    ]);
    const l0 = v.edges[0]!;
    expect(l0.a).to.include({ endpoint: 'r1:eth1', ipv4: '10.1.0.0/31' });
    expect(l0.b).to.include({ endpoint: 'r2:eth1', ipv4: '10.1.0.1/31' });
    expect(v.nodes.find((n) => n.id === 'r1')!.kind).to.equal('frr');
    // the card asks for routing neighbours of a router's kind only (its facts list ospf_neighbors/bgp_sessions)
    expect(v.nodes.filter((n) => n.neighbors).map((n) => n.id)).to.deep.equal(['r1', 'r2', 'r3']);
    expect(v.tests.map((t) => t.name)).to.deep.equal(['h1 reaches h2']);
  });

  it('draws no edge and no segment for a node\'s own interface (a dummy link)', () => {
    const t = loadTopology({ text: 'name: t-dm\nnodes: { a: {}, b: {} }\nlinks:\n  - [a:eth1, b:eth1]\n  - { type: dummy, endpoints: [a:dummy0] }\n' });
    const v = labView(t);
    expect(v.nodes.map((n) => n.type)).to.deep.equal(['node', 'node']);
    expect(v.edges.map((e) => e.id)).to.deep.equal(['L0']);
    expect(v.nodes[0]!.interfaces!.map((i) => i.endpoint)).to.include('a:dummy0');
  });

  it('draws the host once for host links, with the host end\'s interface', () => {
    const t = loadTopology({ text: 'name: t-hl\nnodes: { a: {}, b: {} }\nlinks:\n  - [a:eth1, host:t-hl-a]\n  - [b:eth1, host:t-hl-b]\n' });
    const v = labView(t);
    expect(v.nodes.filter((n) => n.type === 'host')).to.have.length(1);
    expect(v.edges.map((e) => [e.type, e.source, e.target, e.b?.endpoint])).to.deep.equal([['host', 'a', 'host', 'host:t-hl-a'], ['host', 'b', 'host', 'host:t-hl-b']]);
  });

  it('reads counters of each link from one end only (the a end)', () => {
    expect(counterNodes(labView(demoTopology()))).to.deep.equal(['r1', 'r2', 'r3', 'h1', 'h2']);
  });

  it('reads a large ring at every other node, each link at one end, and a shaped node always', () => {
    const n = COVER_OVER * 2;
    const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
    const links = names.map((x, i) => `  - [${x}:eth2, ${names[(i + 1) % n]}:eth1]`);
    const t = loadTopology({ text: `name: t-ring\naddressing: false\nnodes:\n${names.map((x) => `  ${x}: {}`).join('\n')}\nlinks:\n${links.join('\n')}\n` });
    const v = labView(t);
    const plan = counterPlan(t, v);
    expect(plan.nodes).to.have.length(n / 2);
    const read = new Set(plan.nodes);
    for (const e of v.edges) expect(read.has(plan.readAt[e.id] === 'b' ? e.b!.node : e.a.node), e.id).to.equal(true);
    t.nodes[1]!.interfaces[0]!.shaping = { rateBps: 1_000_000 } as never;
    expect(counterPlan(t, labView(t)).nodes).to.include('n2');
  });

  it('turns counters read at the b end into the same rates: what b receives, a sent', () => {
    const t = demoTopology();
    const v = labView(t);
    const at = (atMs: number, rx: number, tx: number): LinkCounters => ({ atMs, running: { r1: true, r2: true, r3: true, h1: true, h2: true }, interfaces: { 'r2:eth1': { name: 'eth1', rxBytes: rx, txBytes: tx, rxPackets: 0, txPackets: 0, rxDropped: 0, txDropped: 0, qdiscDropped: 0 } } });
    const live = liveEdges(t, v, at(0, 0, 0), at(1000, 125_000, 12_500), () => undefined, { L0: 'b' });
    expect(live.L0).to.deep.include({ abBps: 1_000_000, baBps: 100_000 });
  });

  it('turns two readings into bits/s both ways and drops per second, and marks cut links and dead nodes down', () => {
    const t = demoTopology();
    const v = labView(t);
    const reading = (atMs: number, tx: number, rx: number, drops: number, running = true): LinkCounters => ({
      atMs, running: { r1: running, r2: true, r3: true, h1: true, h2: true },
      interfaces: running ? { 'r1:eth1': { name: 'eth1', rxBytes: rx, txBytes: tx, rxPackets: 0, txPackets: 0, rxDropped: 0, txDropped: 0, qdiscDropped: drops } } : {},
    });
    const a = reading(1000, 0, 0, 0), b = reading(3000, 250_000, 25_000, 10);
    const live = liveEdges(t, v, a, b, (e) => (e === 'r1:eth1' ? 'rate 1Mbit' : undefined));
    expect(live.L0).to.deep.include({ state: 'up', abBps: 1_000_000, baBps: 100_000, dropsPerS: 5, shapingA: 'rate 1Mbit' });
    expect(liveEdges(t, v, undefined, b, () => undefined).L0!.abBps, 'one reading has no rate').to.equal(undefined);
    t.nodes[0]!.interfaces[0]!.state = 'down';
    expect(liveEdges(t, v, a, b, () => undefined).L0).to.include({ state: 'down', reason: 'r1:eth1 is cut' });
    t.nodes[0]!.interfaces[0]!.state = 'up';
    const dead = reading(3000, 0, 0, 0, false);
    expect(liveEdges(t, v, a, dead, () => undefined).L2).to.include({ state: 'down', reason: 'r1 is not running' });
    expect(liveNodes(t, dead, new Set(['r2']))).to.deep.include({ r1: { state: 'dead' }, r2: { state: 'paused' }, r3: { state: 'running' } });
  });

  it('gives no rate for a counter that went backwards (the interface was made again)', () => {
    const t = demoTopology();
    const v = labView(t);
    const c = (atMs: number, tx: number): LinkCounters => ({ atMs, running: { r1: true, r2: true }, interfaces: { 'r1:eth1': { name: 'eth1', rxBytes: 0, txBytes: tx, rxPackets: 0, txPackets: 0, rxDropped: 0, txDropped: 0, qdiscDropped: 0 } } });
    expect(liveEdges(t, v, c(0, 5000), c(1000, 10), () => undefined).L0!.abBps).to.equal(undefined);
  });
});

describe('netlab ui: reading counters and positions', () => {
  it('parses /proc/net/dev: bytes, packets and drops per interface, headers skipped', () => {
    const m = parseNetDev(NET_DEV);
    expect([...m.keys()]).to.deep.equal(['lo', 'eth1']);
    expect(m.get('eth1')).to.deep.equal({ name: 'eth1', rxBytes: 12345, rxPackets: 67, rxDropped: 2, txBytes: 98765, txPackets: 432, txDropped: 5, qdiscDropped: 0 });
  });

  it('accepts positions as id → { x, y } and refuses anything else with the entry named', () => {
    expect(checkPositions({ r1: { x: 1, y: -2.5 }, 'lan:lan1': { x: 0, y: 0 } }, 'p')).to.deep.equal({ r1: { x: 1, y: -2.5 }, 'lan:lan1': { x: 0, y: 0 } });
    expect(caught(() => checkPositions([], 'p')).message).to.contain('not an object');
    expect(caught(() => checkPositions({ r1: { x: 'a', y: 1 } }, 'p')).where).to.equal('p: "r1"');
    expect(caught(() => checkPositions({ r1: { x: Infinity, y: 1 } }, 'p')).exitCode).to.equal(2);
    expect(caught(() => checkPositions({ 'a\nb': { x: 1, y: 1 } }, 'p')).message).to.contain('not a position');
  });
});

describe('netlab ui: actions and flags', () => {
  it('parses a shaping change as typed, 0 removing a value, and names a bad key as the page sent it', () => {
    expect(parseShapingChange({ rate: '2mbit', delay: '30ms', loss: '0' })).to.deep.equal({ rateBps: 2_000_000, delayMs: 30, lossPercent: 0 });
    const err = caught(() => parseShapingChange({ rate: 'fast' }, (k, v) => `${k} ${v}`));
    expect(err.where).to.equal('rate fast');
    expect(err.exitCode).to.equal(2);
  });

  it('takes only known shaping keys with short text values from a request', () => {
    expect(changeOf({ rate: ' 2mbit ', delay: '' })).to.deep.equal({ rate: '2mbit' });
    expect(caught(() => changeOf({ rm: '-rf' })).message).to.contain('not a shaping value');
    expect(caught(() => changeOf({ rate: 5 })).message).to.contain('not a value as typed');
    expect(caught(() => changeOf('rate=1')).message).to.contain('not an object');
  });

  it('acts on both node ends of a link, on one end, and refuses the other end of a LAN port', () => {
    const v = labView(demoTopology());
    expect(actionEnds(v.edges[0]!, undefined)).to.deep.equal(['r1:eth1', 'r2:eth1']);
    expect(actionEnds(v.edges[0]!, 'b')).to.deep.equal(['r2:eth1']);
    const lan = v.edges.find((e) => e.type === 'lan')!;
    expect(actionEnds(lan, 'both')).to.deep.equal(['h1:eth2']);
    expect(() => actionEnds(lan, 'b')).to.throw('no node at its other end');
  });

  it('checks --port and --listen before anything starts', () => {
    expect(parsePort('0')).to.equal(0);
    expect(parsePort('8080')).to.equal(8080);
    expect(caught(() => parsePort('80x')).where).to.equal('--port 80x');
    expect(caught(() => parsePort('70000')).exitCode).to.equal(2);
    expect(parseListen('localhost')).to.equal('127.0.0.1');
    expect(parseListen('::1')).to.equal('::1');
    expect(caught(() => parseListen('0.0.0.0; rm -rf /')).hint).to.contain('--listen 127.0.0.1');
  });

  it('hands a window size to netlab-enter as rows and columns, little-endian, clamped', () => {
    expect([...winsizeRecord(40, 132)]).to.deep.equal([40, 0, 132, 0]);
    expect([...winsizeRecord(0, 70000)]).to.deep.equal([1, 0, 255, 255]);
    expect(enterArgs({ lab: 'l', name: 'r1', pid: 5 }, [], { tty: true, winsizeFd: 3 })).to.deep.equal(['--pid', '5', '--lab', 'l', '--node', 'r1', '-t', '--winsize-fd', '3', '--']);
    expect(() => enterArgs({ lab: 'l', name: 'r1', pid: 5 }, [], { winsizeFd: 3 })).to.throw('needs tty');
  });
});

describe('netlab ui: the access token', () => {
  const req = (headers: Record<string, string>, url = '/'): { headers: Record<string, string>; url: string } => ({ headers, url });
  const token = 'a'.repeat(64);

  it('takes the token from its cookie, ?token= or an Authorization header, and nothing else', () => {
    expect(credential(req({ cookie: `x=1; netlab-ui-8080=${token}` }), token, 8080)).to.equal('cookie');
    expect(credential(req({ cookie: `netlab-ui-8081=${token}` }), token, 8080), 'another port\'s cookie').to.equal('none');
    expect(credential(req({}, `/?token=${token}`), token, 8080)).to.equal('query');
    expect(credential(req({ authorization: `token ${token}` }), token, 8080)).to.equal('header');
    expect(credential(req({}, '/?token=b'), token, 8080)).to.equal('none');
    expect(credential(req({}), token, 8080)).to.equal('none');
    expect(sameToken(token.slice(1), token)).to.equal(false);
    expect(readCookie('a=1;  b = 2 ', 'b')).to.equal('2');
  });

  it('accepts the page\'s own origin (or none) and refuses another site\'s', () => {
    expect(sameOrigin({ headers: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' } })).to.equal(true);
    expect(sameOrigin({ headers: { host: '127.0.0.1:8080' } })).to.equal(true);
    expect(sameOrigin({ headers: { host: '127.0.0.1:8080', origin: 'http://evil.example' } })).to.equal(false);
    expect(sameOrigin({ headers: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8081' } })).to.equal(false);
  });
});

describe('netlab ui: the layout asked of fcose (layout-plan)', () => {
  const view = (n: number) => ({
    nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'node' as const, label: `n${i}`, kind: 'linux' })),
    edges: Array.from({ length: n }, (_, i) => ({ id: `L${i}`, source: `n${i}`, target: `n${(i + 1) % n}` })),
  });

  it('lays out on the server only a large lab with a node not placed yet', () => {
    const big = view(LARGE_LAB_OVER + 1);
    expect(needsServerLayout(big, {})).to.equal(true);
    expect(needsServerLayout(view(LARGE_LAB_OVER), {})).to.equal(false);
    const all = Object.fromEntries(big.nodes.map((n) => [n.id, { x: 0, y: 0 }]));
    expect(needsServerLayout(big, all)).to.equal(false);
    delete all.n7;
    expect(needsServerLayout(big, all)).to.equal(true);
  });

  it('asks for every element with one box size, holds the placed ones, and drafts above 400 nodes', () => {
    const r = layoutRequest(view(3), { n1: { x: 5, y: 6 }, gone: { x: 1, y: 1 } }, 7);
    expect(r.id).to.equal(7);
    expect(r.nodes).to.deep.equal(['n0', 'n1', 'n2'].map((id) => ({ id, w: NODE_BOX, h: NODE_BOX })));
    expect(r.edges.map((e) => `${e.source}-${e.target}`)).to.deep.equal(['n0-n1', 'n1-n2', 'n2-n0']);
    expect(r.fixed, 'positions of elements the lab no longer has are not held').to.deep.equal([{ nodeId: 'n1', position: { x: 5, y: 6 } }]);
    expect(fcoseOptions(401).quality).to.equal('draft');
    expect(fcoseOptions(400).quality).to.equal('default');
  });
});
