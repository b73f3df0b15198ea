/**
 * The topology file format: its one source of truth, written with TypeBox.
 * From this file come
 *   - the types of a file's contents (`TopologyInput`, `NodeSettings`, …),
 *     inferred by TypeBox (`Static<…>`), which the loader's resolvers read;
 *   - schema/topology.schema.json, the JSON Schema (draft-07) that editors
 *     with the YAML language server use (`npm run schema` writes it; a unit
 *     test fails when the committed file differs);
 *   - the validator the loader runs, compiled by TypeBox (`Code`) into plain
 *     JavaScript at build time (./emit.ts → dist/…/check.generated.js), so
 *     that no schema is compiled or interpreted when netlab runs; TypeBox's
 *     error reporter is loaded only to explain a file that does not fit
 *     (./check.ts).
 *
 * Only the build step and tests import this module's values; the loader
 * imports its types (`import type`), which cost nothing at run time.
 *
 * `format` names netlab's own checks (src/topology/format-checks.ts): the compiled
 * validator calls them, and their messages and hints are what a user reads;
 * editors ignore unknown formats and fall back to `pattern`. On values that
 * may also be numbers (memory, burst, percentages), `minimum`/`maximum` say
 * which numbers pass, since JSON Schema applies `format` to strings only.
 * `x-hint` is the fix printed when a value has the wrong type.
 * The resolved lab (what the loader returns) is described by ../types.ts:
 * docs/decisions.md says why those types stay separate.
 */
import Type, { type Static, type TSchema } from 'typebox';

const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$';
/** Lab names may also start with a digit (containerlab's smoke labs are named 01-…, 2-linux-nodes). */
const LAB_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]*$';
const IFNAME_PATTERN = '^[^/:%\\s\\x00-\\x1f\\x7f]{1,15}$';
/** Largest byte count netlab takes for a memory limit: 2^53 − 1 (JavaScript's exact integers, 8 PiB). */
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

type Opts = Record<string, unknown>;

/** A value of either type; `extra` carries format, bounds and descriptions. */
const stringOrNumber = (extra: Opts) => Type.Unsafe<string | number>({ type: ['string', 'number'], ...extra });
/** One of some strings. */
const oneOf = <T extends string>(values: readonly T[], extra: Opts = {}) => Type.Unsafe<T>({ type: 'string', ...extra, enum: [...values] });
const str = (description: string, extra: Opts = {}) => Type.String({ description, ...extra });
const int = (description: string, minimum: number, maximum: number, extra: Opts = {}) => Type.Integer({ description, minimum, maximum, ...extra });
const bool = (description: string, extra: Opts = {}) => Type.Boolean({ description, ...extra });
const falseValue = () => Type.Literal(false);
/** A string of a format, or `false` (none). */
const orFalse = (format: string, description: string) => Type.Union([Type.String({ format }), falseValue()], { description });
/** A mapping of user-chosen keys (checked by `keys`) to values of one schema. */
const map = <T extends TSchema>(description: string | undefined, keys: Opts, values: T) =>
  Type.Unsafe<Record<string, Static<T>>>({ type: 'object', ...(description ? { description } : {}), propertyNames: keys, additionalProperties: values });
const scalarValue = Type.Unsafe<string | number | boolean>({ type: ['string', 'number', 'boolean'] });
/** A sysctl value: words, a whole number the kernel can hold, or true/false (written as 1/0). */
const sysctlValue = Type.Unsafe<string | number | boolean>({
  type: ['string', 'integer', 'boolean'], format: 'sysctl-value', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER,
  'x-hint': 'a sysctl value is a whole number, words, or true/false, e.g. net.ipv4.tcp_ecn: 1 or net.ipv4.ip_local_port_range: "32768 60999"',
});

const rate = (d: string, hint?: string) => str(d, { format: 'rate', examples: ['10mbit', '500kbit', '1gbit'], ...(hint ? { 'x-hint': hint } : {}) });
const time = (d: string, hint?: string) => str(d, { format: 'time', examples: ['20ms', '500us', '1s'], ...(hint ? { 'x-hint': hint } : {}) });
/** A percentage: a string with `%`, or the number 0 (any other bare number is ambiguous). */
const percent = (d: string, key?: string) => stringOrNumber({
  description: d, format: 'percent', minimum: 0, maximum: 0, examples: ['0.5%', '0.01%'],
  ...(key ? { 'x-hint': `write a percentage from 0% to 100% with its % sign, e.g. ${key}: 1%; leave ${key} out for none` } : {}),
});

