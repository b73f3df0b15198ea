/**
 * A registry client for pulling (OCI distribution spec, "Pull"; Docker
 * Registry HTTP API V2): manifests by tag or digest with Accept headers,
 * blobs by digest (following redirects to a CDN), and token auth — a 401 with
 * `WWW-Authenticate: Bearer realm=…,service=…,scope=…` is answered by asking
 * the realm for a token (with the user's credentials, if any), as docker
 * does (Docker "Token Authentication Specification"). HTTP goes through
 * undici: Node's own fetch (its bundled undici) when no proxy variable is
 * set; otherwise the undici package with its EnvHttpProxyAgent, so
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured (Node's own fetch does
 * not read them) — except for a registry on this machine, reached directly
 * as Docker and skopeo do. Blob bodies Node reads (gzip and zstd layers) come
 * from the undici package's request(); an uncompressed layer's blob is
 * downloaded by netlab-unpack itself (download()).
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { NetlabError, UsageError } from '../../errors.js';
import { digestOf, digestString, verifyDigest, type Digest } from '../digest.js';
import { MANIFEST_ACCEPT } from '../media.js';
import { apiHost, isLoopbackRegistry } from '../reference.js';
import { findCredentials, type Credentials } from './auth.js';
import type { LayerDownload } from '../unpack.js';

/** A manifest or index as the registry sent it. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType?: string;
  digest: Digest;
}

/** Most bytes a manifest may have (the distribution spec lets registries cap at 4 MiB). */
const MAX_MANIFEST = 4 * 1024 * 1024;

type Undici = typeof import('undici');
let undici: Undici | undefined;

/**
 * The undici package, loaded on first use: ~130 modules, 0.07–0.12 s of a
 * pull (docs/performance.md, "Images"). A pull needs it only for a proxy
 * (usesProxy) or for a blob read through Node (a gzip or zstd layer).
 */
async function loadUndici(): Promise<Undici> {
  undici ??= await import('undici');
  return undici;
}

/**
 * Whether a proxy variable is set (https_proxy, HTTPS_PROXY, http_proxy,
 * HTTP_PROXY: what undici's EnvHttpProxyAgent reads). Without one, Node's
 * own fetch (its bundled undici, loaded with Node) asks exactly as the undici
 * package would, and the package need not load. Pure.
 */
export function usesProxy(env: NodeJS.ProcessEnv): boolean {
  return ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'].some((v) => Boolean(env[v]));
}

/**
 * Routes each request as Docker, Podman and skopeo do (Go's
 * net/http.ProxyFromEnvironment): a registry on this machine (localhost,
 * 127.0.0.0/8, [::1]) is always reached directly, whatever the proxy
 * variables say (a proxy elsewhere cannot reach this machine's loopback);
 * every other host through undici's EnvHttpProxyAgent, which reads
 * https_proxy/HTTPS_PROXY, http_proxy/HTTP_PROXY and no_proxy/NO_PROXY (the
 * lower-case form first; NO_PROXY entries are host names or suffixes, with
 * an optional :port, or `*`).
 */
function registryDispatcher(u: Undici): Dispatcher {
  class RegistryDispatcher extends u.Dispatcher {
    private readonly direct = new u.Agent();
    private readonly env = new u.EnvHttpProxyAgent();

    override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const host = new URL(String(opts.origin)).host;
      return (isLoopbackRegistry(host) ? this.direct : this.env).dispatch(opts, handler);
    }

    override async close(): Promise<void> {
      await Promise.all([this.direct.close(), this.env.close()]);
    }

    override async destroy(): Promise<void> {
      await Promise.all([this.direct.destroy(), this.env.destroy()]);
    }
  }
  return new RegistryDispatcher();
}

let sharedAgent: Dispatcher | undefined;
let blobAgent: Dispatcher | undefined;

/** The proxy-aware dispatcher (a cache: one connection pool per process). */
async function agent(): Promise<Dispatcher> {
  sharedAgent ??= registryDispatcher(await loadUndici());
  return sharedAgent;
}

