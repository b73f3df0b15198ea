/**
 * The JSON Schema (draft-07) of a topology file: the one source of truth for
 * its structure. The loader validates every file against this object
 * (src/topology/validate.ts), and schema/topology.schema.json — what editors
 * with the YAML language server use — is this object written out
 * (`node dist/src/topology/write-schema.js`); a unit test fails when the two
 * differ, so they cannot drift.
 *
 * `format` names netlab's own checks (src/topology/formats.ts), which give
 * precise messages; editors ignore unknown formats and fall back to `pattern`.
 * `x-hint` is the fix printed when a value has the wrong type.
 */

type S = Record<string, unknown>;

const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$';
const IFNAME_PATTERN = '^[^/:\\s]{1,15}$';

const ref = (name: string): S => ({ $ref: `#/definitions/${name}` });
const str = (description: string, extra: S = {}): S => ({ type: 'string', description, ...extra });
const int = (description: string, minimum: number, maximum: number, extra: S = {}): S =>
  ({ type: 'integer', description, minimum, maximum, ...extra });
const bool = (description: string, extra: S = {}): S => ({ type: 'boolean', description, ...extra });
const list = (description: string, items: S, extra: S = {}): S => ({ type: 'array', description, items, ...extra });
const obj = (description: string, properties: Record<string, S>, extra: S = {}): S =>
  ({ type: 'object', description, properties, additionalProperties: false, ...extra });
const orFalse = ({ description, ...rest }: S): S => ({ description, anyOf: [rest, { const: false }] });
const scalarValue: S = { type: ['string', 'number', 'boolean'] };

const rate = (d: string, hint?: string): S => str(d, { format: 'rate', examples: ['10mbit', '500kbit', '1gbit'], ...(hint ? { 'x-hint': hint } : {}) });
const time = (d: string, hint?: string): S => str(d, { format: 'time', examples: ['20ms', '500us', '1s'], ...(hint ? { 'x-hint': hint } : {}) });
const percent = (d: string, key?: string): S => ({
  type: ['string', 'number'], description: d, format: 'percent', examples: ['0.5%', '0.01%'],
  ...(key ? { 'x-hint': `write a percentage from 0% to 100% with its % sign, e.g. ${key}: 1%; leave ${key} out for none` } : {}),
});