/** Egress shaping of an interface (link level: both directions). */
export const Shaping = Type.Object({
  rate: Type.Optional(rate('Rate limit.', 'write it with a unit, e.g. rate: 10mbit or 500kbit (a bare number would be bits/s); leave rate out for no limit')),
  burst: Type.Optional(stringOrNumber({
    description: 'Token bucket size: 32k, 1500b (default from the rate).', format: 'size', minimum: 0,
    'x-hint': 'write a size, e.g. burst: 32kb or 1500b (a bare number is bytes); leave burst out to have it computed from the rate',
  })),
  limit: Type.Optional(int('Queue limit, packets.', 1, 4294967295, { 'x-hint': 'write a whole number of packets from 1, e.g. limit: 1000; leave limit out for the default' })),
  delay: Type.Optional(time('Added one-way delay.', 'write it with a unit, e.g. delay: 20ms or 500us (tc would read a bare number as µs); leave delay out for none')),
  jitter: Type.Optional(time('Delay variation (needs delay).', 'write it with a unit, e.g. jitter: 5ms (it needs a delay, e.g. delay: 20ms); leave jitter out for none')),
  delay_correlation: Type.Optional(percent('Correlation of successive delays.', 'delay_correlation')),
  distribution: Type.Optional(oneOf(['uniform', 'normal', 'pareto', 'paretonormal'] as const, { description: 'Jitter distribution.' })),
  loss: Type.Optional(percent('Random loss.', 'loss')),
  loss_correlation: Type.Optional(percent('Correlation of successive losses.', 'loss_correlation')),
  corrupt: Type.Optional(percent('Single-bit corruption.', 'corrupt')),
  duplicate: Type.Optional(percent('Duplication.', 'duplicate')),
  reorder: Type.Optional(percent('Reordering (needs delay).', 'reorder')),
  reorder_correlation: Type.Optional(percent('Correlation of reordering.', 'reorder_correlation')),
}, { description: 'Traffic shaping (egress; on a link: both directions).', additionalProperties: false });

const area = (description?: string) => Type.Union([Type.Integer({ minimum: 0, maximum: 4294967295 }), Type.String({ format: 'ipv4-address' })], description ? { description } : {});
const ospfNetwork = (description?: string) => oneOf(['point-to-point', 'broadcast'] as const, description ? { description } : {});
const options = () => Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'Daemon-specific options, passed through.' });

/** OSPF settings (lab-level: defaults for every router). */
export const Ospf = Type.Object({
  area: Type.Optional(area('Area: a number or a dotted quad.')),
  router_id: Type.Optional(str('Router id (default: the IPv4 loopback).', { format: 'ipv4-address' })),
  cost: Type.Optional(int('Interface cost.', 1, 65535)),
  passive: Type.Optional(bool('Interfaces passive by default.')),
  network: Type.Optional(ospfNetwork('Interface network type.')),
  hello: Type.Optional(int('Hello interval, seconds.', 1, 65535)),
  dead: Type.Optional(int('Dead interval, seconds.', 1, 65535)),
  interfaces: Type.Optional(map('Per-interface settings by interface name.', { format: 'ifname' }, Type.Object({
    area: Type.Optional(area()),
    cost: Type.Optional(int('Interface cost.', 1, 65535)),
    passive: Type.Optional(bool('Passive interface.')),
    network: Type.Optional(ospfNetwork()),
  }, { description: 'OSPF settings of one interface.', additionalProperties: false }))),
  redistribute: Type.Optional(Type.Array(oneOf(['connected', 'static', 'kernel', 'bgp'] as const), { description: 'Route sources to redistribute.' })),
  options: Type.Optional(options()),
}, { description: 'OSPF settings (lab-level: defaults for every router).', additionalProperties: false });

/** BGP settings (lab-level: defaults for routers that run BGP). */
export const Bgp = Type.Object({
  as: Type.Optional(int('Autonomous system number.', 1, 4294967295)),
  router_id: Type.Optional(str('Router id (default: the IPv4 loopback).', { format: 'ipv4-address' })),
  neighbors: Type.Optional(Type.Array(Type.Object({
    address: Type.Optional(str('Neighbour address.', { format: 'ip-address' })),
    node: Type.Optional(str('Neighbour node name.', { format: 'node-ref' })),
    as: Type.Optional(int('Remote AS (default: the node\'s as).', 1, 4294967295)),
    description: Type.Optional(str('Free text.')),
    options: Type.Optional(options()),
  }, { description: 'A BGP neighbour.', additionalProperties: false }), { description: 'Neighbours: { address } or { node } (+ as).' })),
  networks: Type.Optional(Type.Array(Type.String({ format: 'ip-prefix' }), { description: 'Prefixes to announce.' })),
  redistribute: Type.Optional(Type.Array(oneOf(['connected', 'static', 'kernel', 'ospf'] as const), { description: 'Route sources to redistribute.' })),
  options: Type.Optional(options()),
}, { description: 'BGP settings (lab-level: defaults for routers that run BGP).', additionalProperties: false });

