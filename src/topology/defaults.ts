/**
 * Layered defaults: a node's settings are `defaults`, then `kinds.<kind>`, then
 * its group, then the node itself, each layer overriding the one before
 * (node → group → kind → defaults, most specific first). Mappings merge key by
 * key, recursively; lists and scalars are replaced whole. `true` over a
 * mapping keeps the mapping (`ospf: true` means "on, with the settings below").
 */
import type { PathPart } from './path.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Merges `over` onto `base` (neither is modified). */
export function mergeValue(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (over === true && isObj(base)) return base;
  if (isObj(base) && isObj(over)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeValue(base[k], v);
    return out;
  }
  return over;
}

/** One layer: its settings and where it sits in the file. */
export interface Layer {
  values: Obj | undefined;
  path: PathPart[];
}

/** The merged settings and, per top-level key, the path of the layer that set it last. */
export interface Layered {
  values: Obj;
  origin: Record<string, PathPart[]>;
}

/**
 * Merges layers from least to most specific. Keys listed in `skip` (e.g.
 * `members` of a group, `group` of a node) are not inherited.
 */
export function layer(layers: Layer[], skip: readonly string[] = []): Layered {
  const values: Obj = {};
  const origin: Record<string, PathPart[]> = {};
  for (const l of layers) {
    if (!l.values) continue;
    for (const [k, v] of Object.entries(l.values)) {
      if (skip.includes(k)) continue;
      values[k] = mergeValue(values[k], v);
      origin[k] = [...l.path, k];
    }
  }
  return { values, origin };
}
