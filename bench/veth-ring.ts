/**
 * Benchmark: a ring of N veth pairs between N network namespaces, created in
 * place over one rtnetlink socket; then link-up + 2 addresses per namespace.
 *
 *   flock /tmp/netlab-kernel.lock node dist/bench/veth-ring.js [--n 1000] [--windows 1,2,4,8,16,32]
 *         [--sizes 250,500,1000] [--node-concurrency 16]
 *
 * Last, a star: N pairs with one end each in the same namespace, then a bridge
 * with all N ports (a big LAN segment).
 *
 * Namespaces are `unshare --net sleep` processes (their start-up is timed but is
 * not netlab's cost: nodes come from the container core). Prints one line per
 * measurement; everything is removed at the end (killing the processes frees
 * the namespaces and the veths in them).
 */
import { performance } from 'node:perf_hooks';
import { MAX_BRIDGE_PORTS, createBridge } from '../src/net/bridge.js';
import { configureNetns } from '../src/net/iface.js';
import { Rtnl } from '../src/net/rtnl.js';
import { defaultSysctls, writeSysctls } from '../src/net/sysctl.js';
import { createVeths, deleteVethEnds, type VethPair } from '../src/net/veth.js';
import { startNetns, stopNetns, type TestNetns } from '../test/integration/net-ns.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const N = Number(arg('n', '1000'));
const WINDOWS = arg('windows', '1,2,4,8,16,32').split(',').map(Number);
const SIZES = arg('sizes', '250,500,1000').split(',').map(Number).filter((s) => s <= N);
const NODE_CONC = Number(arg('node-concurrency', '16'));

const ms = (t0: number): string => `${(performance.now() - t0).toFixed(0)} ms`;
const mac = (i: number, side: number): string => {
  const b = [0x02, 0x42, side, (i >> 16) & 255, (i >> 8) & 255, i & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
};

/** The ring over the first `n` namespaces: pair i joins ns[i]:<a> and ns[i+1 mod n]:<b>. */
function ring(ns: TestNetns[], n: number, a = 'eth1', b = 'eth0'): VethPair[] {
  return Array.from({ length: n }, (_, i) => ({
    a: { netnsFd: ns[i].fd, node: ns[i].name, iface: a, mac: mac(i, 1), mtu: 1500 },
    b: { netnsFd: ns[(i + 1) % n].fd, node: ns[(i + 1) % n].name, iface: b, mac: mac(i, 2), mtu: 1500 },
  }));
}

async function timeRing(ns: TestNetns[], n: number, window: number): Promise<{ createMs: number; chunks: number[] }> {
  const host = Rtnl.open({ window });
  const pairs = ring(ns, n);
  const chunks: number[] = [];
  let last = performance.now();
  const t0 = performance.now();
  try {
    await createVeths(host, pairs, {
      onProgress: (done) => {
        if (done % Math.max(1, Math.floor(n / 4)) === 0) { chunks.push(performance.now() - last); last = performance.now(); }
      },
    });
  } finally { host.close(); }
  return { createMs: performance.now() - t0, chunks };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 2000));

/** Fresh namespaces for one measurement; killed (and the kernel given time to clean up) afterwards. */
async function withNamespaces<T>(n: number, fn: (ns: TestNetns[]) => Promise<T>): Promise<T> {
  const ns = await startNetns(Array.from({ length: n }, (_, i) => `n${i}`));
  try {
    return await fn(ns);
  } finally {
    await stopNetns(ns);
    await settle(); // namespace cleanup runs in a kernel worker and takes the RTNL lock
  }
}

