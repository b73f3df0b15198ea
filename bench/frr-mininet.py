#!/usr/bin/python3
"""The Mininet-hosts peer of the FRR benchmark: routers built the way IPMininet
builds them, from Debian's `mininet` package and the host's FRR.

    /usr/bin/python3 bench/frr-mininet.py LAB.json

LAB.json (bench/frr-bench.ts writes it from netlab's own loader and renderer,
so both tools run the same graph, addresses, configs and timers):
  {"routers": [{"name", "ifaces": [[name, cidr], ...], "lo": cidr,
                "daemons": {"zebra": text, "ospfd": text, ...}}],
   "links": [[a, a_iface, b, b_iface], ...], "loopbacks": [addr, ...],
   "timeoutS": N}

What it does, as IPMininet does (ipmininet/router/__router.py, config/zebra.py):
plain Mininet hosts (a network namespace each, sharing the host's mounts),
direct host-to-host links, IPv4 forwarding on, then in every host each daemon
started from /usr/lib/frr with its own config file, pid file, zserv socket
and vty directory under one private folder per router (`-f -i -z --vty_socket`),
all routers at once. Then polls every router until its kernel table has a
route to every other router's loopback, like the netlab side.

Prints one JSON object per step on stdout:
  {"step": "built", "ms"}  {"step": "started", "ms"}  {"step": "converged", "ms"}
  {"step": "memory", "pssKiB": {...per daemon, summed}, "routers"}
  {"step": "down", "ms"}   or {"error": "..."} after cleaning up.
Times are from the first addHost (interpreter start and imports not counted).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from mininet.net import Mininet  # noqa: E402
from mininet.node import Host  # noqa: E402
from mininet.log import setLogLevel  # noqa: E402

FRR = '/usr/lib/frr'
OPTIONS = {'zebra': '-A 127.0.0.1 -s 90000000'}


def say(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def start_router(host, r, root):
    """Popen of each daemon of router r (zebra first: the others connect to it)."""
    d = os.path.join(root, r['name'])
    os.makedirs(d)
    shutil.chown(d, 'frr', 'frr')
    procs = []
    for daemon in sorted(r['daemons'], key=lambda x: x != 'zebra'):
        conf = os.path.join(d, daemon + '.conf')
        with open(conf, 'w') as f:
            f.write(r['daemons'][daemon])
        shutil.chown(conf, 'frr', 'frr')
        cmd = [os.path.join(FRR, daemon), '-d', '-f', conf, '-i', os.path.join(d, daemon + '.pid'),
               '-z', os.path.join(d, 'zserv.api'), '--vty_socket', d,
               '-F', 'traditional', '--log', 'file:' + os.path.join(d, 'frr.log')]
        cmd += OPTIONS.get(daemon, '-A 127.0.0.1').split()
        p = host.popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if daemon == 'zebra':
            # zebra must listen before the others connect: wait for its -d
            if p.wait() != 0:
                raise RuntimeError('%s: zebra did not start (exit %d)' % (r['name'], p.returncode))
        else:
            procs.append((r['name'] + ' ' + daemon, p))
    return procs


def pids_of(root, name):
    d = os.path.join(root, name)
    out = {}
    for f in os.listdir(d):
        if f.endswith('.pid'):
            with open(os.path.join(d, f)) as fh:
                out[f[:-4]] = int(fh.read().strip())
    return out


def pss_kib(pid):
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            if line.startswith('Pss:'):
                return int(line.split()[1])
    return 0


def main():
    with open(sys.argv[1]) as f:
        lab = json.load(f)
    setLogLevel('error')
    Mininet.inited = True  # skip fixLimits(): it writes host-wide sysctls
    root = tempfile.mkdtemp(prefix='netlab-bench-frr-mn-')
    os.chmod(root, 0o755)
    net = None
    t0 = time.perf_counter()
    ms = lambda: (time.perf_counter() - t0) * 1000  # noqa: E731
    try:
        net = Mininet(topo=None, controller=None, build=False, waitConnected=False)
        hosts = {}
        for r in lab['routers']:
            hosts[r['name']] = net.addHost(r['name'], cls=Host, ip=None)
        for a, ai, b, bi in lab['links']:
            net.addLink(hosts[a], hosts[b], intfName1=ai, intfName2=bi)
        net.build()
        net.start()
        for r in lab['routers']:
            h = hosts[r['name']]
            cmds = ['sysctl -qw net.ipv4.ip_forward=1', 'ip addr add %s dev lo' % r['lo']]
            cmds += ['ip addr add %s dev %s' % (cidr, i) for i, cidr in r['ifaces']]
            h.cmd('; '.join(cmds))
        say({'step': 'built', 'ms': ms()})
        procs = []
        for r in lab['routers']:
            procs += start_router(hosts[r['name']], r, root)
        for what, p in procs:
            if p.wait() != 0:
                raise RuntimeError('%s did not start (exit %d)' % (what, p.returncode))
        say({'step': 'started', 'ms': ms()})
        want = set(lab['loopbacks'])
        deadline = time.perf_counter() + lab['timeoutS']
        for r in lab['routers']:
            mine = r['lo'].split('/')[0]
            while True:
                out = hosts[r['name']].cmd('ip -j route show')
                have = {x['dst'] for x in json.loads(out or '[]')}
                if len(want - have - {mine}) == 0:
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError('not converged after %d s: %s misses %d loopbacks'
                                       % (lab['timeoutS'], r['name'], len(want - have - {mine})))
                time.sleep(0.25)
        say({'step': 'converged', 'ms': ms()})
        pss = {}
        for r in lab['routers']:
            for daemon, pid in pids_of(root, r['name']).items():
                pss[daemon] = pss.get(daemon, 0) + pss_kib(pid)
        say({'step': 'memory', 'pssKiB': pss, 'routers': len(lab['routers'])})
        t1 = time.perf_counter()
        for r in lab['routers']:
            for pid in pids_of(root, r['name']).values():
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
        net.stop()
        net = None
        say({'step': 'down', 'ms': (time.perf_counter() - t1) * 1000})
        return 0
    except Exception as err:  # noqa: BLE001 - report and clean up
        say({'error': str(err)})
        return 1
    finally:
        if net is not None:
            for r in lab['routers']:
                try:
                    for pid in pids_of(root, r['name']).values():
                        os.kill(pid, 9)
                except (OSError, ValueError):
                    pass
            net.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