/**
 * The same dispatcher, following redirects (a registry sends blobs from a CDN)
 * for undici's request(): undici's redirect handler drops Authorization,
 * Cookie and Proxy-Authorization when the redirect leaves the origin, as
 * fetch does (RFC 9110 §15.4).
 */
async function blobDispatcher(): Promise<Dispatcher> {
  const u = await loadUndici();
  blobAgent ??= (await agent()).compose(u.interceptors.redirect({ maxRedirections: 5 }));
  return blobAgent;
}

/** What netlab reads of a fetch response: Node's and the undici package's both have it. */
interface SmallResponse {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  body: { cancel(): Promise<void> } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * fetch for the small requests (manifests, configs, tokens): Node's own when
 * no proxy variable is set (see usesProxy), else the undici package's
 * through the proxy-aware dispatcher. Both follow redirects and drop
 * Authorization on one to another origin.
 */
async function smallFetch(url: string | URL, init: { method?: string; headers?: Record<string, string>; body?: string; redirect?: 'follow'; signal?: AbortSignal }): Promise<SmallResponse> {
  if (!usesProxy(process.env)) return globalThis.fetch(url, init);
  const u = await loadUndici();
  return u.fetch(url, { ...init, dispatcher: await agent() });
}

/** Parses `Bearer realm="…",service="…",scope="…"` (RFC 6750 §3). Pure. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

/** Options of a RegistryClient. */
export interface RegistryOptions {
  /** Plain HTTP: allowed only for a loopback registry (localhost, 127.0.0.0/8, [::1]). */
  insecure?: boolean;
  signal?: AbortSignal;
  /** Credentials to use instead of looking them up in the auth files. */
  credentials?: Credentials;
}

/** One repository on one registry. */
export class RegistryClient {
  private readonly base: string;
  private token?: string;
  private basic?: string;
  private readonly where: string;

  constructor(readonly registry: string, readonly repository: string, private readonly opts: RegistryOptions = {}) {
    if (opts.insecure && !isLoopbackRegistry(registry)) {
      throw new UsageError(`registry ${registry}`, '--insecure (plain HTTP) is allowed only for a registry on this machine (localhost, 127.0.0.1, [::1])',
        'pull over HTTPS; for a registry elsewhere, give it a TLS certificate');
    }
    this.base = `${opts.insecure ? 'http' : 'https'}://${apiHost(registry)}/v2/${repository}`;
    this.where = `${registry}/${repository}`;
  }

  private netError(err: unknown, url: string): NetlabError {
    if (this.opts.signal?.aborted) return this.opts.signal.reason as NetlabError;
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    const tls = /CERT|SSL|TLS|wrong version number|EPROTO/i.test(String(cause));
    return new NetlabError(`registry ${this.registry}`, `cannot reach ${new URL(url).origin}: ${cause}`,
      tls && isLoopbackRegistry(this.registry) ? 'a registry on this machine without TLS: add --insecure'
        : 'check the network and the proxy settings (HTTPS_PROXY, NO_PROXY); without internet, save the image elsewhere (docker save, skopeo copy) and netlab image import it');
  }

  /** The Authorization header this client has earned (a token, or Basic credentials), if any. */
  private authHeader(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : this.basic ? { authorization: `Basic ${this.basic}` } : {};
  }

  private async send(url: string, headers: Record<string, string>, method = 'GET'): Promise<SmallResponse> {
    const auth = this.authHeader();
    try {
      return await smallFetch(url, { method, headers: { ...headers, ...auth }, redirect: 'follow', signal: this.opts.signal });
    } catch (err) {
      throw this.netError(err, url);
    }
  }

