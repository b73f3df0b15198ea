/**
 * kind: bridge — an L2 switch node: a Linux bridge inside the node (name in
 * `node.bridge`, 'br0' by default) with every interface of the node enslaved.
 * The applier creates it from the plan's `bridge` action (src/graph/plan.ts,
 * phase "bridges", after the links: STP off, up, the smallest MTU of its
 * ports) and enslaves the node's veth ends to it. The kind runs no daemon;
 * ready() checks that the bridge is administratively up.
 */
import { NetlabError } from '../errors.js';
import { startCmd } from './cmd.js';
import type { Kind, NodeContext } from './kind.js';
import { poll, PollTimeout } from './poll.js';

const MiB = 1024 ** 2;

export const bridge: Kind = {
  facts: {
    name: 'bridge',
    summary: 'an L2 switch (a Linux bridge inside the node)',
    router: false,
    daemon: false,
    switch: true,
    shape: 'host',
    color: '#7d7d7d',
    tests: {},
    doctor: [],
    requires: [{ program: 'ip', package: 'iproute2' }],
    memoryBytes: MiB, // measured: docs/performance.md (bench/kind-memory.ts)
    noun: ['bridge node', 'bridge nodes'],
  },
  files: () => [],
  start: startCmd,

  async ready(ctx: NodeContext, timeoutMs: number): Promise<void> {
    const br = ctx.node.bridge ?? 'br0';
    try {
      await poll(`bridge ${br} on ${ctx.node.name}`, timeoutMs, async () => {
        const r = await ctx.exec(['ip', '-j', 'link', 'show', 'dev', br], { timeoutMs: 5000 });
        if (r.code !== 0) return { done: false, seen: r.stderr.trim() };
        const [link] = JSON.parse(r.stdout) as { flags?: string[] }[];
        return link?.flags?.includes('UP') ? { done: true, value: undefined } : { done: false, seen: `flags ${link?.flags?.join(',') ?? '?'}` };
      });
    } catch (err) {
      if (!(err instanceof PollTimeout)) throw err;
      throw new NetlabError(`node ${ctx.node.name}`, err.message, 'netlab status shows the node\'s interfaces');
    }
  },

  async health(ctx: NodeContext) {
    const br = ctx.node.bridge ?? 'br0';
    const r = await ctx.exec(['ip', '-j', 'link', 'show', 'dev', br], { timeoutMs: 5000 });
    const up = r.code === 0 && ((JSON.parse(r.stdout) as { flags?: string[] }[])[0]?.flags ?? []).includes('UP');
    return [{ daemon: `bridge ${br}`, running: up, detail: up ? 'up' : r.code === 0 ? 'down' : r.stderr.trim() }];
  },
};
