/**
 * A real registry for tests: Debian's docker-registry (the CNCF distribution
 * registry) on 127.0.0.1 with a temporary store, and a small reverse proxy in
 * front of it that can slow blobs down (to interrupt a pull half-way), count
 * blob downloads (to see that two pulls make one), serve a blob with one
 * byte changed (a registry whose blob does not match its digest), and ask
 * for Bearer tokens the way Docker Hub does (to exercise the token flow and
 * auth.json). The registry can serve HTTPS with a certificate made by
 * openssl (makeCertificate), and a CONNECT proxy (startConnectProxy) stands
 * in for the HTTPS proxy of a company network.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** True when Debian's docker-registry is installed. */
export function haveRegistry(): boolean {
  return spawnSync('sh', ['-c', 'command -v docker-registry']).status === 0;
}

/** A running registry. */
export interface TestRegistry {
  /** host:port */
  host: string;
  /** The requests it answered, from its access log (only with `accessLog`): method, path, status, User-Agent. */
  requests(): { method: string; path: string; status: number; agent: string }[];
  stop(): Promise<void>;
}

/** A self-signed certificate (its own CA) and key, as PEM files. */
export interface TestCertificate { cert: string; key: string }

/**
 * Makes a self-signed certificate for `names` (DNS names and IP addresses)
 * with openssl in `dir`; a client trusts it through NODE_EXTRA_CA_CERTS.
 */
export function makeCertificate(dir: string, names: string[]): TestCertificate {
  const cert = join(dir, 'registry.crt');
  const key = join(dir, 'registry.key');
  const san = names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key };
}

/** Options of startRegistry. */
export interface RegistryOptions {
  /** Serve HTTPS with this certificate instead of plain HTTP. */
  tls?: TestCertificate;
  /** Keep an access log, for TestRegistry.requests(). */
  accessLog?: boolean;
}