/** A static route in the object form. */
export const RouteObject = Type.Object({
  prefix: str('Destination prefix (CIDR) or "default".', { format: 'route-prefix' }),
  via: Type.Optional(Type.Union([Type.String({ format: 'ip-address' }), Type.Array(Type.String({ format: 'ip-address' }), { minItems: 1 })], { description: 'Next hop(s), same family as prefix.' })),
  dev: Type.Optional(str('Outgoing interface of this node.', { format: 'ifname' })),
  metric: Type.Optional(int('Route metric; lower wins.', 0, 4294967295)),
}, { description: 'A static route.', additionalProperties: false });

/** A bind mount in the object form. */
export const BindObject = Type.Object({
  source: str('Host path, relative to the topology file.', { minLength: 1 }),
  target: str('Absolute path inside the node.', { format: 'abs-path' }),
  readonly: Type.Optional(bool('Mount read-only (default false).')),
}, { description: 'A bind mount.', additionalProperties: false });

/** A net_cls traffic class (htb). */
export const TrafficClass = Type.Object({
  rate: rate('Guaranteed rate.'),
  ceil: Type.Optional(rate('Maximum rate when borrowing (default: rate).')),
  prio: Type.Optional(int('htb priority, 0 (highest) to 7.', 0, 7)),
}, { description: 'A traffic class (htb).', additionalProperties: false });

