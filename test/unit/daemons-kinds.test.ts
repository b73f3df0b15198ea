import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMain } from '../../src/daemons/cmd.js';
import type { ExecOptions, NodeContext } from '../../src/daemons/kind.js';
import { writeNodeFiles } from '../../src/daemons/files.js';
import { frrStartScript, needsDryRun } from '../../src/daemons/frr.js';
import { detectDaemons } from '../../src/daemons/frr-daemons.js';
import { poll, PollTimeout } from '../../src/daemons/poll.js';
import { getKind, kindNames } from '../../src/daemons/registry.js';
import { NetlabError, TopologyError } from '../../src/errors.js';
import { loadTopology } from '../../src/lab/load.js';

describe('daemons: the kind registry', () => {
  it('knows linux, frr, bird and bridge', () => {
    expect(kindNames()).to.deep.equal(['bird', 'bridge', 'frr', 'linux']);
    for (const name of kindNames()) expect(getKind(name).facts.name).to.equal(name);
  });

  it('gives every kind that answers ospf_neighbors or bgp_sessions a routing-state reader, and no other kind one', () => {
    for (const name of kindNames()) {
      const k = getKind(name);
      const answers = k.facts.tests.ospf_neighbors !== undefined || k.facts.tests.bgp_sessions !== undefined;
      expect(k.routingState !== undefined, name).to.equal(answers);
    }
    expect(getKind('frr').routingState).to.not.equal(undefined);
    expect(getKind('linux').routingState).to.equal(undefined);
  });

  it('names the known kinds when asked for an unknown one', () => {
    expect(() => getKind('quagga', 'nodes.r1.kind')).to.throw(TopologyError, 'unknown kind "quagga"')
      .with.property('hint', 'known kinds: bird, bridge, frr, linux');
  });

  it('writes FRR files owned by frr with mode 0640, and frr.conf from the user\'s inline text unchanged', () => {
    const t = loadTopology({ text: 'name: f\nnodes: { r1: { kind: frr, config: { text: "router bgp 1\\n" } } }\nlinks: []\n' }, { env: {} });
    const files = getKind('frr').files(t.nodes[0]!, t);
    expect(files.map((f) => f.path)).to.deep.equal(['/etc/frr/daemons', '/etc/frr/frr.conf', '/etc/frr/vtysh.conf', '/etc/frr/zebra.conf', '/etc/frr/bgpd.conf', '/var/lib/frr', '/var/log/frr', '/var/tmp/frr']);
    for (const f of files.slice(0, 5)) expect([f.owner, f.group, f.mode]).to.deep.equal(['frr', 'frr', 0o640]);
    // FRR's state and log folders, owned by frr in the upper layer: the node's root (a user namespace) can make them its own
    for (const f of files.slice(5)) expect([f.directory, f.owner, f.group, f.mode]).to.deep.equal([true, 'frr', 'frr', 0o755]);
    expect(files[4]!.content).to.match(/^router bgp 1$/m); // bgpd's own part
    expect(files[1]!.content).to.equal('router bgp 1\n');
    expect(files[0]!.content).to.match(/^bgpd=yes$/m);
    expect(files[2]!.content).to.equal('service integrated-vtysh-config\n');
  });

  it('reports an unreadable config file as a TopologyError at the node\'s config', () => {
    const t = loadTopology({ text: 'name: f\nnodes: { r1: { kind: frr, config: nowhere.conf } }\nlinks: []\n' }, { env: {}, checkFiles: false });
    expect(() => getKind('frr').files(t.nodes[0]!, t)).to.throw(TopologyError).with.property('path', 'nodes.r1.config');
  });

  it('has no files and no daemon for linux and bridge nodes', () => {
    const t = loadTopology({ text: 'name: l\nnodes: { h1: {}, sw: { kind: bridge } }\nlinks: []\n' }, { env: {} });
    expect(getKind('linux').files(t.nodes[0]!, t)).to.deep.equal([]);
    expect(getKind('bridge').files(t.nodes[1]!, t)).to.deep.equal([]);
  });
});