  /** Answers a 401's challenge (its WWW-Authenticate header), once; false when it cannot be answered. */
  private async authenticate(challenge: string): Promise<boolean> {
    const ch = parseChallenge(challenge);
    const creds = this.opts.credentials ?? findCredentials(this.registry, this.repository);
    if (ch?.scheme === 'basic') {
      if (!creds || !('username' in creds) || this.basic) return false;
      this.basic = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
      return true;
    }
    // A token this client holds was refused: it expired (Docker Hub's last 5 minutes, and a long pull outlives one). It asks
    // for a new one; the caller retries once, so a token that is refused again ends as "access denied".
    if (ch?.scheme !== 'bearer' || !ch.params.realm) return false;
    const url = new URL(ch.params.realm);
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    url.searchParams.set('scope', ch.params.scope ?? `repository:${this.repository}:pull`);
    const headers: Record<string, string> = {};
    let method = 'GET';
    let body: string | undefined;
    if (creds && 'username' in creds) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    if (creds && 'identityToken' in creds) {
      method = 'POST';
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, service: ch.params.service ?? '', scope: url.searchParams.get('scope')!, client_id: 'netlab' }).toString();
    }
    let r: SmallResponse;
    try {
      r = await smallFetch(url, { method, headers, ...(body !== undefined ? { body } : {}), signal: this.opts.signal });
    } catch (err) {
      throw this.netError(err, url.toString());
    }
    if (!r.ok) {
      await r.body?.cancel();
      if (r.status === 401 || r.status === 403) throw this.denied(Boolean(creds));
      throw new NetlabError(`registry ${this.registry}`, `its token service ${url.origin} answered ${r.status}`, 'try again later');
    }
    const o = (await r.json()) as { token?: string; access_token?: string };
    this.token = o.token ?? o.access_token;
    return Boolean(this.token);
  }

  private denied(loggedIn: boolean): NetlabError {
    return new UsageError(this.where, loggedIn ? 'access denied with the credentials found for this registry' : 'access denied: the repository does not exist, or it needs a login',
      loggedIn ? 'check the name, and that your login can read it (docker login / podman login)' : 'check the name; for a private image, log in with docker login or podman login (netlab reads their credentials)');
  }

  /** GET with auth; throws a clear error for anything but 2xx. `what` names the object for 404s. */
  private async get(url: string, headers: Record<string, string>, what: string): Promise<SmallResponse> {
    let res = await this.send(url, headers);
    if (res.status === 401 && await this.authenticate(res.headers.get('www-authenticate') ?? '')) {
      await res.body?.cancel();
      res = await this.send(url, headers);
    }
    if (res.ok) return res;
    throw this.answerError(res.status, await res.text().catch(() => ''), what);
  }

  /**
   * The error for a registry's answer other than 2xx (its status and body:
   * the distribution spec's `{ errors: [{ code, message }] }` when JSON).
   * `what` names the object for 404s.
   */
  private answerError(status: number, text: string, what: string): Error {
    let codes = '';
    try {
      codes = ((JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? []).map((e) => e.code ?? '').join(',');
    } catch { /* not JSON */ }
    if (status === 401 || status === 403) return this.denied(Boolean(this.opts.credentials ?? findCredentials(this.registry, this.repository)));
    if (status === 404 || /MANIFEST_UNKNOWN|NAME_UNKNOWN|BLOB_UNKNOWN/.test(codes)) {
      const name = /NAME_UNKNOWN/.test(codes) ? 'no such repository' : `${what} not found`;
      return new UsageError(this.where, `${name} (HTTP ${status}${codes ? ` ${codes}` : ''})`, /tag|manifest/.test(what)
        ? 'check the tag (the registry\'s web page, or skopeo list-tags docker://REPOSITORY lists them)' : 'check the name and the digest');
    }
    if (status === 429) return new NetlabError(this.where, 'the registry refuses more pulls for now (HTTP 429, rate limit)', 'wait, or log in (docker login) for a higher limit');
    return new NetlabError(this.where, `the registry answered HTTP ${status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`, 'try again later');
  }

  /**
   * A manifest or index by tag or digest. A digest is verified; a tag's
   * manifest is checked against the Docker-Content-Digest header when the
   * registry sends one.
   * @throws UsageError (exit 2) for an unknown tag or repository; NetlabError (1) for network trouble.
   */
  async manifest(tagOrDigest: string, pinned?: Digest): Promise<FetchedManifest> {
    const res = await this.get(`${this.base}/manifests/${tagOrDigest}`, { accept: MANIFEST_ACCEPT }, pinned ? `manifest ${tagOrDigest}` : `tag ${tagOrDigest}`);
    const len = Number(res.headers.get('content-length') ?? 0);
    if (len > MAX_MANIFEST) throw new NetlabError(this.where, `its manifest is ${len} bytes, more than the 4 MiB netlab reads`, 'this is not a container image manifest');
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > MAX_MANIFEST) throw new NetlabError(this.where, `its manifest is more than the 4 MiB netlab reads`, 'this is not a container image manifest');
    const digest = digestOf(bytes, pinned?.algorithm ?? 'sha256');
    if (pinned) verifyDigest(`manifest ${digestString(pinned)} of ${this.where}`, pinned, digest);
    const header = res.headers.get('docker-content-digest');
    if (!pinned && header && header.startsWith('sha256:') && header !== digestString(digest)) {
      throw new NetlabError(`manifest ${tagOrDigest} of ${this.where}`, `digest mismatch: the registry says ${header}, the content has ${digestString(digest)}`, 'pull again; nothing was stored');
    }
    return { bytes, mediaType: res.headers.get('content-type') ?? undefined, digest };
  }

  /** GET of a blob with undici's request(), with auth; the response whatever its status. */
  private async requestBlob(url: string): Promise<Dispatcher.ResponseData> {
    const u = await loadUndici();
    const send = async (): Promise<Dispatcher.ResponseData> => {
      try {
        return await u.request(url, { headers: this.authHeader(), dispatcher: await blobDispatcher(), signal: this.opts.signal, highWaterMark: 1 << 20 });
      } catch (err) {
        throw this.netError(err, url);
      }
    };
    let res = await send();
    const challenge = res.headers['www-authenticate'];
    if (res.statusCode === 401 && await this.authenticate(Array.isArray(challenge) ? challenge[0]! : challenge ?? '')) {
      await res.body.dump();
      res = await send();
    }
    return res;
  }

  /**
   * A blob's bytes as a stream (verify them on the way: unpackLayer, or
   * readSmall). The body comes from undici's request() as a Node stream:
   * fetch's web stream, turned into a Node stream, cost about five times the
   * CPU per byte (docs/performance.md, "Images"), and a layer is hundreds of MB.
   */
  async blob(d: Digest, what: string): Promise<{ stream: Readable; size: number }> {
    const url = `${this.base}/blobs/${digestString(d)}`;
    const res = await this.requestBlob(url);
    if (res.statusCode >= 200 && res.statusCode < 300) return { stream: res.body, size: Number(res.headers['content-length'] ?? 0) };
    throw this.answerError(res.statusCode, await res.body.text().catch(() => ''), what);
  }

  /**
   * A blob as netlab-unpack downloads it itself (src/image/unpack.ts,
   * unpackDownloaded): its URL, the Authorization this client has earned
   * (the manifest's fetch earned it: the same pull scope), no proxy for a
   * registry on this machine, the extra CA certificates Node trusts
   * (NODE_EXTRA_CA_CERTS), and this client's wording of an HTTP error.
   */
  download(d: Digest, what: string): LayerDownload {
    return {
      url: `${this.base}/blobs/${digestString(d)}`,
      headers: this.authHeader(),
      direct: isLoopbackRegistry(this.registry),
      ...(process.env.NODE_EXTRA_CA_CERTS ? { caFile: process.env.NODE_EXTRA_CA_CERTS } : {}),
      answerError: (status, body) => this.answerError(status, body, what),
    };
  }

  /** A small blob (a config) in memory, verified; at most `max` bytes. */
  async smallBlob(d: Digest, what: string, max = MAX_MANIFEST): Promise<Buffer> {
    const res = await this.get(`${this.base}/blobs/${digestString(d)}`, {}, what);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > max) throw new NetlabError(this.where, `${what} is ${bytes.length} bytes, more than expected`, 'this is not a container image');
    verifyDigest(`${what} of ${this.where}`, d, digestOf(bytes, d.algorithm));
    return bytes;
  }
}