/** The fields every node layer may set (node, group, kind defaults, lab defaults); each one a definition of its own in the JSON Schema. */
export const nodeFields = {
  kind: str('Kind of node: linux (default), frr, bird, bridge.', { format: 'kind', examples: ['frr'] }),
  image: str('The node\'s image (docs/images.md): a registry reference (alpine:3.20, quay.io/frrouting/frr:10.2.1), or a path starting with ./ ../ / or ~/ of an archive, an OCI layout folder or a root filesystem folder; default: the host\'s / read-only.', { minLength: 1, examples: ['alpine:3.20', './frr.tar'] }),
  rootfs: str('Lower root filesystem (a directory), relative to the topology file; default: the host\'s / read-only. The same as image: ./DIR.', { minLength: 1 }),
  config: Type.Union([
    Type.String({ minLength: 1 }),
    Type.Object({ file: Type.Optional(str('File path relative to the topology file.', { minLength: 1 })), text: Type.Optional(str('The configuration itself.')) },
      { description: 'Inline text or a file.', additionalProperties: false }),
  ], { description: 'Daemon configuration: a file path relative to the topology file, or { text: … } inline, or { file: … }.' }),
  cmd: str("The node's main command, run with /bin/sh -c once the node is up."),
  exec: Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Shell lines run in order (each with /bin/sh -c) after the daemons start.' }),
  env: map('Environment variables for cmd, exec and netlab exec.', { format: 'env-name', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, scalarValue),
  binds: Type.Array(Type.Union([Type.String({ format: 'bind' }), BindObject]),
    { description: 'Host paths made visible in the node: "src:dst[:ro|rw]" or { source, target, readonly }.' }),
  sysctls: map('Kernel parameters of the node; only net.* (per network namespace).', { format: 'sysctl-key', pattern: '^net\\.' }, sysctlValue),
  resources: Type.Object({
    memory: Type.Optional(stringOrNumber({ description: 'Memory limit: 256M, 1G (powers of 1024).', format: 'memory', minimum: 4 * 1024 * 1024, maximum: MAX_BYTES, examples: ['256M'] })),
    cpus: Type.Optional(Type.Number({ description: 'CPU quota in CPUs, e.g. 0.5.', exclusiveMinimum: 0, maximum: 4096 })),
    pids: Type.Optional(int('Maximum number of tasks.', 1, 4194304)),
    cpuset: Type.Optional(str('CPUs the node may use: "0-1", "0,2".', { format: 'cpuset', pattern: '^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$' })),
    upper: Type.Optional(stringOrNumber({ description: 'Size of the node\'s writable layer (in memory): 256M (default), 1G.', format: 'upper-size', minimum: 1024 * 1024, maximum: MAX_BYTES, examples: ['1G'] })),
    io: Type.Optional(Type.Object({
      read_bps: Type.Optional(stringOrNumber({ description: 'Bytes read per second: 10M, 512K (powers of 1024).', format: 'size', minimum: 1, maximum: MAX_BYTES, examples: ['10M'] })),
      write_bps: Type.Optional(stringOrNumber({ description: 'Bytes written per second: 10M, 512K.', format: 'size', minimum: 1, maximum: MAX_BYTES, examples: ['10M'] })),
      read_iops: Type.Optional(int('Read operations per second.', 1, 4294967295)),
      write_iops: Type.Optional(int('Write operations per second.', 1, 4294967295)),
      device: Type.Optional(str('A block device (/dev/vdb) or a path on the filesystem to limit (default: the node\'s root).', { minLength: 1, pattern: '^/' })),
    }, { description: 'Block I/O limits on the block device of the node\'s root (its lower layer; the writable layer is in memory), or on device:.', additionalProperties: false })),
    devices: Type.Optional(Type.Array(Type.String({ format: 'device' }), {
      description: 'Devices the node may use beyond /dev/null, zero, full, random, urandom, tty, net/tun and its ptys: a host device path ("/dev/kvm", "/dev/kvm:rw"), or a rule "c 10:232 rwm".',
    })),
  }, { description: 'cgroup limits, the size of its upper layer, extra devices.', additionalProperties: false }),
  security: Type.Object({
    seccomp: Type.Optional(oneOf(['default', 'unconfined'] as const, { description: 'default: refuse the system calls of docs/nodes.md (keyctl, bpf, kexec, …); unconfined: no seccomp filter.' })),
  }, { description: 'Confinement of the node.', additionalProperties: false }),
  addresses: Type.Object({
    ipv4: Type.Optional(orFalse('ipv4-interface', 'IPv4 loopback, e.g. 10.0.0.1 or 10.0.0.1/32.')),
    ipv6: Type.Optional(orFalse('ipv6-interface', 'IPv6 loopback, e.g. 2001:db8::1 or 2001:db8::1/128.')),
  }, { description: 'Loopback addresses (on lo); they override the loopback pools. false: none.', additionalProperties: false }),
  routes: Type.Array(Type.Union([Type.String({ format: 'route' }), RouteObject]),
    { description: 'Static routes: "PREFIX via ADDR [dev IFACE] [metric N]" or { prefix, via, dev, metric }.' }),
  gateway: Type.Union([
    Type.String({ format: 'gateway' }),
    Type.Object({
      ipv4: Type.Optional(str('IPv4 next hop or a neighbour node name.', { format: 'gateway' })),
      ipv6: Type.Optional(str('IPv6 next hop or a neighbour node name.', { format: 'gateway' })),
    }, { description: 'Default route per family.', additionalProperties: false }),
  ], { description: 'Default route: an address, the name of a directly connected node, or { ipv4, ipv6 }.' }),
  forwarding: bool('Forward packets (ip_forward); default true for frr and bird, false otherwise.'),
  classes: map('net_cls traffic classes: name → { rate, ceil, prio }.', { format: 'class-name', pattern: NAME_PATTERN }, TrafficClass),
  priority: Type.Union([
    Type.Integer({ minimum: 0, maximum: 4294967295 }),
    Type.String({ format: 'priority', pattern: '^([0-9]{1,10}|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4})$', examples: ['1:2'] }),
  ], {
    description: 'Priority (skb->priority) of the packets the node sends itself, as net_prio sets it: a number (0-15 pick a prio qdisc\'s band through its priomap; 6 and 7 the first band) or a tc handle "1:2" (band 2 of prio qdisc 1:, or htb class 1:2). A socket\'s own SO_PRIORITY and the node\'s classes: win. Default 0 (none).',
    examples: [6],
    'x-hint': 'write e.g. priority: 6, or a tc handle such as priority: 1:2',
  }),
  ospf: Type.Union([Type.Boolean(), Ospf], { description: 'OSPF on this node: a block, true (lab defaults), or false (off).' }),
  bgp: Type.Union([Type.Boolean(), Bgp], { description: 'BGP on this node: a block with as:, or false (off).' }),
  bridge: str('kind bridge only: name of the bridge inside the node (default br0).', { format: 'ifname' }),
  daemons: Type.Union([
    Type.String({ minLength: 1 }),
    Type.Array(Type.String({ pattern: '^[a-z0-9]+(-[0-9]+)?$' }), { minItems: 1 }),
  ], { description: 'kind frr: which FRR daemons run — an FRR daemons file (relative to the topology file) or a list of daemon names; default: those frr.conf needs.' }),
  autostart: bool('Start the kind\'s daemons during up (default true); false: they start when something in the node runs systemctl start <daemon> (needs compat).'),
  compat: bool('Commands images usually have, for nodes on the host\'s root: systemctl/service/init.d that start the node\'s daemons, apk/apt-get that accept packages the host has, ash (default false).'),
  exec_errors: oneOf(['fail', 'warn'] as const, { description: 'A failing exec line: fail stops up (default); warn prints a warning and goes on (as containerlab and Kathará do).' }),
  startup: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }))], {
    description: 'Script file(s), relative to the topology file, run in the node (with /bin/bash, or their #! line) after its links, addresses and daemons, before exec; a failure is a warning. Output in /var/log/startup.log.',
  }),
  shutdown: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }))], {
    description: 'Script file(s) run in the node when the lab goes down (before its processes stop); a failure is a warning.',
  }),
  layers: Type.Array(Type.String({ minLength: 1 }), { description: 'Folders (relative to the topology file) whose files appear in the node\'s root, as read-only layers over it (first on top).' }),
  after: Type.Array(Type.String({ format: 'node-ref' }), { description: 'Nodes whose start (daemons, healthcheck, startup, exec) this node\'s start waits for.' }),
  healthcheck: Type.Object({
    test: str('Shell line run in the node; exit 0 means healthy.', { minLength: 1 }),
    interval: Type.Optional(time('Time between tries (default 1s).')),
    timeout: Type.Optional(time('Time one try may take (default 10s).')),
    start_period: Type.Optional(time('Failures in this time after the start do not count (default 0).')),
    retries: Type.Optional(int('Failed tries (after start_period) before up gives up (default 30).', 1, 10000)),
  }, { description: 'A command that says the node is ready: up waits until it succeeds (nodes that come after this one wait too).', additionalProperties: false }),
};