/** Fields every node layer may set (node, group, kind defaults, lab defaults). */
const nodeFields: Record<string, S> = {
  kind: str("Kind of node: linux (default), frr, bird, bridge.", { format: 'kind', examples: ['frr'] }),
  rootfs: str('Lower root filesystem (a directory), relative to the topology file; default: the host\'s / read-only.', { minLength: 1 }),
  config: {
    description: 'Daemon configuration: a file path relative to the topology file, or { text: … } inline, or { file: … }.',
    anyOf: [
      { type: 'string', minLength: 1 },
      obj('Inline text or a file.', { file: str('File path relative to the topology file.', { minLength: 1 }), text: str('The configuration itself.') }),
    ],
  },
  cmd: str("The node's main command, run with /bin/sh -c once the node is up."),
  exec: {
    description: 'Shell lines run in order (each with /bin/sh -c) after the daemons start.',
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  },
  env: {
    type: 'object', description: 'Environment variables for cmd, exec and netlab exec.',
    propertyNames: { format: 'env-name', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    additionalProperties: scalarValue,
  },
  binds: list('Host paths made visible in the node: "src:dst[:ro|rw]" or { source, target, readonly }.', {
    anyOf: [
      { type: 'string', format: 'bind' },
      obj('A bind mount.', {
        source: str('Host path, relative to the topology file.', { minLength: 1 }),
        target: str('Absolute path inside the node.', { format: 'abs-path' }),
        readonly: bool('Mount read-only (default false).'),
      }, { required: ['source', 'target'] }),
    ],
  }),
  sysctls: {
    type: 'object', description: 'Kernel parameters of the node; only net.* (per network namespace).',
    propertyNames: { format: 'sysctl-key', pattern: '^net\\.' },
    additionalProperties: scalarValue,
  },
  resources: obj('cgroup limits.', {
    memory: { type: ['string', 'number'], description: 'Memory limit: 256M, 1G (powers of 1024).', format: 'memory', examples: ['256M'] },
    cpus: { type: 'number', description: 'CPU quota in CPUs, e.g. 0.5.', exclusiveMinimum: 0, maximum: 4096 },
    pids: int('Maximum number of tasks.', 1, 4194304),
    cpuset: str('CPUs the node may use: "0-1", "0,2".', { format: 'cpuset', pattern: '^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$' }),
  }),
  addresses: obj('Loopback addresses (on lo); they override the loopback pools. false: none.', {
    ipv4: orFalse(str('IPv4 loopback, e.g. 10.0.0.1 or 10.0.0.1/32.', { format: 'ipv4-interface' })),
    ipv6: orFalse(str('IPv6 loopback, e.g. 2001:db8::1 or 2001:db8::1/128.', { format: 'ipv6-interface' })),
  }),
  routes: list('Static routes: "PREFIX via ADDR [dev IFACE] [metric N]" or { prefix, via, dev, metric }.', {
    anyOf: [
      { type: 'string', format: 'route' },
      obj('A static route.', {
        prefix: str('Destination prefix (CIDR) or "default".', { format: 'route-prefix' }),
        via: { description: 'Next hop(s), same family as prefix.', anyOf: [{ type: 'string', format: 'ip-address' }, { type: 'array', items: { type: 'string', format: 'ip-address' }, minItems: 1 }] },
        dev: str('Outgoing interface of this node.', { format: 'ifname' }),
        metric: int('Route metric; lower wins.', 0, 4294967295),
      }, { required: ['prefix'] }),
    ],
  }),
  gateway: {
    description: 'Default route: an address, the name of a directly connected node, or { ipv4, ipv6 }.',
    anyOf: [
      { type: 'string', format: 'gateway' },
      obj('Default route per family.', {
        ipv4: str('IPv4 next hop or a neighbour node name.', { format: 'gateway' }),
        ipv6: str('IPv6 next hop or a neighbour node name.', { format: 'gateway' }),
      }),
    ],
  },
  forwarding: bool('Forward packets (ip_forward); default true for frr and bird, false otherwise.'),
  classes: {
    type: 'object', description: 'net_cls traffic classes: name → { rate, ceil, prio }.',
    propertyNames: { format: 'class-name', pattern: NAME_PATTERN },
    additionalProperties: obj('A traffic class (htb).', {
      rate: rate('Guaranteed rate.'),
      ceil: rate('Maximum rate when borrowing (default: rate).'),
      prio: int('htb priority, 0 (highest) to 7.', 0, 7),
    }, { required: ['rate'] }),
  },
  ospf: { description: 'OSPF on this node: a block, true (lab defaults), or false (off).', anyOf: [{ type: 'boolean' }, ref('ospf')] },
  bgp: { description: 'BGP on this node: a block with as:, or false (off).', anyOf: [{ type: 'boolean' }, ref('bgp')] },
  bridge: str('kind bridge only: name of the bridge inside the node (default br0).', { format: 'ifname' }),
  daemons: {
    description: 'kind frr: which FRR daemons run — an FRR daemons file (relative to the topology file) or a list of daemon names; default: those frr.conf needs.',
    anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', pattern: '^[a-z0-9]+(-[0-9]+)?$' }, minItems: 1 }],
  },
  autostart: bool('Start the kind\'s daemons during up (default true); false: they start when something in the node runs systemctl start <daemon> (needs compat).'),
  compat: bool('Commands images usually have, for nodes on the host\'s root: systemctl/service/init.d that start the node\'s daemons, apk/apt-get that accept packages the host has, ash (default false).'),
  exec_errors: { type: 'string', description: 'A failing exec line: fail stops up (default); warn prints a warning and goes on (as containerlab and Kathará do).', enum: ['fail', 'warn'] },
  startup: {
    description: 'Script file(s), relative to the topology file, run in the node (with /bin/bash, or their #! line) after its links, addresses and daemons, before exec; a failure is a warning. Output in /var/log/startup.log.',
    anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }],
  },
  shutdown: {
    description: 'Script file(s) run in the node when the lab goes down (before its processes stop); a failure is a warning.',
    anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }],
  },
  layers: list('Folders (relative to the topology file) whose files appear in the node\'s root, as read-only layers over it (first on top).', { type: 'string', minLength: 1 }),
  after: list('Nodes whose start (daemons, healthcheck, startup, exec) this node\'s start waits for.', { type: 'string', format: 'node-ref' }),
  healthcheck: obj('A command that says the node is ready: up waits until it succeeds (nodes that come after this one wait too).', {
    test: str('Shell line run in the node; exit 0 means healthy.', { minLength: 1 }),
    interval: time('Time between tries (default 1s).'),
    timeout: time('Time one try may take (default 10s).'),
    start_period: time('Failures in this time after the start do not count (default 0).'),
    retries: int('Failed tries (after start_period) before up gives up (default 30).', 1, 10000),
  }, { required: ['test'] }),
};

