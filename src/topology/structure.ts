/**
 * Checks on the shape of parsed YAML, before anything else walks it:
 * YAML aliases make a small file into a huge or endless tree (an "alias
 * bomb", an anchor that contains its own alias), which the ${VAR} expansion
 * and the schema check would otherwise walk for minutes or until the stack
 * overflows; some keys reach JavaScript's object machinery instead of data;
 * and YAML's `.nan` and `.inf` are numbers no setting can use.
 *
 * One iterative walk (no recursion, so no stack to overflow) counts every
 * value as often as aliases repeat it, and stops at the first problem.
 */
import { TopologyError } from '../errors.js';
import { formatPath, type PathPart } from './path.js';

/** Keys that would reach an object's prototype machinery instead of its data. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Most values a file may hold once its aliases are expanded: 1,000,000. A
 * 5,000-node lab with 5,000 links holds ~40,000; 100,000 links ~300,000.
 */
export const MAX_VALUES = 1_000_000;

/** Deepest nesting of mappings and lists, aliases included (YAML's parser stops plain nesting at 100 as well). */
export const MAX_DEPTH = 100;

interface Frame { value: unknown; path: PathPart[]; exit?: object }

/**
 * Walks parsed data and refuses, at the first one met in file order: a
 * value that contains itself (through an alias), more than MAX_VALUES
 * values, nesting deeper than MAX_DEPTH, a reserved key, a number that is
 * not finite.
 * @param root path of `data` in the file (for a tests file: `tests`).
 * @throws TopologyError naming the path.
 */
export function scanStructure(data: unknown, root: PathPart[] = []): void {
  const stack: Frame[] = [{ value: data, path: root }];
  const open = new Set<object>();
  let count = 0;
  while (stack.length) {
    const frame = stack.pop()!;
    if (frame.exit) { open.delete(frame.exit); continue; }
    const { value, path } = frame;
    if (++count > MAX_VALUES) {
      throw new TopologyError(formatPath(path), `the file holds more than ${MAX_VALUES.toLocaleString('en-US')} values once its YAML aliases are expanded`,
        'an alias (*name) repeats everything its anchor (&name) holds, and aliases inside anchors multiply; write the values out, or use defaults:, kinds: or groups: for shared settings');
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TopologyError(formatPath(path), `${Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf'} is not a number netlab can use`,
        'write a finite number here (YAML reads .nan as "not a number" and .inf as infinity)');
    }
    if (value === null || typeof value !== 'object') continue;
    if (open.has(value)) {
      throw new TopologyError(formatPath(path), 'contains itself: a YAML alias (*name) sits inside the anchor (&name) it repeats',
        'an anchor cannot hold its own alias; move the alias out of the anchored block, or write the values out');
    }
    if (path.length - root.length >= MAX_DEPTH) {
      throw new TopologyError(formatPath(path), `is nested more than ${MAX_DEPTH} levels deep`, 'a topology needs a few levels; look for runaway brackets or aliases here');
    }
    open.add(value);
    stack.push({ value: null, path, exit: value });
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    for (const key of keys) {
      if (RESERVED_KEYS.has(key)) throw new TopologyError(formatPath([...path, key]), `"${key}" cannot be used as a key`, 'rename the key');
    }
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (value as Record<string, unknown>)[keys[i]!], path: [...path, keys[i]!] });
  }
}