type NodeFields = typeof nodeFields;
/** Every node field, optional. */
const optionalFields = <K extends keyof NodeFields>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, Type.Optional(nodeFields[k])])) as { [P in K]: ReturnType<typeof Type.Optional<NodeFields[P]>> };
const allFieldKeys = Object.keys(nodeFields) as (keyof NodeFields)[];
const fieldsWithoutKind = allFieldKeys.filter((k): k is Exclude<keyof NodeFields, 'kind'> => k !== 'kind');

/** `defaults:` (the least specific layer). */
export const Defaults = Type.Object(optionalFields(allFieldKeys),
  { description: 'Settings for every node (the last layer: node → group → kind → defaults).', additionalProperties: false });
/** One entry of `kinds:`. */
export const KindSettings = Type.Object(optionalFields(fieldsWithoutKind), { description: 'Settings for every node of this kind.', additionalProperties: false });
/** One entry of `groups:`. */
export const Group = Type.Object({
  members: Type.Optional(Type.Array(Type.String({ format: 'node-ref' }), { description: 'Node names in this group.' })),
  ...optionalFields(allFieldKeys),
}, { description: 'A group: members and settings.', additionalProperties: false });
/** One entry of `nodes:` (the most specific layer). */
export const NodeEntry = Type.Object({
  group: Type.Optional(str('Group name.', { format: 'group-ref' })),
  mgmt: Type.Optional(Type.Object({
    ipv4: Type.Optional(str('IPv4 address in the management network, e.g. 192.168.121.101 (no prefix length: the network\'s).', { format: 'ipv4-address' })),
    ipv6: Type.Optional(str('IPv6 address in the management network\'s ipv6 network.', { format: 'ipv6-address' })),
  }, { description: 'This node\'s management addresses (default: the network\'s address for the node\'s id); needs mgmt: at the top.', additionalProperties: false })),
  ...optionalFields(allFieldKeys),
}, { description: 'A node.', additionalProperties: false });

/** An endpoint in the object form. */
export const EndpointObject = Type.Object({
  node: str('Node name, or host.', { format: 'endpoint-node' }),
  iface: str('Interface name, at most 15 bytes.', { format: 'ifname', pattern: IFNAME_PATTERN }),
  ipv4: Type.Optional(orFalse('ipv4-interface', 'IPv4 address with prefix length, e.g. 10.9.0.1/30.')),
  ipv6: Type.Optional(orFalse('ipv6-interface', 'IPv6 address with prefix length.')),
  mac: Type.Optional(str('MAC address (unicast), e.g. 02:00:00:00:00:01.', { format: 'mac' })),
  shaping: Type.Optional(Shaping),
  bridge: Type.Optional(str('Host endpoints only: a bridge on the host that the host end joins (created when the host has none).', { format: 'ifname' })),
}, { description: 'An endpoint with its own settings.', additionalProperties: false });

/** An endpoint: "node:iface", "host:IFNAME", "mgmt:IFNAME", or an object. */
export const Endpoint = Type.Union([Type.String({ format: 'endpoint', examples: ['r1:eth1'] }), EndpointObject],
  { description: '"node:iface", "host:IFNAME", "mgmt:IFNAME" (a port on the management network), or { node, iface, … } with per-endpoint settings.' });

