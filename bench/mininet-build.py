#!/usr/bin/python3
"""Builds and stops a benchmark graph with Mininet 2.3 (Debian's `mininet`).

    /usr/bin/python3 bench/mininet-build.py GRAPH.json

GRAPH.json: {"nodes": [names], "links": [[a, b], ...]} (bench/topo-gen.ts).
Plain hosts, direct host-to-host links, no switches, no controller, Mininet's
defaults otherwise (one address from 10.0.0.0/8 on each host's first interface).

Driven over stdin/stdout, one JSON object per line:
  -> {"ready": true, "importMs": ...}          after importing Mininet
  <- "up"    -> {"ok": true, "wallMs", "maxRssKiB", "phases", "pids"}
  <- "down"  -> {"ok": true, "wallMs", "maxRssKiB", "phases"}
On an error: {"ok": false, "error": "..."} after stopping what was built.
No CPU time: Mininet's work runs in its host shells and the commands they
start, which rusage cannot attribute to up or down (measured: the children's
time surfaced in down exceeded the host's busy time); the driver reads the
host's busy CPU around each step instead.
Mininet's global setup (fixLimits: host sysctls) is skipped on purpose: the
benchmark changes nothing on the host outside its own objects; only this
process's rlimits are raised.
"""
import json
import resource
import sys
import time

T0 = time.perf_counter()
from mininet.net import Mininet  # noqa: E402
from mininet.node import Host  # noqa: E402
from mininet.log import setLogLevel  # noqa: E402

IMPORT_MS = (time.perf_counter() - T0) * 1000


def say(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def raise_limits():
    for res, want in ((resource.RLIMIT_NOFILE, 65536), (resource.RLIMIT_NPROC, 65536)):
        soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(res, (want, hard))


def main():
    with open(sys.argv[1]) as f:
        graph = json.load(f)
    setLogLevel('error')
    raise_limits()
    Mininet.inited = True  # skip fixLimits(): it writes host-wide sysctls
    say({'ready': True, 'importMs': IMPORT_MS})
    net = None
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == 'up':
            t0 = time.perf_counter()
            try:
                net = Mininet(topo=None, controller=None, build=False, waitConnected=False)
                for name in graph['nodes']:
                    net.addHost(name, cls=Host)
                t1 = time.perf_counter()
                for a, b in graph['links']:
                    net.addLink(a, b)
                t2 = time.perf_counter()
                net.build()
                net.start()
                t3 = time.perf_counter()
                pids = [h.pid for h in net.hosts]
                say({'ok': True, 'wallMs': (t3 - t0) * 1000,
                     'maxRssKiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                     'phases': [{'name': 'hosts', 'ms': (t1 - t0) * 1000},
                                {'name': 'links', 'ms': (t2 - t1) * 1000},
                                {'name': 'build+start', 'ms': (t3 - t2) * 1000}],
                     'pids': pids})
            except Exception as err:  # noqa: BLE001 - report and clean up
                if net is not None:
                    net.stop()
                say({'ok': False, 'error': 'up: %s' % err})
                return 1
        elif cmd == 'down':
            t0 = time.perf_counter()
            try:
                if net is not None:
                    net.stop()
            except Exception as err:  # noqa: BLE001
                say({'ok': False, 'error': 'down: %s' % err})
                return 1
            t1 = time.perf_counter()
            say({'ok': True, 'wallMs': (t1 - t0) * 1000,
                 'maxRssKiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                 'phases': [{'name': 'stop', 'ms': (t1 - t0) * 1000}]})
            return 0
    if net is not None:  # stdin closed without "down": stop anyway
        net.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
