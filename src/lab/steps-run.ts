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
import type { DaemonAction, ExecAction, HealthAction, StartupAction } from '../graph/actions.js';
import { startCmd } from '../daemons/cmd.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node, Topology } from '../topology/types.js';
import { inWindow, throwIfAborted, type ApplyContext, type Step } from './apply.js';
import type { NodeRoot } from './images.js';
import { upperDirOf } from './steps-nodes.js';

/**
 * Nodes whose daemons start at once: one more than the cores
 * (os.availableParallelism; at least 2). A router's start is mostly CPU
 * (FRR's own initialisation), so a much wider window only queues on the
 * cores and raises the load — on 2 cores, window 8 ran a 400-router lab's
 * load average to 220 (issue 20) — but it also waits (each daemon's `-d`
 * handshake, vtysh connecting): one node more than the cores fills those
 * gaps. containerlab's frr01 (3 routers, 2 cores): daemons 741 → ~560 ms with
 * window 3 and no repeated config check (docs/performance.md).
 */
export function daemonWindow(cores = availableParallelism()): number {
  return Math.max(2, cores + 1);
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
export function nodeContext(lab: string, topology: Topology, node: Node, pid: number, root?: NodeRoot, warn?: (text: string) => void): NodeContext {
  const run = root?.run;
  return {
    lab,
    node,
    topology,
    ...(warn ? { warn } : {}),
    upperDir: upperDirOf(lab, node.name),
    ...(run ? { run } : {}),
    exec: (argv: string[], opts?: ExecOptions & { cls?: string }): Promise<ExecResult> => execInNode({ lab, name: node.name, pid }, argv, { ...opts, env: { ...run?.env, ...node.env, ...opts?.env } }),
  };
}

function contextOf(ctx: ApplyContext, name: string): NodeContext {
  const t = ctx.plan.topology;
  const node = t.nodes.find((n) => n.name === name)!;
  const pid = ctx.running.get(name)!.pid;
  const root = ctx.roots?.get(name);
  // up ran the kind's check on the host for every node without a root of its own (src/lab/up.ts).
  return { ...nodeContext(ctx.plan.lab, t, node, pid, root, ctx.warn), ...(root || node.rootfs !== undefined ? {} : { configChecked: true }) };
}

const daemon: Step = async (ctx, actions, progress) => {
  let running = 0;
  await inWindow(actions as DaemonAction[], daemonWindow(), async (a) => {
    const nctx = contextOf(ctx, a.node);
    if (a.autostart === false) {
      // The daemons start when the node asks (systemctl start …, compat); only cmd now.
      await startCmd(nctx);
      progress.step();
      return;
    }
    const kind = getKind(a.kind);
    const timeoutMs = daemonTimeoutMs(running);
    const started = await kind.start(nctx, timeoutMs);
    await kind.ready(nctx, timeoutMs, started);
    running++;
    progress.step();
  }, ctx.signal);
};

/** Last lines of a command's output, for a message. */
function tail(r: ExecResult, lines = 3): string {
  return (r.stderr || r.stdout).trim().split('\n').slice(-lines).join(' | ');
}

/**
 * Polls each node's healthcheck until it passes: failures during the start
 * period do not count, then `retries` failures make `up` fail (naming the
 * node, the command and what it said), as Docker's healthcheck would mark
 * the container unhealthy.
 */
const health: Step = async (ctx, actions, progress) => {
  await inWindow(actions as HealthAction[], daemonWindow(), async (a) => {
    const nctx = contextOf(ctx, a.node);
    const { test, intervalMs, timeoutMs, startPeriodMs, retries } = a.check;
    const started = Date.now();
    let failures = 0;
    for (;;) {
      const r = await nctx.exec(['/bin/sh', '-c', test], { timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      if (r.code === 0) break;
      throwIfAborted(ctx.signal);
      if (Date.now() - started >= startPeriodMs && ++failures >= retries) {
        const said = tail(r);
        throw new NetlabError(`nodes.${a.node}.healthcheck`, `${a.node} is not healthy: "${test}" failed ${failures} times (last: ${r.code === 137 ? `no answer within ${timeoutMs} ms` : `exit ${r.code}`}${said ? `: ${said}` : ''})`,
          `try it by hand: netlab exec ${a.node} -- sh -c ${shellWord(test)}`);
      }
      await sleep(intervalMs);
    }
    progress.step();
  }, ctx.signal);
};

/**
 * Runs each node's startup scripts in order (their #! line, else /bin/bash, as
 * Kathará runs a device's startup file), output appended to
 * /var/log/startup.log in the node. A script that fails is a warning, not an
 * error: the lab is up, as in Kathará.
 */
const startup: Step = async (ctx, actions, progress) => {
  await inWindow(actions as StartupAction[], daemonWindow(), async (a) => {
    const nctx = contextOf(ctx, a.node);
    for (const path of a.scripts) {
      const r = await nctx.exec(['/bin/sh', '-c', STARTUP_RUNNER, path], { timeoutMs: STARTUP_TIMEOUT_MS });
      if (r.code !== 0) {
        ctx.warn?.(`${a.node}: ${path} ${r.code === 137 ? `did not end within ${STARTUP_TIMEOUT_MS / 1000} s and was stopped` : `exited with ${r.code}`}; see netlab exec ${a.node} -- cat /var/log/startup.log`);
      }
    }
    progress.step();
  }, ctx.signal);
};

/** Runs the script $0: by its #! line, else with bash (or sh), appending its output (with each command, as set -x shows it) to /var/log/startup.log. */
export const STARTUP_RUNNER = 'mkdir -p /var/log; { echo "--- $0"; if head -c2 "$0" | grep -q "^#!"; then "$0"; else sh=/bin/bash; [ -x $sh ] || sh=/bin/sh; $sh -x "$0"; fi; } >>/var/log/startup.log 2>&1';

/** How long one startup script may run, ms. */
export const STARTUP_TIMEOUT_MS = 300_000;

/**
 * Runs a node's exec lines ($1…) in one shell, each line in a `/bin/sh -c` of
 * its own (as separate `docker exec`s would: no variable or `cd` carries over),
 * stdin /dev/null, one after the other. Before line i it writes RS i RS to
 * stdout and to stderr, after it RS = code RS to stdout (RS = \x1e, ASCII's
 * record separator), so that one netlab-enter per node (~17 ms of process
 * start each) yields every line's own output and exit code. With $0 = stop it
 * ends at the first failing line; with $0 = warn it goes on.
 */
export const EXEC_RUNNER = 'i=0; for l do printf "\\036%s\\036" $i; printf "\\036%s\\036" $i >&2; /bin/sh -c "$l"; c=$?; printf "\\036=%s\\036" $c; [ $c -ne 0 ] && [ "$0" = stop ] && exit 0; i=$((i+1)); done; exit 0';

/** One exec line's result, as EXEC_RUNNER reported it. */
export interface ExecLineResult { index: number; code: number; stdout: string; stderr: string }

/**
 * Splits EXEC_RUNNER's output into each line's result (pure). A line whose end
 * mark is missing (the runner itself was killed, or the line killed it) gets
 * `fallbackCode`, the runner's own exit code; lines that never started are left out.
 */
export function parseExecRun(stdout: string, stderr: string, fallbackCode: number): ExecLineResult[] {
  const errs = new Map<number, string>();
  for (const m of stderr.matchAll(/\x1e(\d+)\x1e([^\x1e]*)/g)) errs.set(Number(m[1]), m[2]!);
  const out: ExecLineResult[] = [];
  for (const m of stdout.matchAll(/\x1e(\d+)\x1e([^\x1e]*)(?:\x1e=(\d+)\x1e)?/g)) {
    const index = Number(m[1]);
    out.push({ index, code: m[3] !== undefined ? Number(m[3]) : (fallbackCode || 1), stdout: m[2]!, stderr: errs.get(index) ?? '' });
  }
  return out;
}

const exec: Step = async (ctx, actions, progress) => {
  await inWindow(actions as ExecAction[], daemonWindow(), async (a) => {
    const nctx = contextOf(ctx, a.node);
    const r = await nctx.exec(['/bin/sh', '-c', EXEC_RUNNER, a.errors === 'warn' ? 'warn' : 'stop', ...a.lines]);
    const results = parseExecRun(r.stdout, r.stderr, r.code);
    // No mark at all: the runner did not start (no /bin/sh in the node): its failure is the first line's.
    if (results.length === 0 && r.code !== 0) results.push({ index: 0, code: r.code, stdout: r.stdout, stderr: r.stderr });
    for (const res of results) {
      if (res.code === 0) continue;
      const i = res.index;
      const line = a.lines[i]!;
      const said = tail({ code: res.code, stdout: res.stdout, stderr: res.stderr });
      if (a.errors === 'warn') {
        ctx.warn?.(`nodes.${a.node}.exec[${i}]: "${line}" exited with ${res.code}${said ? `: ${said}` : ''} (going on, as containerlab and Kathará do)`);
        continue;
      }
      throw new NetlabError(`nodes.${a.node}.exec[${i}]`, `"${line}" exited with ${res.code}${said ? `: ${said}` : ''}`,
        `try it by hand: netlab exec ${a.node} -- sh -c ${shellWord(line)}${ctx.keepOnError ? '' : '  (netlab up --keep-on-error keeps the lab for that)'}`);
    }
    progress.step();
  }, ctx.signal);
};

/** The steps that run programs in nodes, by action op. */
export const runSteps: Record<string, Step> = { daemon, health, startup, exec };
