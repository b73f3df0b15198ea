/**
 * Where a lab lives on the host (docs/decisions.md, "Names on the host"), and
 * the one check every path netlab builds from a name goes through before
 * anything there is removed, written or opened (`pathInside`).
 *
 * A lab name comes from the user (`--name`, a file's `name:`, `LAB`, `--lab`,
 * the library API) or is read back from the run folder; every function here
 * that takes one refuses a name that breaks the rule `up` uses
 * (src/topology/names.ts checkLabName: a letter or digit, then letters, digits, - or _,
 * at most 32 bytes — so no `/`, `.`, `..` or NUL can reach a path).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { lstatSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetlabError, UsageError } from '../errors.js';
import { isRootless } from '../core/rootless.js';
import { checkLabName } from '../topology/names.js';

/** The run folder of the calls made inside `inRunRoot` (and everything they start, across awaits). */
const scopedRunRoot = new AsyncLocalStorage<string>();

/**
 * Runs `fn` with runRoot() answering `root` for every call it makes, also
 * after its awaits (node:async_hooks AsyncLocalStorage), without touching
 * process.env: two calls for two owners may run at once (the web UI's
 * teacher view reads several users' labs concurrently). Child processes do
 * not see it (they get NETLAB_RUN_DIR from the environment, if at all).
 */
export function inRunRoot<T>(root: string, fn: () => T): T {
  return scopedRunRoot.run(resolve(root), fn);
}

/**
 * Root of all run directories: the folder of an enclosing `inRunRoot`, else
 * $NETLAB_RUN_DIR (made absolute), else /run/netlab.
 * A rootless netlab (docs/rootless.md) is given NETLAB_RUN_DIR by
 * netlab-rootless: <base>/run, a tmpfs of the user's own, where <base> is
 * $XDG_RUNTIME_DIR/netlab or ~/.cache/netlab.
 */
export function runRoot(): string {
  return scopedRunRoot.getStore() ?? resolve(process.env.NETLAB_RUN_DIR || '/run/netlab');
}

/**
 * `name` when it is a valid lab name (checkLabName, the rule `up` uses).
 * `where` says where the name came from, for the error: `--name`, `name`,
 * `LAB`, `--lab`, `Lab.open`.
 * @throws UsageError (exit 2) `<where>: lab name "../x" contains a dot` with a hint.
 */
export function requireLabName(name: unknown, where = 'lab name'): string {
  const p = checkLabName(name);
  if (p) throw new UsageError(where, p.what, p.hint);
  return name as string;
}

/** True when `name` is a valid lab name: names read back from the host (readdir, cgroups) that are not are skipped. */
export function isLabName(name: string): boolean {
  return checkLabName(name) === undefined;
}

/** Options of pathInside. */
export interface PathInsideOptions {
  /**
   * The last part may be a symbolic link (it is created, read or removed as a
   * link, never followed: the `ip netns` names). Default false: a link there is refused too.
   */
  leafMayBeLink?: boolean;
}

/**
 * `root/parts[0]/parts[1]/…`, checked to lie inside `root` before anything is
 * removed, written or opened there. General (the run folder, /run/netns, an
 * image store): `root` is trusted (netlab's own folder; it may itself be a
 * link, e.g. /run → /var/run), the parts are not.
 *
 * - every part is one non-empty path component: not `.` or `..`, no `/`, no NUL;
 * - the resolved path is strictly below `root` (never `root` itself);
 * - no existing component below `root` is a symbolic link (lstat(2), one per
 *   existing level), so a link planted in netlab's folder cannot send a write
 *   or a recursive remove elsewhere; the last part may be one only with
 *   `leafMayBeLink`. Components that do not exist yet are fine (they are about
 *   to be created).
 *
 * Costs one lstat per existing level (a few µs); nothing is created.
 * @throws UsageError (exit 2) for a part that is not one plain component (a
 *   name that escaped its own check); NetlabError (exit 1) for a symbolic link
 *   in the way, naming it.
 */
