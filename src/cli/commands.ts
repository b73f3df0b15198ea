/**
 * Every CLI command, in the order `netlab --help` lists them. A command file
 * exports `register(program)`; adding a command is one file and one line here.
 *
 * Load on use: a run of `netlab down` imports down.ts (and what it uses of the
 * library), not the other sixteen files; help and an unknown word load them
 * all (docs/architecture.md, "Load on use").
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

type CommandFile = () => Promise<{ register: Register }>;

/** Command name → the file that registers it (`shell` lives with `exec`), in help order. */
const COMMAND_FILES: Record<string, CommandFile> = {
  up: () => import('./up.js'),
  down: () => import('./down.js'),
  status: () => import('./status.js'),
  stats: () => import('./stats.js'),
  exec: () => import('./exec.js'),
  shell: () => import('./exec.js'),
  link: () => import('./link.js'),
  node: () => import('./node.js'),
  capture: () => import('./capture.js'),
  events: () => import('./events.js'),
  save: () => import('./save.js'),
  validate: () => import('./validate.js'),
  graph: () => import('./graph.js'),
  convert: () => import('./convert.js'),
  ui: () => import('./ui.js'),
  image: () => import('./image.js'),
  doctor: () => import('./doctor.js'),
  'setup-user': () => import('./setup-user.js'),
};

/** The command names netlab knows, in help order. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMAND_FILES);

/**
 * The register functions of `name`'s file when `name` is a command, else of
 * every command file (for help, or for commander to say what is unknown), in
 * help order and each file once.
 */
export async function commandsFor(name?: string): Promise<Register[]> {
  const files = name !== undefined && Object.hasOwn(COMMAND_FILES, name) ? [COMMAND_FILES[name]!] : Object.values(COMMAND_FILES);
  const modules = await Promise.all(files.map((load) => load()));
  return [...new Set(modules.map((m) => m.register))];
}
