/**
 * Netlink attribute encoding and decoding for the pieces the `netlink` package
 * leaves as raw Buffers (IFLA_LINKINFO, RTA_MULTIPATH, bridge options).
 *
 * An attribute is `struct nlattr { u16 nla_len; u16 nla_type; }` followed by the
 * payload, padded to 4 bytes (NLA_ALIGNTO); nla_len counts header + payload but
 * not the padding (include/uapi/linux/netlink.h). Host byte order: this file
 * assumes little-endian, as every Linux machine netlab supports (x86-64, arm64).
 */

/** NLA_F_NESTED: set on attributes that contain attributes (the kernel's strict checks want it on some). */
export const NLA_F_NESTED = 0x8000;

/** One attribute: 4-byte header, payload, zero padding to a multiple of 4. */
export function attr(type: number, payload: Uint8Array): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  out.set(payload, 4);
  return out;
}

/** An attribute whose payload is the concatenation of `children` (already encoded attributes). */
export function nested(type: number, children: Uint8Array[], flagNested = false): Buffer {
  return attr(flagNested ? type | NLA_F_NESTED : type, Buffer.concat(children));
}

/** A NUL-terminated string payload (NLA_STRING / NLA_NUL_STRING). */
export function strz(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

/** Little-endian u8/u16/u32 payloads. */
export function u8(n: number): Buffer {
  const b = Buffer.alloc(1);
  b.writeUInt8(n);
  return b;
}
export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** A decoded attribute: its type (with NLA_F_NESTED/NLA_F_NET_BYTEORDER cleared) and payload. */
export interface NlAttr {
  type: number;
  data: Buffer;
}

/**
 * Splits a buffer of attributes into a list. Stops at the first malformed
 * header (length < 4 or past the end) instead of throwing: the kernel may add
 * attributes netlab does not know, never malformed ones.
 */
export function parseAttrs(buf: Buffer): NlAttr[] {
  const out: NlAttr[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.push({ type: buf.readUInt16LE(off + 2) & 0x3fff, data: buf.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
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
