/**
 * How a node runs its image (config.md "config"): the environment (`Env`),
 * the main process (`Entrypoint` + `Cmd`), its working directory
 * (`WorkingDir`) and user (`User`, a name or id looked up in the image's own
 * /etc/passwd and /etc/group, as runc does), and what later work needs
 * recorded (`ExposedPorts`, `Healthcheck`, `StopSignal`).
 */
import { NetlabError } from '../errors.js';
import type { RunConfig } from './manifest.js';
import { readInLayers } from './root-view.js';

/** The resolved run settings of a node's image. */
export interface ImageRun {
  /** `Env` as a map (later entries win). */
  env: Record<string, string>;
  /** Entrypoint followed by Cmd; empty when the image names neither. */
  argv: string[];
  /** WorkingDir, when the image sets one. */
  cwd?: string;
  /** User as ids of the node, when the image sets a non-root one. */
  user?: { uid: number; gid: number; name: string };
  /** `80/tcp`, … */
  exposedPorts: string[];
  healthcheck?: RunConfig['Healthcheck'];
  stopSignal?: string;
}

/** `["A=1", "PATH=/bin"]` → `{ A: '1', PATH: '/bin' }` (an entry without `=` is an empty value). Pure. */
export function envMap(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of list ?? []) {
    const eq = e.indexOf('=');
    const k = eq < 0 ? e : e.slice(0, eq);
    if (k) out[k] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

function lookup(db: string | undefined, name: string): string[] | undefined {
  for (const line of (db ?? '').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 3) return f;
  }
  return undefined;
}

/**
 * `User` (`name`, `uid`, `name:group`, `uid:gid`) → ids, with the image's
 * passwd and group texts. A bare uid not in passwd runs with gid = 0 (as runc). Pure.
 * @throws Error naming the user or group the image does not list.
 */
export function resolveUser(spec: string, passwd: string | undefined, group: string | undefined): { uid: number; gid: number } {
  const [u = '', g] = spec.split(':');
  let uid: number;
  let gid = 0;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const byId = (passwd ?? '').split('\n').map((l) => l.split(':')).find((f) => f[2] === u);
    if (byId) gid = Number(byId[3] ?? 0);
  } else {
    const f = lookup(passwd, u);
    if (!f) throw new Error(`user "${u}" is not in the image's /etc/passwd`);
    uid = Number(f[2]);
    gid = Number(f[3] ?? 0);
  }
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const f = lookup(group, g);
      if (!f) throw new Error(`group "${g}" is not in the image's /etc/group`);
      gid = Number(f[2]);
    }
  }
  return { uid, gid };
}

/**
 * The run settings of an image whose layers are `lowerDirs` (top first).
 * @throws NetlabError (exit 2) naming `where` when `User` names someone the image does not have.
 */
export function imageRun(cfg: RunConfig, lowerDirs: string[], where: string, image: string): ImageRun {
  let user: ImageRun['user'];
  if (cfg.User && !/^(?:0|root)(?::(?:0|root))?$/.test(cfg.User)) {
    try {
      user = { ...resolveUser(cfg.User, readInLayers(lowerDirs, '/etc/passwd'), readInLayers(lowerDirs, '/etc/group')), name: cfg.User };
    } catch (err) {
      throw new NetlabError(where, `image ${image} runs as User ${cfg.User}, but ${(err as Error).message}`, 'the image is broken; set the node\'s cmd: to run something else', 2);
    }
    if (user.uid === 0 && user.gid === 0) user = undefined;
  }
  return {
    env: envMap(cfg.Env),
    argv: [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])],
    ...(cfg.WorkingDir ? { cwd: cfg.WorkingDir } : {}),
    ...(user ? { user } : {}),
    exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
    ...(cfg.Healthcheck ? { healthcheck: cfg.Healthcheck } : {}),
    ...(cfg.StopSignal ? { stopSignal: cfg.StopSignal } : {}),
  };
}