/** Node fields as references into `definitions` (node-<key>), so the four layers share one definition each. */
const fieldRefs: Record<string, S> = Object.fromEntries(Object.keys(nodeFields).map((k) => [k, ref(`node-${k}`)]));
const { kind: _kind, ...kindFieldRefs } = fieldRefs;
const fieldDefinitions: Record<string, S> = Object.fromEntries(Object.entries(nodeFields).map(([k, v]) => [`node-${k}`, v]));

const shaping = obj('Traffic shaping (egress; on a link: both directions).', {
  rate: rate('Rate limit.', 'write it with a unit, e.g. rate: 10mbit or 500kbit (a bare number would be bits/s); leave rate out for no limit'),
  burst: { type: ['string', 'number'], description: 'Token bucket size: 32k, 1500b (default from the rate).', format: 'size',
    'x-hint': 'write a size, e.g. burst: 32kb or 1500b (a bare number is bytes); leave burst out to have it computed from the rate' },
  limit: int('Queue limit, packets.', 1, 4294967295, { 'x-hint': 'write a whole number of packets from 1, e.g. limit: 1000; leave limit out for the default' }),
  delay: time('Added one-way delay.', 'write it with a unit, e.g. delay: 20ms or 500us (tc would read a bare number as µs); leave delay out for none'),
  jitter: time('Delay variation (needs delay).', 'write it with a unit, e.g. jitter: 5ms (it needs a delay, e.g. delay: 20ms); leave jitter out for none'),
  delay_correlation: percent('Correlation of successive delays.', 'delay_correlation'),
  distribution: { type: 'string', description: 'Jitter distribution.', enum: ['uniform', 'normal', 'pareto', 'paretonormal'] },
  loss: percent('Random loss.', 'loss'),
  loss_correlation: percent('Correlation of successive losses.', 'loss_correlation'),
  corrupt: percent('Single-bit corruption.', 'corrupt'),
  duplicate: percent('Duplication.', 'duplicate'),
  reorder: percent('Reordering (needs delay).', 'reorder'),
  reorder_correlation: percent('Correlation of reordering.', 'reorder_correlation'),
});

const prefix = {
  description: 'Subnet of the link (endpoints get its addresses in order), { ipv4, ipv6 }, or false (no addresses).',
  anyOf: [
    { type: 'string', format: 'ip-prefix' },
    { const: false },
    obj('Subnet per family.', {
      ipv4: orFalse(str('IPv4 subnet.', { format: 'ipv4-prefix' })),
      ipv6: orFalse(str('IPv6 subnet.', { format: 'ipv6-prefix' })),
    }),
  ],
};

const endpoint = {
  description: '"node:iface", "host:IFNAME", "mgmt:IFNAME" (a port on the management network), or { node, iface, … } with per-endpoint settings.',
  anyOf: [
    { type: 'string', format: 'endpoint', examples: ['r1:eth1'] },
    obj('An endpoint with its own settings.', {
      node: str('Node name, or host.', { format: 'endpoint-node' }),
      iface: str('Interface name, at most 15 bytes.', { format: 'ifname', pattern: IFNAME_PATTERN }),
      ipv4: orFalse(str('IPv4 address with prefix length, e.g. 10.9.0.1/30.', { format: 'ipv4-interface' })),
      ipv6: orFalse(str('IPv6 address with prefix length.', { format: 'ipv6-interface' })),
      mac: str('MAC address (unicast), e.g. 02:00:00:00:00:01.', { format: 'mac' }),
      shaping: ref('shaping'),
      bridge: str('Host endpoints only: a bridge on the host that the host end joins (created when the host has none).', { format: 'ifname' }),
    }, { required: ['node', 'iface'] }),
  ],
};