describe('daemons: start scripts and background commands', () => {
  it('starts zebra first, then each daemon as frrcommon.sh would, then loads frr.conf with vtysh -b; no watchfrr', () => {
    const s = frrStartScript(detectDaemons('router bgp 1\nrouter ospf\n'), false);
    const order = ['ulimit -n 1024', 'install -d -o frr -g frr -m 0755 /run/frr /var/lib/frr /var/log/frr /var/tmp/frr', '/usr/lib/frr/zebra -d -F traditional --log file:/var/log/frr/frr.log -A 127.0.0.1 -s 90000000',
      '/usr/lib/frr/bgpd -d', '/usr/lib/frr/ospfd -d', 'vtysh -b'];
    const at = order.map((x) => s.indexOf(x));
    expect(at.every((i) => i >= 0), s).to.equal(true);
    expect([...at].sort((x, y) => x - y)).to.deep.equal(at);
    expect(s).not.to.contain('vtysh -C').and.not.contain('watchfrr').and.not.contain('staticd');
  });

  it('gives each daemon its own config with -f when frr.conf is split, and reads no config through vtysh', () => {
    const s = frrStartScript(detectDaemons('router ospf\n'), false, true);
    expect(s).to.contain('/usr/lib/frr/zebra -d -f /etc/frr/zebra.conf -F traditional').and.contain('/usr/lib/frr/ospfd -d -f /etc/frr/ospfd.conf -F traditional');
    expect(s).not.to.contain('vtysh');
    expect(s).to.contain("grep ' on config line ' /var/log/frr/frr.log");
  });

  it('checks frr.conf with vtysh -C before starting anything when asked to', () => {
    const s = frrStartScript(detectDaemons(''), true);
    expect(s.indexOf('vtysh -C -f /etc/frr/frr.conf')).to.be.within(0, s.indexOf('/usr/lib/frr/zebra -d'));
  });

  it('starts multi-instance OSPF as numbered ospfd instances', () => {
    const s = frrStartScript(detectDaemons('router ospf 2\n'), false);
    expect(s).to.contain('/usr/lib/frr/ospfd -d -F traditional --log file:/var/log/frr/frr.log -n 2 -A 127.0.0.1');
  });

  it('dry-runs user configs and generated ones with free-form options only', () => {
    const t = loadTopology({ text: 'name: d\nnodes:\n  a: { kind: frr, config: { text: "" } }\n  b: { kind: frr, ospf: { area: 0 } }\n  c: { kind: frr, ospf: { area: 0, options: { "log-adjacency-changes": true } } }\nlinks: []\n' }, { env: {} });
    expect(t.nodes.map(needsDryRun)).to.deep.equal([true, false, true]);
  });

  it('does not dry-run a user config in the node again when up checked it on the host (configChecked), and does on a restart', async () => {
    const t = loadTopology({ text: 'name: d\nnodes:\n  a: { kind: frr, config: { text: "router ospf\\n" } }\nlinks: []\n' }, { env: {} });
    const scripts: string[] = [];
    const ctx = (checked: boolean): NodeContext => ({
      lab: 'd', node: t.nodes[0]!, topology: t, upperDir: '/nonexistent', ...(checked ? { configChecked: true } : {}),
      exec: async (argv: string[]) => { if (argv[0] === '/bin/sh') scripts.push(argv[2]!); return { code: 0, stdout: '', stderr: '' }; },
    });
    await getKind('frr').start(ctx(true));
    await getKind('frr').start(ctx(false));
    expect(scripts.map((s) => s.includes('vtysh -C'))).to.deep.equal([false, true]);
    // The user's config has only lines with a known place: each daemon reads its part, no vtysh -b.
    expect(scripts.every((s) => s.includes('/usr/lib/frr/ospfd -d -f /etc/frr/ospfd.conf') && !s.includes('vtysh -b'))).to.equal(true);
  });

  it('starts cmd detached with /bin/sh -c, output appended to the node\'s /dev/console (PID 1 copies it into the console log)', async () => {
    const seen: { argv: string[]; opts?: ExecOptions }[] = [];
    const node = loadTopology({ text: 'name: d\nnodes:\n  a: { cmd: "python3 -m http.server 80" }\nlinks: []\n' }, { env: {} }).nodes[0]!;
    const ctx = { node, exec: async (argv: string[], opts?: ExecOptions) => { seen.push({ argv, opts }); return { code: 0, stdout: '', stderr: '' }; } } as unknown as NodeContext;
    await startMain(ctx);
    expect(seen[0]!.argv).to.deep.equal(['/bin/sh', '-c', 'python3 -m http.server 80']);
    expect(seen[0]!.opts).to.include({ detach: true, log: '/dev/console' });
  });

  it('runs an image\'s Entrypoint + Cmd as argv, in its WorkingDir and as its User, when the topology gives no cmd', async () => {
    const seen: { argv: string[]; opts?: ExecOptions }[] = [];
    const node = loadTopology({ text: 'name: d\nnodes:\n  a: {}\nlinks: []\n' }, { env: {} }).nodes[0]!;
    const run = { env: {}, argv: ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'], cwd: '/srv', user: { uid: 101, gid: 101, name: 'nginx' }, exposedPorts: [] };
    const ctx = { node, run, exec: async (argv: string[], opts?: ExecOptions) => { seen.push({ argv, opts }); return { code: 0, stdout: '', stderr: '' }; } } as unknown as NodeContext;
    await startMain(ctx);
    expect(seen[0]!.argv).to.deep.equal(run.argv);
    expect(seen[0]!.opts).to.deep.include({ detach: true, cwd: '/srv', user: run.user });
  });
});

describe('daemons: readiness polling', () => {
  it('returns as soon as a try reports done', async () => {
    let tries = 0;
    const v = await poll('x', 1000, async () => (++tries < 3 ? { done: false, seen: 'no' } : { done: true, value: 42 }));
    expect(v).to.equal(42);
    expect(tries).to.equal(3);
  });

  it('times out with what the last try saw', async () => {
    const started = Date.now();
    const err = await poll('FRR on r1', 80, async () => ({ done: false, seen: 'ospfd Down' })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PollTimeout);
    expect((err as Error).message).to.contain('FRR on r1: not ready after 0.1 s').and.contain('last seen: ospfd Down');
    expect(Date.now() - started).to.be.lessThan(400);
  });

  it('passes an error thrown by a try through at once', async () => {
    const err = await poll('x', 5000, async () => { throw new NetlabError('node r1', 'died'); }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NetlabError).with.property('message', 'died');
  });
});

describe('daemons: writing files into a node\'s upper layer', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'netlab-files-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const lower = (): string => {
    const root = join(dir, 'lower');
    mkdirSync(join(root, 'etc/frr'), { recursive: true, mode: 0o750 });
    writeFileSync(join(root, 'etc/passwd'), `root:x:0:0::/root:/bin/sh\nfrr:x:${uid}:${gid}::/nonexistent:/usr/sbin/nologin\n`);
    writeFileSync(join(root, 'etc/group'), `root:x:0:\nfrr:x:${gid}:\n`);
    return root;
  };

  it('writes content, mode and owner, and creates parent directories like the lower root\'s', () => {
    const upper = join(dir, 'upper');
    mkdirSync(upper);
    writeNodeFiles(upper, [{ path: '/etc/frr/frr.conf', content: 'hostname r1\n', mode: 0o640, owner: 'frr', group: 'frr' }], lower(), 'r1');
    const st = statSync(join(upper, 'etc/frr/frr.conf'));
    expect(readFileSync(join(upper, 'etc/frr/frr.conf'), 'utf8')).to.equal('hostname r1\n');
    expect(st.mode & 0o777).to.equal(0o640);
    expect([st.uid, st.gid]).to.deep.equal([uid, gid]);
    expect(statSync(join(upper, 'etc/frr')).mode & 0o777).to.equal(0o750);
  });

  it('names the node and the missing user when the lower root does not know the owner', () => {
    const upper = join(dir, 'upper');
    mkdirSync(upper);
    expect(() => writeNodeFiles(upper, [{ path: '/etc/bird/bird.conf', content: '', owner: 'bird' }], lower(), 'b1'))
      .to.throw(NetlabError, /should belong to "bird"/).with.property('where', 'node b1');
  });
});