/** Starts docker-registry on 127.0.0.1 with a temporary store; resolves once /v2/ answers. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-registry-'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1', 'log:', '  level: warn', '  accesslog:', `    disabled: ${!opts.accessLog}`,
    'storage:', `  filesystem:`, `    rootdirectory: ${dir}/data`, '  delete:', '    enabled: true',
    'http:', `  addr: 127.0.0.1:${port}`,
    ...(opts.tls ? ['  tls:', `    certificate: ${opts.tls.cert}`, `    key: ${opts.tls.key}`] : []), '',
  ].join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let access = '';
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  // The access log: Apache's combined format, one request a line.
  child.stdout!.on('data', (b: Buffer) => { access += b.toString(); });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if (opts.tls) {
        // Node's fetch would refuse the self-signed certificate: a TCP connect says it listens.
        await new Promise<void>((resolve, reject) => { const c = connect(port, '127.0.0.1', () => { c.destroy(); resolve(); }); c.on('error', reject); });
        break;
      }
      const r = await fetch(`http://${host}/v2/`);
      if (r.ok) break;
    } catch { /* not yet */ }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    requests: () => [...access.matchAll(/"(\w+) (\S+) HTTP\/[\d.]+" (\d+) \S+ "[^"]*" "([^"]*)"/g)]
      .map((m) => ({ method: m[1]!, path: m[2]!, status: Number(m[3]), agent: m[4]! })),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => { if (child.exitCode !== null) r(undefined); else child.once('exit', r); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Answers a CONNECT on `socket` with a tunnel to `target` (host:port), whatever host the client asked for. */
function tunnel(socket: Duplex, head: Buffer, target: string): void {
  const [h, pt] = target.split(':');
  const upstream = connect(Number(pt), h!, () => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
}

/** What the proxy saw and how it behaves. */
export interface TestProxy {
  host: string;
  /** Blob GETs answered with a body, by digest. */
  blobGets: Map<string, number>;
  /** Bytes per second for blob bodies (0: unlimited); may be changed while running. */
  rate: number;
  /** Requests that carried no or a wrong token while tokens are required. */
  unauthorized: number;
  /** Requests received as a forward proxy (absolute URL in the request line, as HTTP_PROXY clients send). */
  forwarded: number;
  /** Makes every token issued so far invalid, as a token that expired (token mode). */
  expireTokens(): void;
  /** Blobs (by digest) served with one byte changed, as a broken registry or a bad cache would. */
  corrupt: Set<string>;
  /** Which byte of a corrupt blob changes (default 4). */
  corruptAt: number;
  /** Blobs (by digest) answered 404 BLOB_UNKNOWN, as a registry that lost them would. */
  missing: Set<string>;
  /** The User-Agent of each blob GET answered with a body, by digest, in order (which client downloaded it). */
  blobAgents: Map<string, string[]>;
  stop(): Promise<void>;
}

/** Options of startProxy. */
export interface ProxyOptions {
  /** Bytes per second for blob bodies (0: unlimited). */
  rate?: number;
  /** Require a Bearer token, issued by /token to a client sending Basic `user:password`. */
  token?: { user: string; password: string };
}

/** A reverse proxy to `target` (host:port) on another port of 127.0.0.1. */
export async function startProxy(target: string, opts: ProxyOptions = {}): Promise<TestProxy> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let issued = 'netlab-test-token-1';
  const p: TestProxy = { host, blobGets: new Map(), rate: opts.rate ?? 0, unauthorized: 0, forwarded: 0, corrupt: new Set(), corruptAt: 4, missing: new Set(), blobAgents: new Map(), stop: async () => {},
    expireTokens: () => { issued = `netlab-test-token-${Number(issued.split('-').pop()) + 1}`; } };
  const server: Server = createServer((req, res) => {
    let url = req.url ?? '/';
    if (/^http:\/\//.test(url)) {
      p.forwarded++;
      const u = new URL(url);
      url = `${u.pathname}${u.search}`;
    }
    if (opts.token && url.startsWith('/token')) {
      const want = `Basic ${Buffer.from(`${opts.token.user}:${opts.token.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) { res.writeHead(401).end('{"details":"bad credentials"}'); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: issued }));
      return;
    }
    if (opts.token && req.headers.authorization !== `Bearer ${issued}`) {
      p.unauthorized++;
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="test",scope="repository:x:pull"` }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const wanted = /\/blobs\/(sha256:[0-9a-f]+)$/.exec(url)?.[1];
    if (wanted && p.missing.has(wanted)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
      return;
    }
    const up = httpRequest({ host: target.split(':')[0], port: Number(target.split(':')[1]), method: req.method, path: url, headers: { ...req.headers, host: target } }, (ur) => {
      const blob = /\/blobs\/(sha256:[0-9a-f]+)$/.exec(url)?.[1];
      if (blob && req.method === 'GET' && ur.statusCode === 200) {
        p.blobGets.set(blob, (p.blobGets.get(blob) ?? 0) + 1);
        p.blobAgents.set(blob, [...p.blobAgents.get(blob) ?? [], String(req.headers['user-agent'] ?? '')]);
      }
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (blob && p.corrupt.has(blob)) {
        // The same length, byte 4 changed: in a gzip blob that is the header's MTIME
        // (RFC 1952 §2.3), which no CRC covers: it still unpacks, only the digest can tell.
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => { const b = Buffer.concat(chunks); if (b.length > p.corruptAt) b[p.corruptAt]! ^= 0x5a; res.end(b); });
        return;
      }
      if (!blob || !p.rate) { ur.pipe(res); return; }
      // Throttled: at most `rate` bytes per 100 ms slice, in order.
      ur.pause();
      let budget = 0;
      const tick = setInterval(() => { budget = p.rate / 10; ur.resume(); }, 100);
      ur.on('data', (chunk: Buffer) => {
        res.write(chunk);
        budget -= chunk.length;
        if (budget <= 0) ur.pause();
      });
      ur.on('end', () => { clearInterval(tick); res.end(); });
      ur.on('error', () => { clearInterval(tick); res.destroy(); });
      res.on('close', () => { clearInterval(tick); ur.destroy(); });
    });
    up.on('error', () => { res.writeHead(502).end(); });
    req.pipe(up);
  });
  // A forward proxy tunnels with CONNECT (as HTTPS_PROXY and undici's ProxyAgent do): to the registry, whatever the client asked.
  server.on('connect', (_req, socket, head) => {
    p.forwarded++;
    tunnel(socket, head, target);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  p.stop = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  return p;
}

/** A forward proxy for HTTPS (CONNECT tunnels only), as a company network has. */
export interface ConnectProxy {
  /** host:port of the proxy (for HTTPS_PROXY=http://…). */
  host: string;
  /** The authority (host:port) of every CONNECT received, in order. */
  connects: string[];
  stop(): Promise<void>;
}

/**
 * Starts a CONNECT proxy on 127.0.0.1 that tunnels every request to `target`
 * (host:port), whatever host it names: a registry name that resolves nowhere
 * can only be reached through it.
 */
export async function startConnectProxy(target: string): Promise<ConnectProxy> {
  const port = await freePort();
  const p: ConnectProxy = { host: `127.0.0.1:${port}`, connects: [], stop: async () => {} };
  const server: Server = createServer((_req, res) => { res.writeHead(405).end('CONNECT only\n'); });
  const tunnels = new Set<{ destroy(): void }>();
  server.on('connect', (req, socket, head) => {
    p.connects.push(req.url ?? '');
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    tunnel(socket, head, target);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  p.stop = () => new Promise((r) => { for (const t of tunnels) t.destroy(); server.closeAllConnections(); server.close(() => r()); });
  return p;
}

/**
 * Pushes one image of an OCI layout to `host` (plain HTTP, or HTTPS trusting
 * the CA certificate file `opts.ca`) exactly as the layout holds it — blobs
 * by monolithic upload (OCI distribution spec, "Pushing a blob
 * monolithically": POST, then PUT with ?digest=), then the manifest — so a
 * layer stays uncompressed (skopeo gzips every layer it pushes to a
 * registry). `repoTag` is `repository:tag`.
 * @throws Error with curl's message when the registry refuses a step.
 */
export async function pushLayout(host: string, layoutDir: string, manifestDigest: string, repoTag: string, opts: { ca?: string } = {}): Promise<void> {
  const [repo, tag] = repoTag.split(':') as [string, string];
  const base = `${opts.ca ? 'https' : 'http'}://${host}`;
  const blobFile = (d: string): string => join(layoutDir, 'blobs', d.replace(':', '/'));
  // curl does every request: it streams a 200 MB layer from its file, and it trusts the test CA of an HTTPS registry (--cacert).
  const curl = (args: string[], input?: Buffer): string => {
    const r = spawnSync('curl', ['-sSf', ...(opts.ca ? ['--cacert', opts.ca] : []), ...args], { encoding: 'utf8', ...(input ? { input } : {}) });
    if (r.status !== 0) throw new Error(`registry ${host}: curl ${args.slice(0, 3).join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const manifest = readFileSync(blobFile(manifestDigest));
  const doc = JSON.parse(manifest.toString()) as { mediaType: string; config: { digest: string }; layers: { digest: string }[] };
  for (const d of [doc.config.digest, ...doc.layers.map((l) => l.digest)]) {
    const head = curl(['-D', '-', '-o', '/dev/null', '-X', 'POST', `${base}/v2/${repo}/blobs/uploads/`]);
    const location = /^location:\s*(\S+)/im.exec(head)?.[1];
    if (!location) throw new Error(`registry ${host}: upload of ${d} not started: ${head.split('\n')[0]}`);
    const loc = new URL(location, base);
    loc.searchParams.set('digest', d);
    curl(['-X', 'PUT', '-H', 'content-type: application/octet-stream', '--data-binary', `@${blobFile(d)}`, loc.toString()]);
  }
  curl(['-X', 'PUT', '-H', `content-type: ${doc.mediaType}`, '--data-binary', '@-', `${base}/v2/${repo}/manifests/${tag}`], manifest);
}
