/**
 * Notes said once per image or per ignored key, naming every node they
 * concern ("image alpine:3 is not in netlab's store: l1, l2 run on the host's
 * root"), in the order first met. Pure.
 */
import { imageRole } from './images.js';
import type { Note } from './types.js';

/** How a node falls back from its image: the host's FRR or BIRD, or the host's root. */
export type Fallback = 'frr' | 'bird' | 'root';

/** How a node gets the image it runs as itself: from the store, or pulled by `up`. */
export type Own = 'stored' | 'pulled';

/** Collects fallbacks and ignored keys, and writes one note for each. */
export class NoteBook {
  private readonly images = new Map<string, { where: string; fallback: Fallback; nodes: string[]; extra: string }>();
  private readonly own = new Map<string, { where: string; how: Own; nodes: string[]; kind: string }>();
  private readonly ignored = new Map<string, { where: string; nodes: string[]; text: string }>();

  constructor(private readonly notes: Note[]) {}

  /** `node` runs `fallback` instead of `image`; `extra` ends the note (e.g. how FRR starts). */
  image(image: string, node: string, fallback: Fallback, where: string, extra = ''): void {
    const key = `${image}\u0000${fallback}\u0000${extra}`;
    const e = this.images.get(key);
    if (e) e.nodes.push(node);
    else this.images.set(key, { where, fallback, nodes: [node], extra });
  }

  /** `node` runs `image` itself (as `kind`), from the store or pulled by `up`. */
  runs(image: string, node: string, how: Own, kind: string, where: string): void {
    const key = `${image}\u0000${how}\u0000${kind}`;
    const e = this.own.get(key);
    if (e) e.nodes.push(node);
    else this.own.set(key, { where, how, nodes: [node], kind });
  }

  /** `key` of `node` is ignored because `why` (one note per key and reason). */
  ignore(key: string, node: string, where: string, why: string): void {
    const k = `${key}\u0000${why}`;
    const e = this.ignored.get(k);
    if (e) e.nodes.push(node);
    else this.ignored.set(k, { where, nodes: [node], text: why ? `${key} is ignored: ${why}` : `${key} is not a key netlab knows: ignored` });
  }

  /** Writes the collected notes (call once, at the end). */
  flush(): void {
    for (const [key, e] of this.ignored) {
      const [name] = key.split('\u0000');
      this.notes.push({ where: e.where, text: `${e.text.replace(`${name} is`, `${name} (${e.nodes.join(', ')}) is`)}` });
    }
    for (const [key, e] of this.own) {
      const image = key.split('\u0000')[0]!;
      const who = `${e.nodes.join(', ')} ${e.nodes.length === 1 ? 'runs' : 'run'} it${e.kind === 'linux' ? '' : ` as kind ${e.kind} (the image's ${e.kind === 'frr' ? 'FRR' : 'BIRD'})`}`;
      this.notes.push({ where: e.where, text: e.how === 'stored' ? `image ${image} is in netlab's store: ${who}`
        : `image ${image} is not in netlab's store: up pulls it (--pull); ${who}` });
    }
    for (const [key, e] of this.images) {
      const image = key.split('\u0000')[0]!;
      const who = e.nodes.join(', ');
      const verb = e.nodes.length === 1 ? 'runs' : 'run';
      const known = imageRole(image) !== 'unknown';
      const what = e.fallback === 'frr' ? `the host's FRR (kind frr)` : e.fallback === 'bird' ? `the host's BIRD (kind bird)`
        : known ? 'on the host\'s root (its tools, not the image\'s)' : 'on the host\'s root, without the image\'s own programs or start command';
      const prefix = known || e.fallback !== 'root' ? `image ${image} is not in netlab's store` : `image ${image} is not in netlab's store and is not one netlab knows`;
      this.notes.push({ where: e.where, text: `${prefix}: ${who} ${verb} ${what}${e.extra}` });
    }
    this.images.clear();
    this.own.clear();
    this.ignored.clear();
  }
}

/** A copy of `o` with `first` keys first (in that order), the rest as they were: readable `netlab convert` output. */
export function ordered<T extends Record<string, unknown>>(o: T, first: string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of first) if (k in o) out[k] = o[k];
  for (const [k, v] of Object.entries(o)) if (!(k in out)) out[k] = v;
  return out as T;
}

/** The key order of a converted node. */
export const NODE_KEY_ORDER = ['kind', 'image', 'group', 'config', 'daemons', 'autostart', 'compat', 'layers', 'binds', 'env', 'cmd', 'startup', 'exec', 'exec_errors', 'shutdown', 'after', 'healthcheck'];
