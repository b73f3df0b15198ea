/**
 * Live packet lists of `netlab ui`: a capture on a link (the same capture as
 * `netlab capture`, src/observe/capture.ts) whose pcapng is read as it
 * arrives: each packet is summarised (src/observe/packets.ts) and sent to the
 * pages watching the lab, and the stream is written on to a file the page can
 * download, while the capture runs or after it stopped.
 *
 * Bounded whatever the traffic: at most ROWS_PER_FLUSH packets are decoded and
 * sent per FLUSH_MS (the first ones of each window; the others are counted as
 * not shown), the server keeps the last RING_ROWS rows for pages that open
 * later, and the file stops taking packets at maxFileBytes (the count of
 * packets left out is kept). When the server cannot keep up, the pipe from
 * netlab-capture fills, and the kernel drops what its ring cannot hold: that
 * count is reported when the capture ends.
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngReader, summarize } from '../index.js';
import type { UiBackend, UiCapture, UiLab } from './backend.js';
import { errorText } from './live.js';
import type { LiveCaptureInfo, PacketRow, ServerMessage } from './protocol.js';

/** Rows are sent this often, ms. */
export const FLUSH_MS = 250;
/** Packets decoded and sent per flush at most (800 per second); the rest are counted. */
export const ROWS_PER_FLUSH = 200;
/** Rows the server keeps per capture for pages that open it later. */
export const RING_ROWS = 500;
/** The pcapng file of a live capture takes packets up to this size, bytes. */
export const MAX_FILE_BYTES = 64 << 20;
/** A live capture stops by itself after this long unless asked for less, s. */
export const DEFAULT_SECONDS = 600;
/** Live captures running at once, all labs. */
export const MAX_RUNNING = 8;

/** Options of LiveCaptures. */
export interface LiveCaptureOptions {
  maxFileBytes?: number;
  rowsPerFlush?: number;
  flushMs?: number;
}

interface Running {
  info: LiveCaptureInfo;
  lab: string;
  ring: PacketRow[];
  pending: PacketRow[];
  windowRows: number;
  /** Packets counted when the counts were last sent. */
  sentPackets: number;
  reader: PcapngReader;
  fd: number | undefined;
  file: string;
  firstS: number | undefined;
  capture: UiCapture | undefined;
  timer: NodeJS.Timeout | undefined;
  send: (m: ServerMessage) => void;
}

/** Thrown for a request the user can fix (status, message, hint). */
export class CaptureRequestError extends Error {
  constructor(readonly status: number, message: string, readonly hint = '') { super(message); }
}

/** The live captures of one server, every lab. */
export class LiveCaptures {
  private readonly all = new Map<string, Running>();
  private dir: string | undefined;
  private nextId = 1;

  constructor(private readonly backend: UiBackend, private readonly opts: LiveCaptureOptions = {}) {}

  /** The captures of `lab`, with the rows the server still holds, for a page that opens the lab. */
  of(lab: string): { info: LiveCaptureInfo; rows: PacketRow[] }[] {
    return [...this.all.values()].filter((r) => r.lab === lab).map((r) => ({ info: { ...r.info }, rows: [...r.ring] }));
  }

  /**
   * Starts a live capture of `endpoints` (one link's ends) of `lab` for at most
   * `seconds`; messages go to `send` (the lab's pages). A capture of the same
   * link that still runs is stopped first. Resolves once packets are captured.
   * @throws CaptureRequestError (too many at once); UsageError/NetlabError from the capture's start (a bad filter, a dead node).
   */
  async start(lab: UiLab, edge: string, endpoints: string[], o: { seconds?: number; filter?: string }, send: (m: ServerMessage) => void): Promise<LiveCaptureInfo> {
    if (!this.backend.capture) throw new CaptureRequestError(501, 'packet capture is not available');
    for (const r of this.all.values()) if (r.lab === lab.name && r.info.edge === edge && r.info.state === 'running') r.capture?.stop();
    const running = [...this.all.values()].filter((r) => r.info.state === 'running').length;
    if (running >= MAX_RUNNING) throw new CaptureRequestError(429, `${running} live captures run already`, 'stop one (its “stop” button) and start again');
    // A stopped capture of the same link makes room: its file goes.
    for (const [id, r] of this.all) if (r.lab === lab.name && r.info.edge === edge && r.info.state !== 'running') this.forget(id);
    this.dir ??= mkdtempSync(join(tmpdir(), 'netlab-ui-'));
    const id = `c${this.nextId++}`;
    const file = join(this.dir, `${id}.pcapng`);
    const seconds = o.seconds ?? DEFAULT_SECONDS;
    const info: LiveCaptureInfo = {
      id, edge, endpoints, state: 'running', startedAt: new Date().toISOString(), seconds,
      packets: 0, shown: 0, notShown: 0, fileBytes: 0, notInFile: 0,
      ...(o.filter ? { filter: o.filter } : {}),
    };
    const r: Running = {
      info, lab: lab.name, ring: [], pending: [], windowRows: 0, sentPackets: 0, reader: new PcapngReader(), fd: openSync(file, 'w', 0o600), file,
      firstS: undefined, capture: undefined, timer: undefined, send,
    };
    this.all.set(id, r);
    let c: UiCapture;
    try {
      c = this.backend.capture(lab, endpoints, { durationMs: seconds * 1000, ...(o.filter ? { filter: o.filter } : {}) });
    } catch (err) {
      this.forget(id);
      throw err;
    }
    r.capture = c;
    c.stream.on('data', (chunk: Buffer) => this.take(r, chunk));
    c.stream.on('error', () => { /* the end says what happened */ });
    c.stream.once('end', () => this.finish(r));
    c.stream.once('close', () => this.finish(r));
    try {
      await c.ready;
    } catch (err) {
      c.stop();
      this.forget(id);
      throw err;
    }
    r.timer = setInterval(() => this.flush(r), this.opts.flushMs ?? FLUSH_MS);
    r.send({ type: 'capture', lab: r.lab, capture: { ...info } });
    return { ...info };
  }

