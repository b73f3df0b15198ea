/**
 * Pulling from a real registry (Debian's docker-registry on 127.0.0.1, images
 * pushed with skopeo): by tag and by digest, a multi-platform index, token
 * auth with credentials from auth.json, HTTPS through the proxy HTTPS_PROXY
 * names (NO_PROXY, and a registry on this machine reached directly), the
 * progress a user sees, and the faults — an unknown tag, a foreign-only
 * image, a blob that does not match its digest, two pulls at once, a pull
 * interrupted by Ctrl-C or kill -9 — through the real `netlab image` CLI.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listImages, pullImage, resolveImage } from '../../src/image/index.js';
import { parseDigest } from '../../src/image/digest.js';
import { RegistryClient } from '../../src/image/sources/registry-client.js';
import { busyboxRoot, haveSkopeo, skopeo, tarOf, tarOfDir, writeMultiArchLayout, writeOciLayout } from '../helpers/images.js';
import { leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { exited, netlab, netlabAsync, netlabAwait, netlabBin, residue, until } from '../helpers/lab.js';
import { haveRegistry, makeCertificate, pushLayout, startConnectProxy, startProxy, startRegistry, type ConnectProxy, type TestProxy, type TestRegistry } from '../helpers/registry.js';

describe('image pulls from a registry', function () {
  leakcheckAround();
  this.timeout(180_000);
  let base = '';
  let reg: TestRegistry | undefined;
  let proxy: TestProxy | undefined;
  let manifestDigest = '';
  let bigLayer = '';
  let smallLayers: string[] = [];
  let badLayer = '';
  // The same images with uncompressed layers: netlab-unpack downloads those itself (native/fetch-blob.c).
  let bigPlainLayer = '';
  let smallPlainLayers: string[] = [];
  let badPlainLayer = '';
  let plainLayers: string[] = [];
  let plainManifest = '';

  before(async function () {
    requireRoot(this);
    if (!haveRegistry()) skip(this, 'docker-registry is not installed (scripts/install-deps installs it)');
    if (!haveSkopeo()) skip(this, 'skopeo is not installed (scripts/install-deps installs it)');
    base = mkdtempSync(join(tmpdir(), 'netlab-imgreg-'));
    reg = await startRegistry();
    proxy = await startProxy(reg.host);
    const busybox = tarOfDir(busyboxRoot(join(base, 'bbroot')));
    const top = await tarOf([{ name: 'etc/motd', content: 'from the registry\n' }]);
    // 8 MB that gzip cannot shrink: slow enough through the throttled proxy to interrupt.
    const big = await tarOf([{ name: 'big.bin', content: randomBytes(8 * 1024 * 1024) }]);
    const [w] = writeOciLayout(join(base, 'bb'), [{ layers: [busybox, top], ref: 'bb', run: { Cmd: ['sh'] } }]);
    manifestDigest = w!.manifest;
    const [wb] = writeOciLayout(join(base, 'big'), [{ layers: [busybox, top, big], ref: 'big' }]);
    // A layer of its own (random contents), for the proxy to serve with a changed byte.
    const [wbad] = writeOciLayout(join(base, 'bad'), [{ layers: [top, await tarOf([{ name: 'data.bin', content: randomBytes(64 * 1024) }])], ref: 'bad' }]);
    badLayer = wbad!.layerDigests[1]!;
    bigLayer = wb!.layerDigests[2]!;
    smallLayers = wb!.layerDigests.slice(0, 2);
    const [wp] = writeOciLayout(join(base, 'plain'), [{ layers: [busybox, top], gzip: false, ref: 'plain', run: { Cmd: ['sh'] } }]);
    plainLayers = wp!.layerDigests;
    plainManifest = wp!.manifest;
    const [wbp] = writeOciLayout(join(base, 'bigplain'), [{ layers: [busybox, top, big], gzip: false, ref: 'bigplain' }]);
    bigPlainLayer = wbp!.layerDigests[2]!;
    smallPlainLayers = wbp!.layerDigests.slice(0, 2);
    const [wbadp] = writeOciLayout(join(base, 'badplain'), [{ layers: [top, await tarOf([{ name: 'data.bin', content: randomBytes(64 * 1024) }])], gzip: false, ref: 'badplain' }]);
    badPlainLayer = wbadp!.layerDigests[1]!;
    // Pushed as they are (skopeo would compress them on the way to a registry).
    for (const [w, name] of [[wp, 'plain'], [wbp, 'bigplain'], [wbadp, 'badplain']] as const) await pushLayout(reg.host, join(base, name), w!.manifest, `lab/${name}:1`);
    writeMultiArchLayout(join(base, 'multi'), [{ layers: [busybox, top], architecture: 'arm64' }, { layers: [busybox, top], architecture: 'amd64' }], 'multi');
    writeMultiArchLayout(join(base, 'armonly'), [{ layers: [top], architecture: 'arm64' }, { layers: [top], architecture: 'riscv64' }], 'armonly');
    for (const [dir, ref, all] of [['bb', 'bb', false], ['big', 'big', false], ['multi', 'multi', true], ['armonly', 'armonly', true], ['bad', 'bad', false]] as const) {
      skopeo(['copy', ...(all ? ['--all'] : []), '--dest-tls-verify=false', `oci:${join(base, dir)}:${ref}`, `docker://${reg.host}/lab/${dir}:1`]);
    }
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  /** Pids of netlab-unpack processes writing into `store`. */
  const unpackersOf = (store: string): number[] => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0'); return argv[0]!.endsWith('netlab-unpack') && argv[1]!.startsWith(store); } catch { return false; }
  }).map(Number);

  let n = 0;
  const freshStore = (): string => join(base, `store${++n}`);

  it('pulls by tag, and again by digest without downloading a layer twice', async () => {
    const store = freshStore();
    const rec = await pullImage(`${proxy!.host}/lab/bb:1`, { store, insecure: true });
    expect(rec.refs).to.deep.equal([`${proxy!.host}/lab/bb:1`]);
    expect(rec.manifest).to.equal(manifestDigest);
    const before = new Map(proxy!.blobGets);
    const again = await pullImage(`${proxy!.host}/lab/bb@${manifestDigest}`, { store, insecure: true });
    expect(again.id).to.equal(rec.id);
    for (const d of rec.layers) expect(proxy!.blobGets.get(d) ?? 0).to.equal(before.get(d) ?? 0);
    const r = await resolveImage(`${proxy!.host}/lab/bb@${manifestDigest}`, { store, pull: 'never' });
    expect(r.lowerDirs).to.have.length(2);
  });

  it('picks this machine\'s image from a multi-platform index', async () => {
    const rec = await pullImage(`${reg!.host}/lab/multi:1`, { store: freshStore(), insecure: true });
    expect(rec.platform).to.equal('linux/amd64');
  });

  it('refuses an image that exists only for other machines, naming their platforms (exit 2)', () => {
    const store = freshStore();
    const r = netlab(['image', 'pull', '--insecure', `${reg!.host}/lab/armonly:1`], { NETLAB_STORE: store });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('has no image for this machine (linux/amd64)').and.contain('linux/arm64').and.contain('linux/riscv64');
    expect(existsSync(join(store, 'layers')) ? readdirSync(join(store, 'layers')) : []).to.deep.equal([]);
  });

  it('says an unknown tag is unknown (exit 2), and an unreachable registry is the network (exit 1)', () => {
    const store = freshStore();
    const r = netlab(['image', 'pull', '--insecure', `${reg!.host}/lab/bb:nope`], { NETLAB_STORE: store });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/error: .*lab\/bb: tag nope not found/);
    expect(r.stderr).to.contain('hint:');
    const down = netlab(['image', 'pull', '--insecure', '127.0.0.1:9/lab/bb:1'], { NETLAB_STORE: store });
    expect(down.code).to.equal(1);
    expect(down.stderr).to.contain('cannot reach http://127.0.0.1:9');
  });

  it('says a repository the registry does not have is missing (exit 2), and stores nothing', () => {
    const store = freshStore();
    const r = netlab(['image', 'pull', '--insecure', `${reg!.host}/lab/nosuch:1`], { NETLAB_STORE: store });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/error: .*lab\/nosuch.*(no such repository|not found)/);
    expect(r.stderr).to.contain('hint:');
    expect(existsSync(join(store, 'layers')) ? readdirSync(join(store, 'layers')) : []).to.deep.equal([]);
  });

  it('refuses plain HTTP to a registry that is not on this machine', () => {
    const r = netlab(['image', 'pull', '--insecure', 'registry.example.com/x:1'], { NETLAB_STORE: freshStore() });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('--insecure (plain HTTP) is allowed only for a registry on this machine');
  });

  it('logs in with the credentials in auth.json when the registry asks for a token', async () => {
    const tokenProxy = await startProxy(reg!.host, { token: { user: 'ann', password: 's3cret' } });
    try {
      const denied = await netlabAwait(['image', 'pull', '--insecure', `${tokenProxy.host}/lab/bb:1`], { NETLAB_STORE: freshStore(), REGISTRY_AUTH_FILE: join(base, 'none.json') });
      expect(denied.code).to.equal(2);
      expect(denied.stderr).to.contain('access denied');
      const auth = join(base, 'auth.json');
      writeFileSync(auth, JSON.stringify({ auths: { [tokenProxy.host]: { auth: Buffer.from('ann:s3cret').toString('base64') } } }));
      const ok = await netlabAwait(['image', 'pull', '--insecure', `${tokenProxy.host}/lab/bb:1`], { NETLAB_STORE: freshStore(), REGISTRY_AUTH_FILE: auth });
      expect(ok.code, ok.stderr).to.equal(0);
      expect(tokenProxy.unauthorized).to.be.greaterThan(0);
    } finally {
      await tokenProxy.stop();
    }
  });

  it('asks for a new token when the one it holds has expired, as a long pull outlives Docker Hub\'s five minutes', async () => {
    const tokenProxy = await startProxy(reg!.host, { token: { user: 'ann', password: 's3cret' } });
    try {
      const client = new RegistryClient(tokenProxy.host, 'lab/plain', { insecure: true, credentials: { username: 'ann', password: 's3cret' } });
      const m = await client.manifest('1');
      const config = (JSON.parse(m.bytes.toString()) as { config: { digest: string } }).config.digest;
      tokenProxy.expireTokens();
      const refused = tokenProxy.unauthorized;
      const bytes = await client.smallBlob(parseDigest(config)!, 'its config');
      expect(bytes.length).to.be.greaterThan(0);
      expect(tokenProxy.unauthorized - refused, 'the expired token was refused once, then a new one served').to.equal(1);
      // A token the registry refuses again (no access at all) still ends as "access denied", after one more try.
      tokenProxy.expireTokens();
      const denied = new RegistryClient(tokenProxy.host, 'lab/plain', { insecure: true, credentials: { username: 'ann', password: 'wrong' } });
      await denied.manifest('1').then(() => expect.fail('a wrong password must not pull'), (err: Error) => expect(err.message).to.contain('access denied'));
    } finally {
      await tokenProxy.stop();
    }
  });

  it('prints each layer as it is pulled, then the layers already in the store (output to a pipe)', async () => {
    const store = freshStore();
    const ref = `${reg!.host}/lab/bb:1`;
    const first = await netlabAwait(['image', 'pull', '--insecure', ref], { NETLAB_STORE: store });
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stderr.split('\n').filter((l) => l.startsWith(`pull ${ref}: layer`))).to.have.length(2);
    expect(first.stderr).to.match(new RegExp(`pull ${ref.replace(/\./g, '\\.')}: layer 1/2 [0-9.]+ (?:B|KB|MB) done`));
    expect(first.stderr).to.match(/: layer 2\/2 [0-9.]+ (?:B|KB|MB) done/);
    expect(first.stdout).to.match(/pulled/).and.contain('2 layers');
    const again = await netlabAwait(['image', 'pull', '--insecure', ref], { NETLAB_STORE: store });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stderr).to.contain(`pull ${ref}: layer 1/2 already in the store`).and.contain(`pull ${ref}: layer 2/2 already in the store`);
  });

  it('shows one live progress line on a terminal, with bytes so far, ending in a tick', async function () {
    if (spawnSync('sh', ['-c', 'command -v script']).status !== 0) skip(this, 'script (util-linux) is not installed: no terminal to test with');
    proxy!.rate = 4 * 1024 * 1024;
    try {
      const ref = `${proxy!.host}/lab/big:1`;
      const cmd = `NETLAB_STORE=${freshStore()} NO_COLOR=1 ${netlabBin} image pull --insecure ${ref}`;
      const r = await new Promise<string>((resolve) => {
        const c = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        c.stdout.on('data', (b: Buffer) => { out += b.toString(); });
        c.on('close', () => resolve(out));
      });
      const frames = r.split('\r').map((f) => f.replace(/\x1b\[K/g, '').trim()).filter(Boolean);
      const sizes = new Set(frames.map((f) => /2\/3 layers {2}([0-9.]+ (?:B|KB|MB))\/[0-9.]+ MB/.exec(f)?.[1]).filter(Boolean));
      expect(sizes.size, r).to.be.greaterThan(2); // the big layer's bytes, seen growing
      expect(frames.some((f) => f.includes('reading the manifest')), r).to.equal(true);
      expect(r).to.match(new RegExp(`✓ pull ${ref.replace(/\./g, '\\.')} {2}3 layers`));
      expect(r).to.contain('pulled');
    } finally {
      proxy!.rate = 0;
    }
  });

  it('refuses a blob whose digest does not match, naming the layer (exit 1), and keeps nothing of it', async () => {
    const store = freshStore();
    const ref = `${proxy!.host}/lab/bad:1`;
    proxy!.corrupt.add(badLayer);
    try {
      const r = await netlabAwait(['image', 'pull', '--insecure', '-q', ref], { NETLAB_STORE: store });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.contain(`error: layer 2 of 2 (${badLayer}) of ${ref}`).and.contain('digest mismatch').and.contain('hint:');
      expect(r.stderr).not.to.match(/\n\s+at /); // no stack trace
    } finally {
      proxy!.corrupt.delete(badLayer);
    }
    expect(listImages({ store }).images).to.deep.equal([]);
    expect(readdirSync(join(store, 'tmp'))).to.deep.equal([]);
    const layers = existsSync(join(store, 'layers')) ? readdirSync(join(store, 'layers')) : [];
    expect(layers).to.have.length.below(2); // at most the good layer, complete
    const again = await netlabAwait(['image', 'pull', '--insecure', '-q', ref], { NETLAB_STORE: store });
    expect(again.code, again.stderr).to.equal(0);
    expect((await resolveImage(ref, { store, pull: 'never' })).lowerDirs).to.have.length(2);
  });

  describe('uncompressed layers, downloaded by netlab-unpack itself', function () {
    it('downloads them with libcurl straight into the store, to the same layers Node\'s client makes of the gzip image', async () => {
      const store = freshStore();
      const ref = `${proxy!.host}/lab/plain:1`;
      const r = await netlabAwait(['image', 'pull', '--insecure', '-q', ref], { NETLAB_STORE: store });
      expect(r.code, r.stderr).to.equal(0);
      for (const d of plainLayers) expect(proxy!.blobAgents.get(d), d).to.deep.equal(['netlab']);
      const rec = (await resolveImage(ref, { store, pull: 'never' }));
      expect(rec.lowerDirs).to.have.length(2);
      // The layers' diff_ids (the uncompressed tars' SHA-256, computed by netlab-unpack here) are those of the gzip image.
      const gz = await pullImage(`${reg!.host}/lab/bb:1`, { store, insecure: true });
      expect((await pullImage(ref, { store, insecure: true })).layers).to.deep.equal(gz.layers);
      expect(readdirSync(join(store, 'layers'))).to.have.length(2);
      expect(readFileSync(join(rec.lowerDirs[0]!, 'etc/motd'), 'utf8')).to.equal('from the registry\n');
    });

    it('reads them through Node\'s client when libcurl cannot be loaded, and stores the same image', async () => {
      const store = freshStore();
      const ref = `${proxy!.host}/lab/plain:1`;
      const before = plainLayers.map((d) => proxy!.blobAgents.get(d)?.length ?? 0);
      const r = await netlabAwait(['image', 'pull', '--insecure', '-q', ref], { NETLAB_STORE: store, NETLAB_LIBCURL: 'libcurl-not-installed.so.4' });
      expect(r.code, r.stderr).to.equal(0);
      plainLayers.forEach((d, i) => {
        const agents = proxy!.blobAgents.get(d)!.slice(before[i]);
        expect(agents, d).to.have.length(1); // one download: netlab-unpack asked nothing before giving up
        expect(agents[0]).to.not.equal('netlab');
      });
      expect((await resolveImage(ref, { store, pull: 'never' })).lowerDirs).to.have.length(2);
    });

    it('refuses one whose digest does not match, naming the layer (exit 1), and keeps nothing of it', async () => {
      const store = freshStore();
      const ref = `${proxy!.host}/lab/badplain:1`;
      proxy!.corrupt.add(badPlainLayer);
      proxy!.corruptAt = 512 + 32 * 1024; // inside data.bin: the tar still reads well, only the digest can tell
      try {
        const r = await netlabAwait(['image', 'pull', '--insecure', '-q', ref], { NETLAB_STORE: store });
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stderr).to.contain(`error: layer 2 of 2 (${badPlainLayer}) of ${ref}`).and.contain('digest mismatch').and.contain('hint:');
        expect(r.stderr).not.to.match(/\n\s+at /);
        expect(proxy!.blobAgents.get(badPlainLayer)!.at(-1)).to.equal('netlab');
      } finally {
        proxy!.corrupt.delete(badPlainLayer);
        proxy!.corruptAt = 4;
      }
      expect(listImages({ store }).images).to.deep.equal([]);
      expect(readdirSync(join(store, 'tmp'))).to.deep.equal([]);
    });

    it('says a blob the registry has lost is not found (exit 2, the registry\'s error code), and keeps nothing of it', async () => {
      const store = freshStore();
      const ref = `${proxy!.host}/lab/plain:1`;
      proxy!.missing.add(plainLayers[1]!);
      try {
        const r = await netlabAwait(['image', 'pull', '--insecure', '-q', ref], { NETLAB_STORE: store });
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr).to.contain('layer 2 not found (HTTP 404 BLOB_UNKNOWN)').and.contain('hint:');
      } finally {
        proxy!.missing.delete(plainLayers[1]!);
      }
      expect(listImages({ store }).images).to.deep.equal([]);
      expect(readdirSync(join(store, 'tmp'))).to.deep.equal([]);
    });

    it('sends the token the registry client earned, as a header only netlab-unpack sees', async () => {
      const tokenProxy = await startProxy(reg!.host, { token: { user: 'ann', password: 's3cret' } });
      try {
        const auth = join(base, 'auth-plain.json');
        writeFileSync(auth, JSON.stringify({ auths: { [tokenProxy.host]: { auth: Buffer.from('ann:s3cret').toString('base64') } } }));
        const ok = await netlabAwait(['image', 'pull', '--insecure', '-q', `${tokenProxy.host}/lab/plain:1`], { NETLAB_STORE: freshStore(), REGISTRY_AUTH_FILE: auth });
        expect(ok.code, ok.stderr).to.equal(0);
        for (const d of plainLayers) expect(tokenProxy.blobAgents.get(d), d).to.deep.equal(['netlab']);
      } finally {
        await tokenProxy.stop();
      }
    });
  });

  describe('HTTPS and proxies', function () {
    // A registry with a certificate for a name no resolver knows: only the proxy can reach it.
    const name = 'registry.netlab-test.invalid';
    let tlsReg: TestRegistry | undefined;
    let tunnel: ConnectProxy | undefined;
    let ca = '';
    const saved: Record<string, string | undefined> = {};
    const vars = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
    const port = (): string => tlsReg!.host.split(':')[1]!;

    before(async function () {
      if (spawnSync('sh', ['-c', 'command -v openssl']).status !== 0) skip(this, 'openssl is not installed (scripts/install-deps installs it)');
      for (const v of vars) { saved[v] = process.env[v]; delete process.env[v]; } // the tests set them one by one
      const dir = mkdtempSync(join(base, 'tls-'));
      const cert = makeCertificate(dir, [name, '127.0.0.1']);
      ca = cert.cert;
      tlsReg = await startRegistry({ tls: cert, accessLog: true });
      skopeo(['copy', '--dest-tls-verify=false', `oci:${join(base, 'bb')}:bb`, `docker://${tlsReg.host}/lab/bb:1`]);
      await pushLayout(tlsReg.host, join(base, 'plain'), plainManifest, 'lab/plain:1', { ca });
      tunnel = await startConnectProxy(tlsReg.host);
    });
    after(async () => {
      for (const v of vars) if (saved[v] !== undefined) process.env[v] = saved[v];
      await tunnel?.stop();
      await tlsReg?.stop();
    });

    it('pulls over HTTPS through the proxy HTTPS_PROXY names (a CONNECT tunnel), and https_proxy too', async () => {
      const ref = `${name}:${port()}/lab/bb:1`;
      const direct = await netlabAwait(['image', 'pull', '-q', ref], { NETLAB_STORE: freshStore(), NODE_EXTRA_CA_CERTS: ca });
      expect(direct.code, direct.stderr).to.equal(1); // the name resolves nowhere: only the proxy reaches it
      expect(direct.stderr).to.contain(`cannot reach https://${name}`);
      for (const v of ['HTTPS_PROXY', 'https_proxy']) {
        const before = tunnel!.connects.length;
        const r = await netlabAwait(['image', 'pull', '-q', ref], { NETLAB_STORE: freshStore(), NODE_EXTRA_CA_CERTS: ca, [v]: `http://${tunnel!.host}` });
        expect(r.code, `${v}: ${r.stderr}`).to.equal(0);
        expect(tunnel!.connects.slice(before), v).to.include(`${name}:${port()}`);
      }
    });

    it('has netlab-unpack download uncompressed layers over HTTPS through the same tunnel, trusting the CA Node trusts', async () => {
      const ref = `${name}:${port()}/lab/plain:1`;
      const before = { connects: tunnel!.connects.length, requests: tlsReg!.requests().length };
      const r = await netlabAwait(['image', 'pull', '-q', ref], { NETLAB_STORE: freshStore(), NODE_EXTRA_CA_CERTS: ca, HTTPS_PROXY: `http://${tunnel!.host}` });
      expect(r.code, r.stderr).to.equal(0);
      // Every layer came from netlab-unpack (its User-Agent), once: none fell back to Node's client.
      const gets = tlsReg!.requests().slice(before.requests).filter((q) => q.method === 'GET' && plainLayers.some((d) => q.path.endsWith(`/blobs/${d}`)));
      expect(gets.map((q) => [q.status, q.agent])).to.deep.equal(plainLayers.map(() => [200, 'netlab']));
      expect(tunnel!.connects.length - before.connects).to.be.greaterThan(plainLayers.length); // all through the tunnel
    });

    it('goes around the proxy for a host NO_PROXY names', async () => {
      const before = tunnel!.connects.length;
      const r = await netlabAwait(['image', 'pull', '-q', `${name}:${port()}/lab/bb:1`], {
        NETLAB_STORE: freshStore(), NODE_EXTRA_CA_CERTS: ca, HTTPS_PROXY: `http://${tunnel!.host}`, NO_PROXY: `localhost,.netlab-test.invalid`,
      });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.contain(`cannot reach https://${name}`);
      expect(tunnel!.connects.length).to.equal(before);
    });

    it('reaches a registry on this machine directly, whatever the proxy variables say (as Docker and skopeo do)', async () => {
      const before = { connects: tunnel!.connects.length, forwarded: proxy!.forwarded };
      const env = { HTTPS_PROXY: `http://${tunnel!.host}`, HTTP_PROXY: `http://${proxy!.host}`, NODE_EXTRA_CA_CERTS: ca };
      const https = await netlabAwait(['image', 'pull', '-q', `127.0.0.1:${port()}/lab/bb:1`], { NETLAB_STORE: freshStore(), ...env });
      expect(https.code, https.stderr).to.equal(0);
      const http = await netlabAwait(['image', 'pull', '-q', '--insecure', `${reg!.host}/lab/bb:1`], { NETLAB_STORE: freshStore(), ...env });
      expect(http.code, http.stderr).to.equal(0);
      expect(tunnel!.connects.length).to.equal(before.connects);
      expect(proxy!.forwarded).to.equal(before.forwarded);
    });
  });

  // Layers gzip'd (read by Node's client) and uncompressed (downloaded by netlab-unpack): both must stop and resume cleanly.
  for (const variant of [
    { what: '', image: 'big', big: (): string => bigLayer, small: (): string[] => smallLayers },
    { what: ', uncompressed layers', image: 'bigplain', big: (): string => bigPlainLayer, small: (): string[] => smallPlainLayers },
  ]) describe(`interrupted and concurrent pulls (a slow registry${variant.what})`, function () {
    beforeEach(() => { proxy!.rate = 2 * 1024 * 1024; });
    afterEach(() => { proxy!.rate = 0; });
    const ref = (): string => `${proxy!.host}/lab/${variant.image}:1`;
    const bigTmp = (store: string): string[] => {
      try { return readdirSync(join(store, 'tmp')).filter((f) => f.startsWith('layer-')); } catch { return []; }
    };

    it('makes one download when two pulls of the same image run at once', async () => {
      const store = freshStore();
      const before = proxy!.blobGets.get(variant.big()) ?? 0;
      const a = netlabAsync(['image', 'pull', '--insecure', '-q', ref()], { NETLAB_STORE: store });
      const b = netlabAsync(['image', 'pull', '--insecure', '-q', ref()], { NETLAB_STORE: store });
      const [ca, cb] = await Promise.all([exited(a), exited(b)]);
      expect([ca, cb]).to.deep.equal([0, 0]);
      expect((proxy!.blobGets.get(variant.big()) ?? 0) - before).to.equal(1);
      expect(listImages({ store }).images).to.have.length(1);
    });

    // Once is enough: how up waits for a pull does not depend on how layers are read.
    if (!variant.what) it('makes one download when two labs come up on the same missing image at once', async () => {
      const store = freshStore();
      const before = proxy!.blobGets.get(variant.big()) ?? 0;
      const labs = ['t-img-up2a', 't-img-up2b'];
      const files = labs.map((name) => {
        const f = join(base, `${name}.yaml`);
        writeFileSync(f, `name: ${name}\nnodes:\n  h1: { image: "${ref()}" }\nlinks: []\n`);
        return f;
      });
      try {
        const [a, b] = await Promise.all(files.map((f) => netlabAwait(['up', '-q', '--insecure', f], { NETLAB_STORE: store })));
        expect(a!.code, a!.stderr).to.equal(0);
        expect(b!.code, b!.stderr).to.equal(0);
        expect((proxy!.blobGets.get(variant.big()) ?? 0) - before).to.equal(1);
        expect(listImages({ store }).images).to.have.length(1);
        const ls = await netlabAwait(['exec', '--lab', labs[0]!, 'h1', '--', 'ls', '/big.bin'], {});
        expect(ls.stdout, `exit ${ls.code}: ${ls.stderr}`).to.equal('/big.bin\n');
      } finally {
        for (const l of labs) netlab(['down', l]);
      }
      for (const l of labs) expect(residue(l), l).to.deep.equal([]);
    });

    it('stops with exit 130 and keeps no broken layer when Ctrl-C reaches the whole process group, as a terminal sends it', async () => {
      const store = freshStore();
      // A group of its own (detached): the SIGINT goes to netlab and to the helpers it started, as from a terminal.
      const child = spawn(netlabBin, ['image', 'pull', '--insecure', '-q', ref()], { env: { ...process.env, NO_COLOR: '1', NETLAB_STORE: store }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
      await until(() => bigTmp(store).length > 0 && readdirSync(join(store, 'layers')).length >= 2, 60_000, 'the big layer to be half-way');
      process.kill(-child.pid!, 'SIGINT');
      const code = await exited(child);
      expect(code, stderr).to.equal(130);
      expect(stderr).to.contain('interrupted by SIGINT');
      expect(bigTmp(store)).to.deep.equal([]);
      expect(listImages({ store }).images).to.deep.equal([]);
      expect(readdirSync(join(store, 'layers'))).to.have.length(2);
    });

    for (const sig of ['SIGINT', 'SIGKILL'] as const) {
      it(`goes on after a pull killed by ${sig} half-way, keeping the layers it finished and no broken one`, async () => {
        const store = freshStore();
        const child = netlabAsync(['image', 'pull', '--insecure', '-q', ref()], { NETLAB_STORE: store });
        let stderr = '';
        child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
        await until(() => bigTmp(store).length > 0 && readdirSync(join(store, 'layers')).length >= 2, 60_000, 'the big layer to be half-way');
        child.kill(sig);
        const code = await exited(child);
        expect(code).to.equal(sig === 'SIGINT' ? 130 : 128 + 9);
        // Its netlab-unpack does not outlive it (a download would go on writing into the store's tmp).
        await until(() => unpackersOf(store).length === 0, 1_000, 'netlab-unpack to end with netlab');
        if (sig === 'SIGINT') {
          expect(stderr).to.contain('interrupted by SIGINT');
          expect(bigTmp(store)).to.deep.equal([]);
        }
        expect(listImages({ store }).images).to.deep.equal([]);
        const smallBefore = variant.small().map((d) => proxy!.blobGets.get(d) ?? 0);
        proxy!.rate = 0;
        const again = await netlabAwait(['image', 'pull', '--insecure', '-q', ref()], { NETLAB_STORE: store });
        expect(again.code, again.stderr).to.equal(0);
        expect(variant.small().map((d) => proxy!.blobGets.get(d) ?? 0)).to.deep.equal(smallBefore);
        expect(bigTmp(store)).to.deep.equal([]);
        const r = await resolveImage(ref(), { store, pull: 'never' });
        expect(r.lowerDirs).to.have.length(3);
      });
    }
  });

});
