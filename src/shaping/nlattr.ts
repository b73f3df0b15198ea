/**
 * Netlink attributes (struct nlattr, include/uapi/linux/netlink.h) as the tc
 * encoders need them: a 4-byte header (u16 length including the header, u16
 * type) and a payload padded to 4 bytes. Host byte order, as the kernel expects
 * for rtnetlink. Pure functions on Buffers.
 */

/** NLA_F_NESTED | NLA_F_NET_BYTEORDER: flag bits in nla_type. */
export const NLA_TYPE_MASK = 0x3fff;

/** Bytes of padding after `len` bytes so the next attribute starts on a 4-byte boundary. */
export function nlaPad(len: number): number {
  return (4 - (len % 4)) % 4;
}

/** One attribute: header, payload, zero padding. */
export function nla(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc(len + nlaPad(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

/** A u32 in host (little-endian) byte order. */
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(clampU32(v), 0);
  return b;
}

/** A u64 in host byte order; `v` may be a number up to 2^53 or a bigint. */
export function u64(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v), 0);
  return b;
}

/** An s64 in host byte order. */
export function s64(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(v), 0);
  return b;
}

/** Truncates to an unsigned 32-bit integer, saturating at 0 and 2^32 - 1 (what the kernel's min_t(..., ~0U) does). */
export function clampU32(v: number): number {
  if (!(v > 0)) return 0;
  return v >= 0xffffffff ? 0xffffffff : Math.trunc(v);
}

/**
 * Splits an attribute stream into type → payload (the last one wins when a type
 * repeats). Flag bits are masked off the type.
 */
export function parseNlas(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.set(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += len + nlaPad(len);
  }
  return out;
}

/** Reads a u64 payload as a number (exact below 2^53, which covers every counter and rate here). */
export function readU64(b: Buffer, off = 0): number {
  return Number(b.readBigUInt64LE(off));
}
