/**
 * The management network's NAT: one nftables table per lab, in the host's
 * namespace, holding only netlab's masquerade rule — so removing the lab removes
 * exactly that table and nothing of the host's own firewall.
 *
 * `nft` (nftables ≥ 0.9) runs as a subprocess: once per lab on `up` and on
 * `down`, never on the hot path. The table is made with `create table` inside
 * one transaction (`nft -f`), which fails as a whole when a table of that name
 * already exists; the kernel's handle for it (`--echo --handle`) is recorded,
 * and removal deletes by that handle only after checking the name still has it.
 */
import { spawnSync } from 'node:child_process';
import { KernelError, TopologyError } from '../errors.js';

/** A table netlab created. */
export interface NftTableRecord {
  kind: 'nftTable';
  family: 'ip';
  name: string;
  /** The kernel's handle of the table, from `nft --echo --handle`. */
  handle: number;
}

/** `netlab_<lab>`: the table name for a lab. @throws TopologyError for a lab name nft cannot take unquoted. */
export function natTableName(lab: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(lab)) {
    throw new TopologyError('name', `lab name "${lab}" cannot name an nftables table`, 'use letters, digits, "-", "_" and "."');
  }
  return `netlab_${lab}`;
}

/** The nft script creating the NAT table (pure). `subnet` is the IPv4 prefix, `bridge` the mgmt bridge. */
export function natScript(table: string, subnet: string, bridge: string): string {
  return [
    `create table ip ${table}`,
    `add chain ip ${table} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add rule ip ${table} postrouting ip saddr ${subnet} oifname != "${bridge}" masquerade`,
    '',
  ].join('\n');
}

function nft(args: string[], input?: string): { status: number; out: string; err: string } {
  const r = spawnSync('nft', args, { input, encoding: 'utf8', timeout: 20000 });
  if (r.error) {
    throw new KernelError('nftables', `run nft ${args.join(' ')}`, Math.abs((r.error as NodeJS.ErrnoException).errno ?? 2), '',
      'install nftables (the nft command) for the management network\'s NAT');
  }
  return { status: r.status ?? 1, out: r.stdout ?? '', err: (r.stderr ?? '').trim() };
}

/**
 * Creates table `ip <table>` with a masquerade rule for `subnet` leaving by any
 * interface but `bridge`.
 * @throws KernelError('nft table ip <table>', 'create', EEXIST) when the table exists
 *   (another lab of that name, or the user's) — it is not touched; other refusals with nft's message.
 */
export function createNatTable(table: string, subnet: string, bridge: string): NftTableRecord {
  const r = nft(['--echo', '--handle', '-f', '-'], natScript(table, subnet, bridge));
  if (r.status !== 0) {
    const exists = /exists/i.test(r.err);
    throw new KernelError(`nft table ip ${table}`, 'create', exists ? 17 : 22, '',
      exists ? `the host already has an nftables table "${table}"; netlab leaves it alone. Is the lab already up? netlab down removes it. `
        + `If no lab of that name runs (netlab status) and down leaves the table (a lab whose run folder was deleted leaves no record of it): nft delete table ip ${table}`
        : r.err.split('\n')[0]);
  }
  const m = new RegExp(`^create table ip ${table.replace(/[.]/g, '\\.')} # handle (\\d+)`, 'm').exec(r.out);
  if (!m) throw new KernelError(`nft table ip ${table}`, 'create', 22, '', `nft did not report a handle: ${r.out.split('\n')[0]}`);
  return { kind: 'nftTable', family: 'ip', name: table, handle: Number(m[1]) };
}

/** The handle of table `ip <name>` now, or undefined when there is none. */
export function natTableHandle(name: string): number | undefined {
  const r = nft(['--handle', 'list', 'table', 'ip', name]);
  if (r.status !== 0) return undefined;
  const m = /# handle (\d+)/.exec(r.out.split('\n')[0] ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Deletes a recorded table if, and only if, a table of that name still has the
 * recorded handle. @returns 'removed', 'gone' or a reason it was left alone.
 */
export function removeNatTable(rec: NftTableRecord): string {
  const now = natTableHandle(rec.name);
  if (now === undefined) return 'gone';
  if (now !== rec.handle) return `left alone: table ${rec.name} now has handle ${now}, not ${rec.handle} (not the one netlab made)`;
  const r = nft(['delete', 'table', 'ip', 'handle', String(rec.handle)]);
  if (r.status !== 0) throw new KernelError(`nft table ip ${rec.name}`, 'delete', 1, '', r.err.split('\n')[0]);
  return 'removed';
}

/** Names of the ip-family tables whose names start with `netlab_` (other labs' NAT). */
export function netlabNatTables(): string[] {
  const r = nft(['list', 'tables', 'ip']);
  if (r.status !== 0) return [];
  return r.out.split('\n').map((l) => /^table ip (netlab_\S+)/.exec(l.trim())?.[1]).filter((x): x is string => !!x);
}