async function main(): Promise<void> {
  console.log(`veth ring: N=${N}, windows ${WINDOWS.join(',')}, sizes ${SIZES.join(',')}, node ${process.version}`);

  for (const w of WINDOWS) {
    await withNamespaces(N, async (ns) => {
      try {
        const r = await timeRing(ns, N, w);
        console.log(`window ${String(w).padStart(3)}: create ${N} pairs ${r.createMs.toFixed(0)} ms (per quarter: ${r.chunks.map((c) => c.toFixed(0)).join('/')} ms)`);
      } catch (err) {
        console.log(`window ${String(w).padStart(3)}: FAILED: ${(err as Error).message}`);
      }
    });
  }

  for (const size of SIZES) {
    await withNamespaces(size, async (ns) => {
      const r = await timeRing(ns, size, 8);
      console.log(`size ${String(size).padStart(5)} (window 8): ${r.createMs.toFixed(0)} ms = ${(r.createMs / size * 1000).toFixed(0)} µs/pair`);
    });
  }

  await withNamespaces(N, async (ns) => {
    let t0 = performance.now();
    for (const n of ns) writeSysctls(n.fd, defaultSysctls('router'), n.name);
    console.log(`sysctl defaults (${Object.keys(defaultSysctls('router')).length} keys) in ${N} namespaces: ${ms(t0)}`);
    // The full path at window 8: ring, then per namespace lo/eth0/eth1 up + 2 addresses.
    const r = await timeRing(ns, N, 8);
    console.log(`ring before configuration (window 8): ${r.createMs.toFixed(0)} ms`);
    t0 = performance.now();
    const socks = ns.map((n) => Rtnl.open({ netnsFd: n.fd, label: `node ${n.name}` }));
    console.log(`open ${N} rtnetlink sockets inside the namespaces: ${ms(t0)}`);
    try {
      t0 = performance.now();
      let next = 0;
      // one /31 per link: link k is 10.(k >> 7).((k & 127) * 2).0/31; end a .0, end b .1
      const net = (k: number): string => `10.${(k >> 7) & 255}.${(k & 127) * 2}`;
      const worker = async (): Promise<void> => {
        while (next < N) {
          const i = next++;
          await configureNetns(socks[i], {
            up: ['eth0', 'eth1'],
            addresses: [{ iface: 'eth1', cidr: `${net(i)}.0/31` }, { iface: 'eth0', cidr: `${net((i + N - 1) % N)}.1/31` }],
            routes: [],
          }, ns[i].name);
        }
      };
      await Promise.all(Array.from({ length: NODE_CONC }, worker));
      console.log(`configure ${N} namespaces (1 dump, lo/eth0 up, 2 addresses each = ${2 * N}), ${NODE_CONC} at a time: ${ms(t0)}`);
    } finally { socks.forEach((s) => s.close()); }
    // Deleting links one by one, for comparison with killing the namespaces.
    const k = Math.min(100, N);
    t0 = performance.now();
    const left = await deleteVethEnds(ring(ns, N).slice(0, k).map((p) => p.a));
    console.log(`delete ${k} pairs one by one (RTM_DELLINK): ${ms(t0)}${left.length ? ` (${left.length} failed)` : ''}`);
  });

  // A star: every pair has one end in the same namespace — a hub router with N interfaces,
  // with IPv6 on and off (IPv6 makes every link event walk the namespace's routes) —
  // then the hub ends as a LAN segment bridge (IPv6 off, as netlab's segment namespace).
  const hubN = Math.min(N, MAX_BRIDGE_PORTS);
  for (const v6 of [true, false]) {
    await withNamespaces(hubN + 1, async (ns) => {
      const [hub, ...leaves] = ns;
      writeSysctls(hub.fd, { ...defaultSysctls('router'), 'net.ipv6.conf.all.disable_ipv6': v6 ? '0' : '1', 'net.ipv6.conf.default.disable_ipv6': v6 ? '0' : '1' }, 'hub');
      for (const n of leaves) writeSysctls(n.fd, defaultSysctls('host'), n.name);
      const host = Rtnl.open();
      const pairs: VethPair[] = leaves.map((n, i) => ({
        a: { netnsFd: n.fd, node: n.name, iface: 'eth0', mtu: 1500 },
        b: { netnsFd: hub.fd, node: 'hub', iface: `s${i}`, mtu: 1500 },
      }));
      const chunks: number[] = [];
      let last = performance.now();
      let t0 = performance.now();
      const quarter = Math.max(1, Math.floor(hubN / 4));
      try {
        await createVeths(host, pairs, { onProgress: (d) => { if (d % quarter === 0) { chunks.push(performance.now() - last); last = performance.now(); } } });
      } finally { host.close(); }
      console.log(`star, IPv6 ${v6 ? 'on ' : 'off'}: ${hubN} pairs into one namespace: ${ms(t0)} (per quarter: ${chunks.map((c) => c.toFixed(0)).join('/')} ms)`);
      const sock = Rtnl.open({ netnsFd: hub.fd, label: 'hub' });
      try {
        t0 = performance.now();
        await configureNetns(sock, { up: pairs.map((p) => p.b.iface), addresses: pairs.map((p, i) => ({ iface: p.b.iface, cidr: `10.${i >> 7}.${(i & 127) * 2}.0/31` })), routes: [] }, 'hub');
        console.log(`star, IPv6 ${v6 ? 'on ' : 'off'}: configure the hub (${hubN} interfaces up, ${hubN} addresses): ${ms(t0)}`);
      } finally { sock.close(); }
    });
  }
  await withNamespaces(hubN + 1, async (ns) => {
    const [seg, ...leaves] = ns;
    writeSysctls(seg.fd, defaultSysctls('segment'), 'segments');
    const host = Rtnl.open();
    const pairs: VethPair[] = leaves.map((n, i) => ({
      a: { netnsFd: n.fd, node: n.name, iface: 'eth0', mtu: 1500 },
      b: { netnsFd: seg.fd, node: 'segments', iface: `s${i}`, mtu: 1500 },
    }));
    try { await createVeths(host, pairs); } finally { host.close(); }
    const sock = Rtnl.open({ netnsFd: seg.fd, label: 'segments' });
    try {
      const t0 = performance.now();
      await createBridge(sock, { name: 'lan0', mtu: 1500, ports: pairs.map((p) => p.b.iface) }, 'segment lan0');
      console.log(`segment bridge with ${hubN} ports (create, enslave, up; IPv6 off): ${ms(t0)}`);
    } finally { sock.close(); }
  });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
