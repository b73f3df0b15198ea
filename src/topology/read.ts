/**
 * Reading the text files a lab is made of (the topology, a tests file) the
 * way a careful tool does: only a regular file (a FIFO, a device such as
 * /dev/zero or a directory is refused before a byte is read: a FIFO would
 * block, /dev/zero never ends), at most MAX_FILE_BYTES, and only valid UTF-8
 * (a byte that is not is refused with its line and column, instead of being
 * turned into U+FFFD silently). A UTF-8 byte-order mark is dropped; a UTF-16
 * file is refused with the command that converts it.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { TopologyError } from '../errors.js';

/** Largest file netlab reads as a topology or tests file: 16 MiB (a 100,000-link lab is ~4 MiB). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** What the file is, for messages: "topology", "tests file". */
export type FileRole = 'topology' | 'tests file';

/**
 * The text of a regular file of at most `maxBytes`, decoded as UTF-8.
 * @param where the error path: the file name as given (whole-file errors), or the key that names the file (`tests`).
 * @throws TopologyError (exit 2) when the path is empty, missing, unreadable,
 *   not a regular file, too large, or not UTF-8.
 */
export function readTextFile(path: string, role: FileRole, where: string = path, maxBytes = MAX_FILE_BYTES): string {
  const hint = role === 'topology' ? 'give the path of a topology .yaml file' : 'tests: takes a list of tests or the path of a YAML file with one, relative to the topology file';
  if (path === '') throw new TopologyError(where || 'FILE', `no ${role} given: the path is empty`, hint);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const what = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code;
    throw new TopologyError(where, `cannot read the ${role}${where === path ? '' : ` ${path}`}: ${what}`, hint);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new TopologyError(where, `cannot read the ${role}${where === path ? '' : ` ${path}`}: it is ${kind}, not a file`, hint);
    }
    if (st.size > maxBytes) {
      throw new TopologyError(where, `the ${role}${where === path ? '' : ` ${path}`} is ${st.size} bytes; netlab reads at most ${maxBytes} (${maxBytes / 1024 / 1024} MiB)`,
        'a lab file is text of a few KB to a few MB; check that this is the right file');
    }
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return decodeUtf8(buf.subarray(0, got), role, where);
  } finally {
    closeSync(fd);
  }
}

/** Line and column (1-based) of byte `offset` in `buf`, counting characters in the line as UTF-8 sequences. */
function lineColumn(buf: Buffer, offset: number): { line: number; column: number } {
  let line = 1, start = 0;
  for (let i = 0; i < offset; i++) if (buf[i] === 0x0a) { line++; start = i + 1; }
  const column = buf.subarray(start, offset).toString('utf8').length + 1;
  return { line, column };
}

/**
 * `buf` as UTF-8 text, without a leading byte-order mark.
 * @throws TopologyError naming the line and column of the first byte that is not UTF-8.
 */
export function decodeUtf8(buf: Buffer, role: FileRole, where: string): string {
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    throw new TopologyError(where, `the ${role} is UTF-16 text; netlab reads UTF-8`, 'convert it, e.g. iconv -f UTF-16 -t UTF-8 lab.yaml > lab-utf8.yaml');
  }
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(start));
  } catch {
    // The first bad byte: where the text, decoded with U+FFFD for what is not UTF-8 and encoded again, first differs.
    const again = Buffer.from(buf.subarray(start).toString('utf8'), 'utf8');
    let bad = start;
    while (bad < buf.length && buf[bad] === again[bad - start]) bad++;
    const { line, column } = lineColumn(buf, bad);
    throw new TopologyError(where, `the ${role} is not UTF-8 text: byte 0x${buf[bad]!.toString(16).padStart(2, '0')} at line ${line}, column ${column} (byte ${bad})`,
      'save the file as UTF-8 (most editors offer it), or replace that character');
  }
}
