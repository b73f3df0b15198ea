/**
 * A child process that judges generated inputs one at a time (see runner.ts):
 * it imports the subject (loadTopology and plan from the URLs in its argument),
 * then for every index it receives generates the input, writes it and sends a
 * Verdict. A child can be killed in the middle of a hang, which an in-process
 * loop could not.
 */
import { generateOne } from './generator.js';
import { judge, materialise, type Subject } from './oracle.js';

interface Data { seed: number; dir: string; topologyUrl: string; planUrl: string }

const data = JSON.parse(process.argv[2]!) as Data;
const topology = await import(data.topologyUrl) as { loadTopology: Subject['loadTopology']; kindCatalog?: () => unknown };
const planner = await import(data.planUrl) as { plan: (t: never, kinds?: unknown) => unknown; formatPlan?: Subject['formatPlan'] };
// The planner is given the kinds' facts by whoever loads (src/lab/load.ts exports them); an older build's ignores them.
const kinds = topology.kindCatalog?.();
const subject: Subject = { loadTopology: topology.loadTopology, plan: (t) => planner.plan(t, kinds), ...(planner.formatPlan ? { formatPlan: planner.formatPlan } : {}) };

process.on('message', (index: number) => {
  const input = generateOne(data.seed, index);
  const file = materialise(input, data.dir);
  process.send!(judge(subject, input, file));
});
process.send!('ready');