const pool = (family: 4 | 6, d: string, example: string): S => ({
  description: `${d} A prefix, { pool, prefix }, or false (none).`,
  anyOf: [
    { type: 'string', format: `ipv${family}-prefix`, examples: [example] },
    { const: false },
    obj('A pool and the prefix length of each block.', {
      pool: str('The pool.', { format: `ipv${family}-prefix` }),
      prefix: int('Prefix length of each block.', 1, family === 4 ? 32 : 128),
    }, { required: ['pool'] }),
  ],
});

/** One item of `tests:` (the `tests:` part is owned by src/validate; docs/testing.md). */
const testSchema = obj('A test: exactly one of reach, route, exec, ospf_neighbors, bgp_sessions, bird_protocol, plus name, wait, serial.', {
  name: str('Name in reports and for --only (default: generated, e.g. "h1 reaches h2").', { minLength: 1 }),
  wait: time('Retry until the test passes or this much time has passed, e.g. 30s (default: one try).', 'write a time with its unit, e.g. wait: 30s'),
  serial: bool('Run alone, after every earlier test and before any later one (for tests that change the lab).'),
  reach: obj('Ping from a node to a node or an address.', {
    from: str('Node that pings.', { format: 'node-ref' }),
    to: str('A node name (a router\'s loopback, another node\'s first address), node:iface, or an address.', { minLength: 1 }),
    count: int('Echo requests to send (default 3).', 1, 100),
    timeout: time('How long to wait for each reply (default 1s).', 'write a time with its unit, e.g. timeout: 500ms'),
    expect: { type: 'string', description: 'success (default: at least one reply) or fail (no reply: a firewall).', enum: ['success', 'fail'] },
    family: { type: 'integer', description: 'Address family when to: is a node name: 4 (default) or 6.', enum: [4, 6] },
  }, { required: ['from', 'to'] }),
  route: obj('A node has a route to a prefix.', {
    node: str('Node whose routing table is read.', { format: 'node-ref' }),
    prefix: str('Destination prefix, e.g. 10.0.0.3/32, or default.', { format: 'route-prefix' }),
    via: {
      description: 'Next hop(s) that must be present: an address or a node name; a list for ECMP.',
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }],
    },
    dev: str('Outgoing interface.', { format: 'ifname' }),
    protocol: { type: 'string', description: 'Source of the selected route.', enum: ['ospf', 'bgp', 'static', 'connected', 'kernel'] },
    expect: { type: 'string', description: 'present (default) or absent.', enum: ['present', 'absent'] },
  }, { required: ['node', 'prefix'] }),
  exec: obj('A command inside a node, with its expected exit code and output.', {
    node: str('Node that runs the command.', { format: 'node-ref' }),
    cmd: {
      description: 'A shell line (run with /bin/sh -c) or an argv list.',
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
    },
    exit: int('Expected exit code (default 0).', 0, 255),
    stdout: str('Regular expression stdout must match (JavaScript syntax, multiline).'),
    stderr: str('Regular expression stderr must match.'),
    output: str('Regular expression stdout and stderr together must match (what a terminal shows).'),
    timeout: time('Kill the command after this long (default 10s).', 'write a time with its unit, e.g. timeout: 10s'),
  }, { required: ['node', 'cmd'] }),
  ospf_neighbors: obj('OSPF neighbours of an FRR or BIRD node.', {
    node: str('An frr or bird node.', { format: 'node-ref' }),
    count: int('Exact number of neighbours in the state (default: all of them, at least one).', 0, 10000),
    state: str('Neighbour state, e.g. Full (default), 2-Way, Init.', { minLength: 1 }),
    neighbor: str('A neighbour that must be in the state: a node name or a router id.', { minLength: 1 }),
  }, { required: ['node'] }),
  bgp_sessions: obj('BGP sessions of an FRR or BIRD node.', {
    node: str('An frr or bird node.', { format: 'node-ref' }),
    count: int('Exact number of sessions in the state (default: all of them, at least one).', 0, 10000),
    state: str('Session state, e.g. Established (default), Active, Idle.', { minLength: 1 }),
    peer: str('A peer that must be in the state: a node name or an address.', { minLength: 1 }),
  }, { required: ['node'] }),
  bird_protocol: obj('A protocol of a BIRD node (birdc show protocols).', {
    node: str('A bird node.', { format: 'node-ref' }),
    protocol: str('Protocol name from bird.conf, e.g. ospf1.', { minLength: 1 }),
    state: str('State (up, down, start) or info (Running, Established); default up.', { minLength: 1 }),
  }, { required: ['node', 'protocol'] }),
});

