/**
 * Netlink attributes: the one encoder and decoder every netlab message uses
 * (links, addresses, routes, and tc's qdiscs, classes and filters).
 *
 * An attribute is `struct nlattr { u16 nla_len; u16 nla_type; }` followed by
 * the payload, padded with zeros to 4 bytes (NLA_ALIGNTO); nla_len counts
 * header + payload but not the padding (include/uapi/linux/netlink.h). Host
 * byte order: this file assumes little-endian, as every Linux machine netlab
 * supports (x86-64, arm64). Pure functions on Buffers.
 *
 * Integers are checked, not wrapped or clamped: a value that does not fit its
 * field is a bug in the caller (user input is checked with a TopologyError
 * long before it is encoded), and sending a silently changed number to the
 * kernel would be worse. Where tc itself saturates (a rate of 2^32 bytes/s or
 * more in a 32-bit field, ticks), src/shaping/tcmath.ts says so with clampU32.
 */

/** NLA_F_NESTED: set on attributes that contain attributes (the kernel's strict checks want it on some). */
export const NLA_F_NESTED = 0x8000;
/** NLA_F_NESTED | NLA_F_NET_BYTEORDER cleared: the attribute type proper. */
export const NLA_TYPE_MASK = 0x3fff;

/** Bytes of padding after `len` bytes so that the next attribute starts on a 4-byte boundary. */
export function nlaPad(len: number): number {
  return (4 - (len % 4)) % 4;
}

/** One attribute: 4-byte header, payload, zero padding to a multiple of 4. */
export function attr(type: number, payload: Uint8Array): Buffer {
  const len = 4 + payload.length;
  if (len > 0xffff) throw new RangeError(`netlink attribute ${type}: payload of ${payload.length} bytes does not fit nla_len (u16)`);
  const out = Buffer.alloc(len + nlaPad(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  out.set(payload, 4);
  return out;
}

/** An attribute whose payload is the concatenation of `children` (already encoded attributes, or a struct then attributes). */
export function nested(type: number, children: Uint8Array[], flagNested = false): Buffer {
  return attr(flagNested ? type | NLA_F_NESTED : type, Buffer.concat(children));
}

/** A NUL-terminated string payload (NLA_STRING / NLA_NUL_STRING). */
export function strz(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${v} does not fit ${what}`);
}

/** A u8 payload. @throws RangeError outside 0..255. */
export function u8(n: number): Buffer {
  checkInt(n, 0, 0xff, 'u8');
  return Buffer.from([n]);
}

/** A u16 payload, host byte order. @throws RangeError outside 0..65535. */
export function u16(n: number): Buffer {
  checkInt(n, 0, 0xffff, 'u16');
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** A u32 payload, host byte order. @throws RangeError outside 0..2^32 - 1 or not an integer. */
export function u32(n: number): Buffer {
  checkInt(n, 0, 0xffffffff, 'u32');
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** An s32 payload, host byte order. @throws RangeError outside -2^31..2^31 - 1. */
export function s32(n: number): Buffer {
  checkInt(n, -0x80000000, 0x7fffffff, 's32');
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

/** A u64 payload, host byte order; `v` a number up to 2^53 or a bigint. @throws RangeError when negative or not an integer. */
export function u64(v: number | bigint): Buffer {
  if (typeof v === 'number') checkInt(v, 0, Number.MAX_SAFE_INTEGER, 'u64 (as a number)');
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}

/** An s64 payload, host byte order. @throws RangeError when not an integer. */
export function s64(v: number | bigint): Buffer {
  if (typeof v === 'number') checkInt(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 's64 (as a number)');
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(v));
  return b;
}

/** A decoded attribute: its type (flag bits cleared) and payload (a view into the buffer). */
export interface NlAttr {
  type: number;
  data: Buffer;
}

/**
 * Splits a buffer of attributes into a list, in order. Stops at the first
 * malformed header (length < 4 or past the end) instead of throwing: the kernel
 * may add attributes netlab does not know, never malformed ones.
 */
export function parseAttrs(buf: Buffer): NlAttr[] {
  const out: NlAttr[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.push({ type: buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, data: buf.subarray(off + 4, off + len) });
    off += len + nlaPad(len);
  }
  return out;
}

/** The attributes of `buf` by type (the last one wins when a type repeats). */
export function attrMap(buf: Buffer): Map<number, Buffer> {
  return new Map(parseAttrs(buf).map((a) => [a.type, a.data]));
}

/** The first attribute of `type` in `buf`, or undefined. */
export function findAttr(buf: Buffer, type: number): Buffer | undefined {
  return parseAttrs(buf).find((a) => a.type === type)?.data;
}

/** Reads a NUL-terminated string payload. */
export function readStrz(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('utf8', 0, nul < 0 ? data.length : nul);
}

/** Reads a u64 payload as a number (exact below 2^53, which covers every counter and rate netlab reads). */
export function readU64(b: Buffer, off = 0): number {
  return Number(b.readBigUInt64LE(off));
}
