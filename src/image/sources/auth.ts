/**
 * Registry credentials from the files people already have, in the order
 * Podman/skopeo read them (containers-auth.json(5)), then Docker's
 * (docker login writes ~/.docker/config.json):
 *
 *   $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 *   $XDG_CONFIG_HOME/containers/auth.json (~/.config/…), $DOCKER_CONFIG/config.json (~/.docker/…)
 *
 * Each has `auths: { "<registry>[/<namespace>]": { auth: base64(user:password) } }`;
 * Docker's may name a credential helper instead (credHelpers, credsStore),
 * which is run as `docker-credential-<name> get` as Docker does.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB } from '../reference.js';

/** What to log in with. */
export type Credentials = { username: string; password: string } | { identityToken: string };

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The auth files to look in, first match wins. Pure but for the environment. */
export function authFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  files.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'));
  files.push(join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'));
  return files;
}

/** The keys an entry for this registry may have in an auth file, most specific first. Pure. */
export function authKeys(registry: string, repository: string): string[] {
  const keys: string[] = [];
  const parts = repository.split('/');
  for (let i = parts.length; i > 0; i--) keys.push(`${registry}/${parts.slice(0, i).join('/')}`);
  keys.push(registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`);
  if (registry === DOCKER_HUB) keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io');
  return keys;
}

/** Decodes one `auths` entry. Pure. */
export function decodeAuthEntry(e: { auth?: string; username?: string; password?: string; identitytoken?: string }): Credentials | undefined {
  if (e.identitytoken) return { identityToken: e.identitytoken };
  if (e.username && e.password !== undefined) return { username: e.username, password: e.password };
  if (e.auth) {
    const text = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  return undefined;
}

function helper(name: string, server: string): Credentials | undefined {
  if (!/^[\w.-]+$/.test(name)) return undefined;
  const r = spawnSync(`docker-credential-${name}`, ['get'], { input: server, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || !r.stdout) return undefined;
  try {
    const o = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    if (!o.Secret) return undefined;
    return o.Username === '<token>' ? { identityToken: o.Secret } : { username: o.Username ?? '', password: o.Secret };
  } catch {
    return undefined;
  }
}

/** Credentials for `registry`/`repository`, or undefined (anonymous pull). */
export function findCredentials(registry: string, repository: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const keys = authKeys(registry, repository);
  for (const file of authFiles(env)) {
    let f: AuthFile;
    try { f = JSON.parse(readFileSync(file, 'utf8')) as AuthFile; } catch { continue; }
    const named = keys.map((k) => f.credHelpers?.[k]).find(Boolean);
    if (named) {
      const c = helper(named, registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry);
      if (c) return c;
    }
    for (const k of keys) {
      const e = f.auths?.[k];
      const c = e && decodeAuthEntry(e);
      if (c) return c;
    }
    if (f.credsStore) {
      const c = helper(f.credsStore, registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry);
      if (c) return c;
    }
  }
  return undefined;
}