/** The schema object (draft-07). */
export const topologySchema: S = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://netlab.dev/schema/topology.schema.json',
  title: 'netlab topology',
  description: 'A network lab: nodes (containers), links (veth pairs, LAN segments), addressing, shaping, routing. See docs/topology.md.',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: str('Lab name: a letter or digit, then letters, digits, - or _; at most 32 bytes. Default: the file name.', { format: 'lab-name', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', maxLength: 32 }),
    description: str('Free text about the lab.'),
    defaults: obj('Settings for every node (the last layer: node → group → kind → defaults).', fieldRefs),
    groups: {
      type: 'object', description: 'Named sets of nodes sharing settings.',
      propertyNames: { format: 'group-name', pattern: NAME_PATTERN },
      additionalProperties: obj('A group: members and settings.', {
        members: list('Node names in this group.', { type: 'string', format: 'node-ref' }),
        ...fieldRefs,
      }),
    },
    kinds: {
      type: 'object', description: 'Settings per kind of node: frr: {…}.',
      propertyNames: { format: 'kind' },
      additionalProperties: obj('Settings for every node of this kind.', kindFieldRefs),
    },
    nodes: {
      description: 'Nodes by name (a mapping), or a list of names.',
      anyOf: [
        {
          type: 'object',
          propertyNames: { format: 'node-name', pattern: NAME_PATTERN, maxLength: 63 },
          additionalProperties: { anyOf: [{ type: 'null' }, ref('node')] },
        },
        { type: 'array', items: { type: 'string', format: 'node-name' } },
      ],
    },
    links: list('Links: [a:eth1, b:eth1], { endpoints: […], … }; 3+ endpoints make a LAN.', ref('link')),
    addressing: {
      description: 'Address pools, or false to assign no addresses.',
      anyOf: [
        { const: false },
        obj('Address pools; a missing pool keeps its default, false turns it off.', {
          loopback: pool(4, 'IPv4 loopbacks, a /32 per node (default 10.0.0.0/16).', '10.0.0.0/16'),
          loopback6: pool(6, 'IPv6 loopbacks, a /128 per node (default none).', '2001:db8:ffff::/64'),
          p2p: pool(4, 'IPv4 point-to-point links, a /31 per link (default 10.1.0.0/16).', '10.1.0.0/16'),
          lan: pool(4, 'IPv4 LAN segments, a /24 per LAN (default 172.16.0.0/12).', '172.16.0.0/12'),
          ipv6: pool(6, 'IPv6 links, a /64 per link (default none).', '2001:db8::/48'),
        }),
      ],
    },
    mtu: int('Default MTU of links, bytes.', 68, 65535, { default: 1500, 'x-hint': 'IPv4 needs at least 68 (RFC 791); veth allows up to 65535' }),
    userns: bool('Run nodes in user namespaces (default false).'),
    name_prefix: str('Each node is also known as <name_prefix><node> in /run/netns and /etc/hosts; {lab} stands for the lab\'s name (an imported containerlab lab: clab-{lab}-).', { pattern: '^[A-Za-z0-9_.{}-]*$', maxLength: 40 }),
    mgmt: {
      description: 'Management network: true, or { network, ipv6, bridge, iface }.',
      anyOf: [
        { type: 'boolean' },
        obj('Management network settings.', {
          network: str('IPv4 network (default 192.168.121.0/24).', { format: 'ipv4-prefix' }),
          ipv6: str('IPv6 network (default none).', { format: 'ipv6-prefix' }),
          bridge: str('Bridge name on the host (default derived from the lab name).', { format: 'ifname' }),
          iface: str('Interface name inside nodes (default eth0).', { format: 'ifname' }),
        }),
      ],
    },
    ospf: ref('ospf'),
    bgp: ref('bgp'),
    tests: {
      description: 'Tests run by netlab validate: a list, or the path of a YAML file holding the list (relative to the topology file). See docs/testing.md.',
      anyOf: [{ type: 'string', minLength: 1 }, list('Tests, each with exactly one of reach, route, exec, ospf_neighbors, bgp_sessions, bird_protocol.', ref('test'))],
    },
  },
  definitions: {
    node: obj('A node.', { group: str('Group name.', { format: 'group-ref' }), ...fieldRefs }),
    ...fieldDefinitions,
    link: {
      description: 'A link.',
      anyOf: [
        { type: 'array', description: 'Brief form: endpoints only.', items: endpoint },
        obj('A link with settings.', {
          endpoints: list('Two endpoints (veth pair), three or more (a LAN), or one (a network of one; or the interface of a dummy, macvlan or vxlan link).', endpoint),
          type: { type: 'string', description: 'veth (default: from the endpoints), dummy (a dummy interface), macvlan (on the host interface parent:), vxlan (a tunnel to remote:).', enum: ['veth', 'dummy', 'macvlan', 'vxlan'] },
          parent: str('macvlan: the host interface it sits on.', { format: 'ifname' }),
          mode: { type: 'string', description: 'macvlan mode (default bridge).', enum: ['bridge', 'private', 'vepa', 'passthru', 'source'] },
          remote: str('vxlan: the remote tunnel end (reached through the host\'s routing).', { format: 'ip-address' }),
          vni: int('vxlan: the VXLAN network identifier.', 0, 16777215),
          port: int('vxlan: UDP port (default 4789).', 1, 65535),
          name: str('Label; for a LAN also the bridge name (at most 15 bytes).', { format: 'ifname' }),
          mtu: int('MTU of both ends, bytes.', 68, 65535, { 'x-hint': 'IPv4 needs at least 68 (RFC 791); veth allows up to 65535' }),
          shaping: ref('shaping'),
          prefix,
          state: { type: 'string', description: 'Administrative state after up.', enum: ['up', 'down'] },
        }, { required: ['endpoints'] }),
      ],
    },
    shaping,
    test: testSchema,
    ospf: obj('OSPF settings (lab-level: defaults for every router).', {
      area: { description: 'Area: a number or a dotted quad.', anyOf: [{ type: 'integer', minimum: 0, maximum: 4294967295 }, { type: 'string', format: 'ipv4-address' }] },
      router_id: str('Router id (default: the IPv4 loopback).', { format: 'ipv4-address' }),
      cost: int('Interface cost.', 1, 65535),
      passive: bool('Interfaces passive by default.'),
      network: { type: 'string', description: 'Interface network type.', enum: ['point-to-point', 'broadcast'] },
      hello: int('Hello interval, seconds.', 1, 65535),
      dead: int('Dead interval, seconds.', 1, 65535),
      interfaces: {
        type: 'object', description: 'Per-interface settings by interface name.',
        propertyNames: { format: 'ifname' },
        additionalProperties: obj('OSPF settings of one interface.', {
          area: { anyOf: [{ type: 'integer', minimum: 0, maximum: 4294967295 }, { type: 'string', format: 'ipv4-address' }] },
          cost: int('Interface cost.', 1, 65535),
          passive: bool('Passive interface.'),
          network: { type: 'string', enum: ['point-to-point', 'broadcast'] },
        }),
      },
      redistribute: list('Route sources to redistribute.', { type: 'string', enum: ['connected', 'static', 'kernel', 'bgp'] }),
      options: { type: 'object', description: 'Daemon-specific options, passed through.' },
    }),
    bgp: obj('BGP settings (lab-level: defaults for routers that run BGP).', {
      as: int('Autonomous system number.', 1, 4294967295),
      router_id: str('Router id (default: the IPv4 loopback).', { format: 'ipv4-address' }),
      neighbors: list('Neighbours: { address } or { node } (+ as).', obj('A BGP neighbour.', {
        address: str('Neighbour address.', { format: 'ip-address' }),
        node: str('Neighbour node name.', { format: 'node-ref' }),
        as: int('Remote AS (default: the node\'s as).', 1, 4294967295),
        description: str('Free text.'),
        options: { type: 'object', description: 'Daemon-specific options, passed through.' },
      })),
      networks: list('Prefixes to announce.', { type: 'string', format: 'ip-prefix' }),
      redistribute: list('Route sources to redistribute.', { type: 'string', enum: ['connected', 'static', 'kernel', 'ospf'] }),
      options: { type: 'object', description: 'Daemon-specific options, passed through.' },
    }),
  },
};

/** The schema as the text of schema/topology.schema.json. */
export function schemaJson(): string {
  return `${JSON.stringify(topologySchema, null, 2)}\n`;
}
