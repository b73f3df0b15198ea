/**
 * apply steps that run programs inside nodes: the kinds' daemons (FRR, BIRD,
 * a linux node's `cmd`) and the nodes' `exec` lines. They run after every link,
 * address and route exists.
 */
import { availableParallelism } from 'node:os';
import { execInNode } from '../core/enter.js';
import type { ExecOptions, ExecResult, NodeContext } from '../daemons/kind.js';
import { getKind } from '../daemons/registry.js';
import { NetlabError, shellWord } from '../errors.js';
import type { DaemonAction, ExecAction } from '../graph/actions.js';
import type { Node, Topology } from '../topology/types.js';
import { inWindow, type ApplyContext, type Step } from './apply.js';
import type { NodeRoot } from './images.js';
import { upperDirOf } from './steps-nodes.js';

/**
 * Nodes whose daemons start at once: one per core (os.availableParallelism,
 * at least 2). A router's start is CPU-bound (FRR's own initialisation), so a
 * wider window only queues on the cores and raises the load — on 2 cores,
 * window 8 ran a 400-router lab's load average to 220 (issue 20).
 */
export function daemonWindow(cores = availableParallelism()): number {
  return Math.max(2, cores);
}

/**
 * How long one node's start, and then its readiness, may take, ms: 60 s, plus
 * 0.1 s for every node whose daemons already run — their protocols (hellos,
 * flooding, SPF runs as each new router joins) share the cores with the
 * start, so the 1,000th router of a lab starts on a busier host than the
 * first. 1,024 routers: the last gets 162 s.
 */
export function daemonTimeoutMs(running: number): number {
  return READY_TIMEOUT_MS + 100 * running;
}

/** How long a node's daemons may take to start and to answer on a quiet host, ms. */
export const READY_TIMEOUT_MS = 60_000;

/**
 * A kind's view of a running node (src/daemons/kind.ts): exec inside it, and
 * its upper layer. Commands get the image's Env (when the node has an image),
 * overridden by the node's `env:`.
 */
export function nodeContext(lab: string, topology: Topology, node: Node, pid: number, root?: NodeRoot): NodeContext {
  const run = root?.run;
  return {
    lab,
    node,
    topology,
    upperDir: upperDirOf(lab, node.name),
    ...(run ? { run } : {}),
    exec: (argv: string[], opts?: ExecOptions & { cls?: string }): Promise<ExecResult> => execInNode({ lab, name: node.name, pid }, argv, { ...opts, env: { ...run?.env, ...node.env, ...opts?.env } }),
  };
}

function contextOf(ctx: ApplyContext, name: string): NodeContext {
  const t = ctx.plan.topology;
  const node = t.nodes.find((n) => n.name === name)!;
  const pid = ctx.running.get(name)!.pid;
  return nodeContext(ctx.plan.lab, t, node, pid, ctx.roots?.get(name));
}

const daemon: Step = async (ctx, actions, progress) => {
  let running = 0;
  await inWindow(actions as DaemonAction[], daemonWindow(), async (a) => {
    const kind = getKind(a.kind);
    const nctx = contextOf(ctx, a.node);
    const timeoutMs = daemonTimeoutMs(running);
    await kind.start(nctx, timeoutMs);
    await kind.ready(nctx, timeoutMs);
    running++;
    progress.step();
  }, ctx.signal);
};

const exec: Step = async (ctx, actions, progress) => {
  await inWindow(actions as ExecAction[], daemonWindow(), async (a) => {
    const nctx = contextOf(ctx, a.node);
    for (const [i, line] of a.lines.entries()) {
      const r = await nctx.exec(['/bin/sh', '-c', line]);
      if (r.code !== 0) {
        const said = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
        throw new NetlabError(`nodes.${a.node}.exec[${i}]`, `"${line}" exited with ${r.code}${said ? `: ${said}` : ''}`,
          `try it by hand: netlab exec ${a.node} -- sh -c ${shellWord(line)}${ctx.keepOnError ? '' : '  (netlab up --keep-on-error keeps the lab for that)'}`);
      }
    }
    progress.step();
  }, ctx.signal);
};

/** The steps that run programs in nodes, by action op. */
export const runSteps: Record<string, Step> = { daemon, exec };