/** A link in the mapping form. */
export const LinkObject = Type.Object({
  endpoints: Type.Array(Endpoint, { description: 'Two endpoints (veth pair), three or more (a LAN), or one (a network of one; or the interface of a dummy, macvlan or vxlan link).' }),
  type: Type.Optional(oneOf(['veth', 'dummy', 'macvlan', 'vxlan'] as const, { description: 'veth (default: from the endpoints), dummy (a dummy interface), macvlan (on the host interface parent:), vxlan (a tunnel to remote:).' })),
  parent: Type.Optional(str('macvlan: the host interface it sits on.', { format: 'ifname' })),
  mode: Type.Optional(oneOf(['bridge', 'private', 'vepa', 'passthru', 'source'] as const, { description: 'macvlan mode (default bridge).' })),
  remote: Type.Optional(str('vxlan: the remote tunnel end (reached through the host\'s routing).', { format: 'ip-address' })),
  vni: Type.Optional(int('vxlan: the VXLAN network identifier.', 0, 16777215)),
  port: Type.Optional(int('vxlan: UDP port (default 4789).', 1, 65535)),
  name: Type.Optional(str('Label; for a LAN also the bridge name (at most 15 bytes).', { format: 'ifname' })),
  mtu: Type.Optional(int('MTU of both ends, bytes.', 68, 65535, { 'x-hint': 'IPv4 needs at least 68 (RFC 791); veth allows up to 65535' })),
  shaping: Type.Optional(Shaping),
  prefix: Type.Optional(Type.Union([
    Type.String({ format: 'link-prefix' }),
    falseValue(),
    Type.Object({
      ipv4: Type.Optional(orFalse('ipv4-prefix', 'IPv4 subnet.')),
      ipv6: Type.Optional(orFalse('ipv6-prefix', 'IPv6 subnet.')),
    }, { description: 'Subnet per family.', additionalProperties: false }),
  ], { description: 'Subnet of the link (endpoints get its addresses in order), { ipv4, ipv6 }, or false (no addresses).' })),
  state: Type.Optional(oneOf(['up', 'down'] as const, { description: 'Administrative state after up.' })),
}, { description: 'A link with settings.', additionalProperties: false });

/** A link: the brief form (a list of endpoints) or the mapping form. */
export const Link = Type.Union([Type.Array(Endpoint, { description: 'Brief form: endpoints only.' }), LinkObject], { description: 'A link.' });

const pool = (family: 4 | 6, d: string, example: string) => Type.Union([
  Type.String({ format: `ipv${family}-prefix`, examples: [example] }),
  falseValue(),
  Type.Object({
    pool: str('The pool.', { format: `ipv${family}-prefix` }),
    prefix: Type.Optional(int('Prefix length of each block.', 1, family === 4 ? 32 : 128)),
  }, { description: 'A pool and the prefix length of each block.', additionalProperties: false }),
], { description: `${d} A prefix, { pool, prefix }, or false (none).` });

/** `addressing:` as a mapping of pools. */
export const Pools = Type.Object({
  loopback: Type.Optional(pool(4, 'IPv4 loopbacks, a /32 per node (default 10.0.0.0/16).', '10.0.0.0/16')),
  loopback6: Type.Optional(pool(6, 'IPv6 loopbacks, a /128 per node (default none).', '2001:db8:ffff::/64')),
  p2p: Type.Optional(pool(4, 'IPv4 point-to-point links, a /31 per link (default 10.1.0.0/16).', '10.1.0.0/16')),
  lan: Type.Optional(pool(4, 'IPv4 LAN segments, a /24 per LAN (default 172.16.0.0/12).', '172.16.0.0/12')),
  ipv6: Type.Optional(pool(6, 'IPv6 links, a /64 per link (default none).', '2001:db8::/48')),
}, { description: 'Address pools; a missing pool keeps its default, false turns it off.', additionalProperties: false });

const waitHint = (key: string, example: string): string => `write a time with its unit, e.g. ${key}: ${example}`;