  /** Stops capture `id` of `lab`; its file stays for download. @throws CaptureRequestError when there is none. */
  stop(lab: string, id: string): void {
    const r = this.all.get(id);
    if (!r || r.lab !== lab) throw new CaptureRequestError(404, `lab ${lab} has no live capture ${id.slice(0, 20)}`);
    r.capture?.stop();
  }

  /** Sends the pcapng of capture `id` as captured so far (whole blocks only: a valid file). */
  download(lab: string, id: string, res: ServerResponse): void {
    const r = this.all.get(id);
    if (!r || r.lab !== lab) throw new CaptureRequestError(404, `lab ${lab} has no live capture ${id.slice(0, 20)}`);
    const size = r.info.fileBytes;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(size),
      'content-disposition': `attachment; filename="${lab}-${r.info.edge}-live.pcapng"`,
      'cache-control': 'no-store',
    });
    if (!size) { res.end(); return; }
    createReadStream(r.file, { start: 0, end: size - 1 }).on('error', () => res.destroy()).pipe(res);
  }

  /** Stops every capture and removes their files (the server stops). */
  close(): void {
    for (const id of [...this.all.keys()]) this.forget(id);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private forget(id: string): void {
    const r = this.all.get(id);
    if (!r) return;
    this.all.delete(id);
    r.capture?.stop();
    if (r.timer) clearInterval(r.timer);
    r.timer = undefined;
    if (r.fd !== undefined) closeSync(r.fd);
    r.fd = undefined;
    rmSync(r.file, { force: true });
  }

  private take(r: Running, chunk: Buffer): void {
    let blocks;
    try {
      blocks = r.reader.push(chunk);
    } catch (err) {
      r.info.error = `the capture is not pcapng: ${errorText(err)}`;
      r.capture?.stop();
      return;
    }
    const max = this.opts.maxFileBytes ?? MAX_FILE_BYTES;
    const perFlush = this.opts.rowsPerFlush ?? ROWS_PER_FLUSH;
    const whole = r.reader.consumed;
    const fits = r.info.fileBytes + whole.length <= max;
    if (fits) this.write(r, whole);
    for (const b of blocks) {
      // A chunk that does not fit goes block by block: packets while they fit, the others (interfaces, statistics) always.
      if (!fits) {
        if (b.kind !== 'packet' || r.info.fileBytes + b.raw.length <= max) this.write(r, b.raw);
        else r.info.notInFile++;
      }
      if (b.kind !== 'packet') continue;
      r.info.packets++;
      r.firstS ??= b.timeS;
      if (r.windowRows >= perFlush) { r.info.notShown++; continue; }
      r.windowRows++;
      const iface = r.reader.iface(b.iface);
      const s = summarize(iface?.linktype ?? 1, b.data);
      r.pending.push({ n: r.info.packets, t: Math.max(0, b.timeS - r.firstS), endpoint: iface?.name ?? '', src: s.src, dst: s.dst, protocol: s.protocol, length: b.length, info: s.info });
    }
  }

  private write(r: Running, bytes: Buffer): void {
    if (r.fd === undefined || !bytes.length) return;
    try {
      writeSync(r.fd, bytes);
      r.info.fileBytes += bytes.length;
    } catch (err) {
      r.info.error = `the file cannot be written: ${errorText(err)}`;
      closeSync(r.fd);
      r.fd = undefined;
    }
  }

  /** Sends the rows of the last window, and the counts. */
  private flush(r: Running): void {
    r.windowRows = 0;
    // Nothing new: nothing sent (the counts move only with packets).
    if (!r.pending.length && r.info.packets === r.sentPackets && r.info.state === 'running') return;
    r.sentPackets = r.info.packets;
    const rows = r.pending;
    r.pending = [];
    r.info.shown += rows.length;
    for (const x of rows) r.ring.push(x);
    if (r.ring.length > RING_ROWS) r.ring.splice(0, r.ring.length - RING_ROWS);
    if (rows.length) r.send({ type: 'packets', lab: r.lab, id: r.info.id, rows });
    r.send({ type: 'capture', lab: r.lab, capture: { ...r.info } });
  }

  private finish(r: Running): void {
    if (r.info.state !== 'running') return;
    this.flush(r);
    r.info.state = 'stopped';
    r.info.stoppedAt = new Date().toISOString();
    if (r.timer) clearInterval(r.timer);
    r.timer = undefined;
    if (r.fd !== undefined) closeSync(r.fd);
    r.fd = undefined;
    const report = r.capture?.done;
    const done = (): void => { if (this.all.get(r.info.id) === r) r.send({ type: 'capture', lab: r.lab, capture: { ...r.info } }); };
    if (!report) { done(); return; }
    report.then((x) => { r.info.kernelDropped = x.dropped; }, (err: unknown) => { r.info.error ??= errorText(err); }).finally(done);
  }
}
