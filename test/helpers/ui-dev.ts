/**
 * `node dist/test/helpers/ui-dev.js [PORT]`: the web UI on a lab in memory
 * (test/helpers/ui-fake.ts), for working on the page without root or a lab.
 * Counters grow so that rates show; prints the URL.
 */
import { startUiServer } from '../../src/ui/server.js';
import { demoTopology, FakeBackend, FakeLab } from './ui-fake.js';

const lab = new FakeLab(demoTopology('demo'));
const server = await startUiServer({ backend: new FakeBackend(lab), port: Number(process.argv[2] ?? 0), lab: 'demo' });
setInterval(() => {
  for (const n of lab.topology.nodes) {
    for (const i of n.interfaces) {
      const k = `${n.name}:${i.name}`;
      const c = lab.counters.get(k) ?? { rx: 0, tx: 0 };
      lab.counters.set(k, { rx: c.rx + Math.round(Math.random() * 20_000), tx: c.tx + Math.round(Math.random() * 200_000) });
    }
  }
}, 500);
process.stdout.write(`${server.url}\n`);