/** One item of `tests:` (run by src/validate; docs/testing.md). */
export const Test = Type.Object({
  name: Type.Optional(str('Name in reports and for --only (default: generated, e.g. "h1 reaches h2").', { minLength: 1 })),
  wait: Type.Optional(time('Retry until the test passes or this much time has passed, e.g. 30s (default: one try).', waitHint('wait', '30s'))),
  serial: Type.Optional(bool('Run alone, after every earlier test and before any later one (for tests that change the lab).')),
  after: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown())], {
    description: 'Measure convergence: run after an event — the name of an events: entry (its next occurrence), or an event of its own ({ link_down: r1:eth1 }, { pause: r2 }); see docs/observe.md.',
  })),
  within: Type.Optional(time('With after: the check must hold within this long after the event (default 30s).', waitHint('within', '5s'))),
  reach: Type.Optional(Type.Object({
    from: str('Node that pings.', { format: 'node-ref' }),
    to: str('A node name (a router\'s loopback, another node\'s first address), node:iface, or an address.', { minLength: 1 }),
    count: Type.Optional(int('Echo requests to send (default 3).', 1, 100)),
    timeout: Type.Optional(time('How long to wait for each reply (default 1s).', waitHint('timeout', '500ms'))),
    expect: Type.Optional(oneOf(['success', 'fail'] as const, { description: 'success (default: at least one reply) or fail (no reply: a firewall).' })),
    family: Type.Optional(Type.Unsafe<4 | 6>({ type: 'integer', description: 'Address family when to: is a node name: 4 (default) or 6.', enum: [4, 6] })),
  }, { description: 'Ping from a node to a node or an address.', additionalProperties: false })),
  route: Type.Optional(Type.Object({
    node: str('Node whose routing table is read.', { format: 'node-ref' }),
    prefix: str('Destination prefix, e.g. 10.0.0.3/32, or default.', { format: 'route-prefix' }),
    via: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })],
      { description: 'Next hop(s) that must be present: an address or a node name; a list for ECMP.' })),
    dev: Type.Optional(str('Outgoing interface.', { format: 'ifname' })),
    protocol: Type.Optional(oneOf(['ospf', 'bgp', 'static', 'connected', 'kernel'] as const, { description: 'Source of the selected route.' })),
    expect: Type.Optional(oneOf(['present', 'absent'] as const, { description: 'present (default) or absent.' })),
  }, { description: 'A node has a route to a prefix.', additionalProperties: false })),
  exec: Type.Optional(Type.Object({
    node: str('Node that runs the command.', { format: 'node-ref' }),
    cmd: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String(), { minItems: 1 })], { description: 'A shell line (run with /bin/sh -c) or an argv list.' }),
    exit: Type.Optional(int('Expected exit code (default 0).', 0, 255)),
    stdout: Type.Optional(str('Regular expression stdout must match (JavaScript syntax, multiline).')),
    stderr: Type.Optional(str('Regular expression stderr must match.')),
    output: Type.Optional(str('Regular expression stdout and stderr together must match (what a terminal shows).')),
    timeout: Type.Optional(time('Kill the command after this long (default 10s).', waitHint('timeout', '10s'))),
  }, { description: 'A command inside a node, with its expected exit code and output.', additionalProperties: false })),
  ospf_neighbors: Type.Optional(Type.Object({
    node: str('An frr or bird node.', { format: 'node-ref' }),
    count: Type.Optional(int('Exact number of neighbours in the state (default: all of them, at least one).', 0, 10000)),
    state: Type.Optional(str('Neighbour state, e.g. Full (default), 2-Way, Init.', { minLength: 1 })),
    neighbor: Type.Optional(str('A neighbour that must be in the state: a node name or a router id.', { minLength: 1 })),
  }, { description: 'OSPF neighbours of an FRR or BIRD node.', additionalProperties: false })),
  bgp_sessions: Type.Optional(Type.Object({
    node: str('An frr or bird node.', { format: 'node-ref' }),
    count: Type.Optional(int('Exact number of sessions in the state (default: all of them, at least one).', 0, 10000)),
    state: Type.Optional(str('Session state, e.g. Established (default), Active, Idle.', { minLength: 1 })),
    peer: Type.Optional(str('A peer that must be in the state: a node name or an address.', { minLength: 1 })),
  }, { description: 'BGP sessions of an FRR or BIRD node.', additionalProperties: false })),
  bird_protocol: Type.Optional(Type.Object({
    node: str('A bird node.', { format: 'node-ref' }),
    protocol: str('Protocol name from bird.conf, e.g. ospf1.', { minLength: 1 }),
    state: Type.Optional(str('State (up, down, start) or info (Running, Established); default up.', { minLength: 1 })),
  }, { description: 'A protocol of a BIRD node (birdc show protocols).', additionalProperties: false })),
}, { description: 'A test: exactly one of reach, route, exec, ospf_neighbors, bgp_sessions, bird_protocol, plus name, wait, serial.', additionalProperties: false });

