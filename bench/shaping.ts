/**
 * How long shaping takes on many interfaces: apply a rate (tbf), change it in
 * place, rebuild as an htb tree with node classes, read it back, remove it.
 * One throw-away namespace (`unshare --net`) with N veth pairs; root; run it
 * under the shared lock:
 *
 *   flock /tmp/netlab-kernel.lock node dist/bench/shaping.js [N=200] [WINDOW=8]
 *
 * WINDOW is how many interfaces are worked on at once over the one socket.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { closeNetns, openNetns } from '../src/core/netns.js';
import { listLinks } from '../src/net/iface.js';
import { Rtnl } from '../src/net/rtnl.js';
import { applyShaping } from '../src/shaping/apply.js';
import { planClasses } from '../src/shaping/classes.js';
import { readShaping } from '../src/shaping/read.js';

const n = Number(process.argv[2] ?? 200);
const window = Number(process.argv[3] ?? 8);

async function pool<T>(items: T[], size: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function main(): Promise<void> {
  const child = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
  const mine = readlinkSync('/proc/self/ns/net');
  for (;;) {
    try { if (readlinkSync(`/proc/${child.pid}/ns/net`) !== mine) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 5));
  }
  const fd = openNetns(child.pid!, 'bench namespace');
  const rtnl = Rtnl.open({ netnsFd: fd, label: 'bench namespace' });
  try {
    const batch = Array.from({ length: n }, (_, i) => `link add sb${i}a type veth peer name sb${i}b`).join('\n') + '\n';
    execFileSync('nsenter', [`--net=/proc/${child.pid}/ns/net`, 'ip', '-batch', '-'], { input: batch });
    const links = [...(await listLinks(rtnl)).values()];
    const ifs = links.filter((l) => /^sb\d+a$/.test(l.name)).map((l) => ({ ifindex: l.ifindex, label: l.name }));
    const classes = planClasses({ bulk: { rateBps: 1e6 }, interactive: { rateBps: 2e6, prio: 0 } });
    const phases: [string, (i: { ifindex: number; label: string }) => Promise<unknown>][] = [
      ['apply rate (tbf)', (i) => applyShaping(rtnl, i.ifindex, { rateBps: 10e6 }, i.label, { mtu: 1500 })],
      ['change rate in place', (i) => applyShaping(rtnl, i.ifindex, { rateBps: 20e6 }, i.label, { mtu: 1500 })],
      ['rebuild with 2 classes (htb+tbf)', (i) => applyShaping(rtnl, i.ifindex, { rateBps: 20e6 }, i.label, { mtu: 1500, classes })],
      ['read back', (i) => readShaping(rtnl, i.ifindex)],
      ['remove', (i) => applyShaping(rtnl, i.ifindex, {}, i.label, { mtu: 1500, classes: [] })],
    ];
    console.log(`${ifs.length} interfaces, ${window} at a time`);
    for (const [name, fn] of phases) {
      const t0 = performance.now();
      await pool(ifs, window, fn);
      const ms = performance.now() - t0;
      console.log(`${name.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / ifs.length).toFixed(2)} ms/interface`);
    }
  } finally {
    rtnl.close();
    closeNetns(fd);
    child.kill('SIGKILL');
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