export function pathInside(root: string, parts: readonly string[], opts: PathInsideOptions = {}): string {
  const base = resolve(root);
  for (const p of parts) {
    if (typeof p !== 'string' || p === '' || p === '.' || p === '..' || p.includes('/') || p.includes('\0')) {
      throw new UsageError(JSON.stringify(p), `is not a plain name for a path inside ${base}`, 'names netlab puts in paths are letters, digits, - and _');
    }
  }
  const path = join(base, ...parts);
  const rel = relative(base, path);
  if (!parts.length || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UsageError(path, `is not inside ${base}`, 'netlab only touches paths inside its own folders');
  }
  let at = base;
  for (let i = 0; i < parts.length; i++) {
    at = join(at, parts[i]!);
    let isLink: boolean;
    try {
      isLink = lstatSync(at).isSymbolicLink();
    } catch {
      break; // does not exist: nothing below it does either
    }
    if (isLink && !(opts.leafMayBeLink && i === parts.length - 1)) {
      throw new NetlabError(at, 'is a symbolic link inside netlab\'s folder; netlab does not follow it',
        `something other than netlab put it there: look at it (ls -l ${at}) and remove it`);
    }
  }
  return path;
}

/**
 * /run/netlab/.ip_forward: present while host forwarding is on because a lab's
 * management network switched it on; holds the value before (src/net/mgmt-network.ts).
 * Dot-named, so it is never taken for a lab.
 */
export function forwardingMarker(): string {
  return join(runRoot(), '.ip_forward');
}

/**
 * `/run/netlab/<lab>/<parts…>`, checked (requireLabName, then pathInside).
 * @throws UsageError for a bad lab name or part; NetlabError for a symbolic link in the way.
 */
export function labPath(lab: string, ...parts: string[]): string {
  return pathInside(runRoot(), [requireLabName(lab), ...parts]);
}

/** /run/netlab/<lab>, checked (labPath). */
export function labDir(lab: string): string {
  return labPath(lab);
}

/** The State file of a lab, checked (labPath). */
export function stateFile(lab: string): string {
  return labPath(lab, 'state.json');
}

/** /run/netlab/<lab>/nodes/<node>: upper, work and root of the node's overlay, its console log; checked (labPath). */
export function nodeDir(lab: string, node: string): string {
  return labPath(lab, 'nodes', node);
}

/**
 * Where the `ip netns` names of nodes go: /run/netns, the folder `ip netns`
 * reads (ip-netns(8)); in a rootless netlab, which may not write there,
 * `<run root>/.netns` (dot-named: never taken for a lab). Decided here only.
 */
export function netnsDir(): string {
  return isRootless() ? join(runRoot(), '.netns') : '/run/netns';
}

/**
 * `/run/netns/<lab>.<node>`: a symlink to the node's /proc/PID/ns/net, so `ip
 * netns exec` works; checked (a valid lab name, one component, no link in the way but itself).
 */
export function netnsLink(lab: string, node: string): string {
  return pathInside(netnsDir(), [`${requireLabName(lab)}.${node}`], { leafMayBeLink: true });
}

/** `/run/netlab/.locks`: one lock file per lab that a command is changing (src/lab/lock.ts). */
export function lockFile(lab: string): string {
  return pathInside(runRoot(), ['.locks', `${requireLabName(lab)}.lock`]);
}

/** `/run/netns/<name_prefix><node>`: the extra `ip netns` name of a node of a lab with `name_prefix:` (containerlab's clab-<lab>-<node>). */
export function netnsAlias(prefix: string, node: string): string {
  return pathInside(netnsDir(), [`${prefix}${node}`], { leafMayBeLink: true });
}

/**
 * compat/ of this checkout (dist/src/lab → ../../../compat): the commands a
 * node with `compat: true` gets as read-only layers: services/ always,
 * host-root/ on the host's root only (compat/README.md).
 * NETLAB_COMPAT_DIR overrides (packaging).
 */
export function compatDir(): string {
  return process.env.NETLAB_COMPAT_DIR || resolve(dirname(fileURLToPath(import.meta.url)), '../../../compat');
}
