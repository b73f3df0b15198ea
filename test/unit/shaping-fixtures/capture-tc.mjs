#!/usr/bin/env node
// Records what iproute2's `tc` sends to the kernel for a list of commands, so the
// unit tests can compare netlab's encoders with it byte for byte.
//
//   sudo node test/unit/shaping-fixtures/capture-tc.mjs > test/unit/shaping-fixtures/tc-messages.json
//
// Runs every command inside a throw-away network namespace (`unshare --net`, never
// `ip netns add`) under `strace -e write=all`, and keeps, per command, the first
// RTM_NEWQDISC / RTM_NEWTCLASS / RTM_NEWTFILTER message: its flags, the tcmsg
// header and the TCA_KIND / TCA_OPTIONS attributes as hex. Commands the kernel
// refuses (netem, cgroup here) are still recorded: the message is what tc sent.
import { spawnSync } from 'node:child_process';

const commands = [
  'qdisc add dev lo root handle 1: tbf rate 10mbit burst 5000 limit 130000',
  'qdisc add dev lo root handle 1: tbf rate 1mbit burst 3028 limit 15528',
  'qdisc add dev lo root handle 1: tbf rate 40gbit burst 20000000 limit 500000000',
  'qdisc add dev lo root handle 1: htb default 10',
  'class add dev lo parent 1: classid 1:1 htb rate 10mbit ceil 10mbit burst 5000 cburst 5000 quantum 12500 prio 3',
  'class add dev lo parent 1:1 classid 1:11 htb rate 1mbit ceil 2mbit burst 3028 cburst 3028 quantum 3028 prio 0',
  'class add dev lo parent 1: classid 1:1 htb rate 100gbit ceil 100gbit burst 50000000 cburst 50000000 quantum 200000 prio 3',
  'qdisc add dev lo parent 1:1 handle 101: netem limit 1000 delay 30ms 5ms 25% loss 0.01% 50% duplicate 1% corrupt 0.1% reorder 25% 50%',
  'qdisc add dev lo root handle 1: netem loss 0.01%',
  'qdisc add dev lo root handle 1: netem delay 100ms 10ms distribution normal',
  'filter add dev lo parent 1: protocol all prio 1 handle 1 cgroup',
];

const NLMSG = { 36: 'RTM_NEWQDISC', 40: 'RTM_NEWTCLASS', 44: 'RTM_NEWTFILTER' };

function capture(cmd) {
  const r = spawnSync('unshare', ['--net', 'strace', '-f', '-e', 'trace=sendmsg', '-e', 'write=all', '-xx', '-s', '0',
    'sh', '-c', `tc qdisc add dev lo root handle 1: htb >/dev/null 2>&1; exec tc ${cmd}`], { encoding: 'utf8' });
  const lines = r.stderr.split('\n');
  const msgs = [];
  let cur = null;
  for (const line of lines) {
    if (/^(\[pid\s+\d+\]\s+)?sendmsg\(/.test(line)) { cur = []; msgs.push(cur); continue; }
    const m = /^\s*(?:\[pid\s+\d+\]\s+)?\|\s+[0-9a-f]{5}\s+((?:[0-9a-f]{2}\s+)+)/.exec(line);
    if (m && cur) cur.push(...m[1].trim().split(/\s+/).map((h) => parseInt(h, 16)));
  }
  // The first message is the helper `qdisc add ... htb` (so classes and filters have a parent); take the last.
  const buf = Buffer.from(msgs[msgs.length - 1] ?? []);
  if (buf.length < 36) throw new Error(`no netlink message captured for: tc ${cmd}\n${r.stderr}`);
  const type = buf.readUInt16LE(4);
  const out = {
    command: `tc ${cmd}`,
    message: NLMSG[type] ?? String(type),
    flags: buf.readUInt16LE(6),
    tcm: { ifindex: buf.readInt32LE(20), handle: buf.readUInt32LE(24), parent: buf.readUInt32LE(28), info: buf.readUInt32LE(32) },
    kind: '',
    options: '',
  };
  for (let off = 36; off + 4 <= buf.length;) {
    const len = buf.readUInt16LE(off);
    const t = buf.readUInt16LE(off + 2) & 0x3fff;
    const payload = buf.subarray(off + 4, off + len);
    if (t === 1) out.kind = payload.toString('latin1').replace(/\0+$/, '');
    if (t === 2) out.options = payload.toString('hex');
    off += (len + 3) & ~3;
  }
  return out;
}

const version = spawnSync('tc', ['-V'], { encoding: 'utf8' }).stdout.trim();
process.stdout.write(JSON.stringify({ tc: version, messages: commands.map(capture) }, null, 1) + '\n');
