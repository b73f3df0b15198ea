/**
 * `reach`: ping from a node (iputils ping(8)): replies mean reachable.
 * On a failure the node's own route lookup for the target (`ip route get`)
 * goes into the detail, so the report shows where the packets would go.
 */
import type { ReachTest } from '../topology/types.js';
import { CheckError } from './errors.js';
import { firstLine, labelAddress, tail } from './labels.js';
import type { Check, Observation } from './types.js';

/** Seconds between echo requests: iputils' minimum for an unprivileged user. */
export const PING_INTERVAL_S = 0.2;

/** Counts from ping's summary line, or undefined when it printed none. */
export interface PingSummary {
  transmitted: number;
  received: number;
  /** "+3 errors" (ICMP errors such as Destination Host Unreachable). */
  errors: number;
  lossPercent: number;
  /** Average round-trip time, ms, when any reply came. */
  avgMs?: number;
}

/**
 * Parses iputils ping output: "3 packets transmitted, 2 received, +1 errors,
 * 33.3333% packet loss, time 402ms" and "rtt min/avg/max/mdev = a/b/c/d ms".
 */
export function parsePing(out: string): PingSummary | undefined {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) errors)?(?:, \+\d+ duplicates)?, ([\d.]+)% packet loss/.exec(out);
  if (!m) return undefined;
  const s: PingSummary = { transmitted: Number(m[1]), received: Number(m[2]), errors: Number(m[3] ?? 0), lossPercent: Number(m[4]) };
  const rtt = /(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = [\d.]+\/([\d.]+)\//.exec(out);
  if (rtt) s.avgMs = Number(rtt[1]);
  return s;
}

/** argv of the ping a reach test runs. */
export function pingArgv(t: ReachTest): string[] {
  const waitS = Math.max(t.timeoutMs / 1000, 0.001);
  return ['ping', `-${t.family}`, '-n', '-c', String(t.count), '-i', String(PING_INTERVAL_S), '-W', String(Number(waitS.toFixed(3))), t.address];
}

export const checkReach: Check<ReachTest> = async (t, ctx) => {
  const target = t.toNode && t.toNode !== t.to ? `${t.address} (${t.to})` : labelAddress(ctx.topology, t.address);
  const expected = t.expect === 'fail' ? `no reply from ${target} (expect: fail)` : `replies from ${target}`;
  const hardLimitMs = Math.ceil(t.count * PING_INTERVAL_S * 1000 + t.timeoutMs + 2000);
  const r = await ctx.exec(t.from, pingArgv(t), { timeoutMs: hardLimitMs });
  if (r.code !== 0 && r.code !== 1 && r.code !== 2) {
    throw new CheckError(r.code === 127 ? `ping is not installed in ${t.from}` : `ping exited with ${r.code}: ${firstLine(r.stderr || r.stdout)}`);
  }
  const s = parsePing(r.stdout);
  const replied = r.code === 0;
  let seen: string;
  if (s) {
    seen = `${s.received} of ${s.transmitted} replies (${Number(s.lossPercent.toFixed(1))}% loss${s.errors ? `, ${s.errors} ICMP errors` : ''})`;
    if (s.avgMs !== undefined) seen += `, rtt avg ${s.avgMs} ms`;
    const icmp = /^From (\S+) icmp_seq=\d+ (.+)$/m.exec(r.stdout);
    if (icmp && !replied) seen += `: ${labelAddress(ctx.topology, icmp[1]!)} says ${icmp[2]}`;
  } else {
    seen = `no reply: ${firstLine(r.stderr || r.stdout) || `ping exited with ${r.code}`}`;
  }
  const ok = t.expect === 'fail' ? !replied : replied;
  const obs: Observation = { ok, expected, seen, detail: tail(`${r.stdout}${r.stderr}`.replace(/\n\s*\n/g, '\n'), 12) };
  if (!ok && t.expect === 'success') {
    const route = await ctx.exec(t.from, ['ip', `-${t.family}`, 'route', 'get', t.address], { timeoutMs: 5000 }).catch(() => undefined);
    if (route) obs.detail = `${obs.detail}\n${t.from}$ ip -${t.family} route get ${t.address}\n${(route.stdout || route.stderr).trim()}`;
  }
  return obs;
};