/** The whole file. */
export const Topology = Type.Object({
  name: Type.Optional(str('Lab name: a letter or digit, then letters, digits, - or _; at most 32 bytes. Default: the file name.', { format: 'lab-name', pattern: LAB_NAME_PATTERN, maxLength: 32 })),
  description: Type.Optional(str('Free text about the lab.')),
  defaults: Type.Optional(Defaults),
  groups: Type.Optional(map('Named sets of nodes sharing settings.', { format: 'group-name', pattern: NAME_PATTERN }, Group)),
  kinds: Type.Optional(map('Settings per kind of node: frr: {…}.', { format: 'kind' }, KindSettings)),
  nodes: Type.Optional(Type.Union([
    map(undefined, { format: 'node-name', pattern: NAME_PATTERN, maxLength: 63 }, Type.Union([Type.Null(), NodeEntry])),
    Type.Array(Type.String({ format: 'node-name' })),
  ], { description: 'Nodes by name (a mapping), or a list of names.' })),
  links: Type.Optional(Type.Array(Link, { description: 'Links: [a:eth1, b:eth1], { endpoints: […], … }; 3+ endpoints make a LAN.' })),
  addressing: Type.Optional(Type.Union([falseValue(), Pools], { description: 'Address pools, or false to assign no addresses.' })),
  mtu: Type.Optional(int('Default MTU of links, bytes.', 68, 65535, { default: 1500, 'x-hint': 'IPv4 needs at least 68 (RFC 791); veth allows up to 65535' })),
  userns: Type.Optional(bool('Run each node in a user namespace of its own, its root an unprivileged host id range (default true); false gives nodes host root (docs/nodes.md).')),
  name_prefix: Type.Optional(str('Each node is also known as <name_prefix><node> in /run/netns and /etc/hosts; {lab} stands for the lab\'s name (an imported containerlab lab: clab-{lab}-).', { pattern: '^[A-Za-z0-9_.{}-]*$', maxLength: 40 })),
  limits: Type.Optional(Type.Object({
    memory: Type.Optional(stringOrNumber({ description: 'Memory of all nodes together: 8G, or a share of the host\'s memory: 50% (default 90%).', format: 'lab-memory', minimum: 16 * 1024 * 1024, maximum: MAX_BYTES, examples: ['8G', '50%'] })),
  }, { description: 'Limits of the lab as a whole.', additionalProperties: false })),
  mgmt: Type.Optional(Type.Union([
    Type.Boolean(),
    Type.Object({
      network: Type.Optional(str('IPv4 network (default 192.168.121.0/24).', { format: 'ipv4-prefix' })),
      ipv6: Type.Optional(str('IPv6 network (default none).', { format: 'ipv6-prefix' })),
      bridge: Type.Optional(str('Bridge name on the host (default derived from the lab name).', { format: 'ifname' })),
      iface: Type.Optional(str('Interface name inside nodes (default eth0).', { format: 'ifname' })),
    }, { description: 'Management network settings.', additionalProperties: false }),
  ], { description: 'Management network: true, or { network, ipv6, bridge, iface }.' })),
  ospf: Type.Optional(Ospf),
  bgp: Type.Optional(Bgp),
  events: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown(), { description: 'An event: one action, and when (checked by src/topology/events.ts).' }), {
    description: 'Timed events run while the lab is up: link_down, link_up, flap, shape, pause, resume, restart or exec, with at, every, for, times, jitter (docs/observe.md).',
  })),
  tests: Type.Optional(Type.Union([
    Type.String({ minLength: 1 }),
    Type.Array(Test, { description: 'Tests, each with exactly one of reach, route, exec, ospf_neighbors, bgp_sessions, bird_protocol.' }),
  ], { description: 'Tests run by netlab validate: a list, or the path of a YAML file holding the list (relative to the topology file). See docs/testing.md.' })),
}, {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://netlab.dev/schema/topology.schema.json',
  title: 'netlab topology',
  description: 'A network lab: nodes (containers), links (veth pairs, LAN segments), addressing, shaping, routing. See docs/topology.md.',
  additionalProperties: false,
});

/** A topology file's contents after YAML parsing and ${VAR} expansion, as the schema accepts them. */
export type TopologyInput = Static<typeof Topology>;
/** What a node layer may set: the fields of `defaults:`, `kinds.<kind>`, `groups.<g>` and `nodes.<n>` merged. */
export type NodeSettings = Static<typeof Defaults> & { group?: string; members?: string[] };
/** `shaping:` as written. */
export type ShapingInput = Static<typeof Shaping>;
/** A link as written (brief or mapping form). */
export type LinkInput = Static<typeof Link>;
/** A link endpoint as written. */
export type EndpointInput = Static<typeof Endpoint>;
/** `ospf:` as written. */
export type OspfInput = Static<typeof Ospf>;
/** `bgp:` as written. */
export type BgpInput = Static<typeof Bgp>;
/** A static route in the object form. */
export type RouteInput = Static<typeof RouteObject>;
/** One item of `tests:` as written. */
export type TestInput = Static<typeof Test>;
/** `addressing:` as written. */
export type AddressingInput = Static<typeof Pools> | false;
/** A traffic class as written. */
export type ClassInput = Static<typeof TrafficClass>;

/**
 * Definitions the editor schema names (`#/definitions/<name>`), so that the
 * four node layers, both shaping places and the two OSPF/BGP levels share one
 * definition each. Order = order in the file.
 */
export const definitions: Record<string, TSchema> = {
  node: NodeEntry,
  ...Object.fromEntries(allFieldKeys.map((k) => [`node-${k}`, nodeFields[k]])),
  link: Link,
  shaping: Shaping,
  test: Test,
  ospf: Ospf,
  bgp: Bgp,
};
