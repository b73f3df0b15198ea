/**
 * `lab.link('r1:eth1')`: one endpoint of a running lab's link, with what
 * `netlab link set/down/up/show` does to it (src/lab/links.ts). The web UI
 * and scripts use this; the CLI's link commands do the same through the
 * functions below it.
 */
import type { Shaping } from '../shaping/types.js';
import { findEndpoint, otherEnd, setEndpointState, setShaping, showLinks, type LinkChangeOptions, type LinkReport } from './links.js';
import { readLabTopology } from './status.js';

/** One endpoint (`node:iface`) of a running lab. */
export class LinkEndpoint {
  /**
   * @throws UsageError when the lab has no such node or interface (checked
   *   against the lab's topology now, so a typo fails before anything runs).
   */
  constructor(readonly lab: string, readonly endpoint: string) {
    findEndpoint(readLabTopology(lab), endpoint);
  }

  /**
   * Changes the egress shaping (this end → its peer): `change` is merged over
   * what is in effect unless `reset`; a value of 0 removes that impairment.
   * Resolves with the shaping now in effect. Holds the lab's lock (src/lab/lock.ts).
   * @throws UsageError for a combination tc refuses (jitter without delay …)
   *   or an endpoint that is gone; KernelError when the kernel refuses (no sch_netem).
   */
  async set(change: Shaping, opts: { reset?: boolean } & LinkChangeOptions = {}): Promise<Shaping> {
    return (await setShaping(this.lab, [this.endpoint], change, opts.reset ?? false, opts))[0]!;
  }

  /**
   * Cuts the link here: the interface goes administratively down and its peer
   * loses carrier. Holds the lab's lock, as every change does (src/lab/lock.ts).
   */
  down(opts: LinkChangeOptions = {}): Promise<void> {
    return setEndpointState(this.lab, this.endpoint, false, opts);
  }

  /** Restores the link here (administratively up), under the lab's lock. */
  up(opts: LinkChangeOptions = {}): Promise<void> {
    return setEndpointState(this.lab, this.endpoint, true, opts);
  }

  /** State, shaping in effect and counters (`netlab link show ENDPOINT`). @throws UsageError when it is gone. */
  async show(): Promise<LinkReport> {
    return (await showLinks(this.lab, [this.endpoint]))[0]!;
  }

  /**
   * The node endpoint at the other end of the link (`link set --both`).
   * @throws UsageError for a host link or a LAN (no single other node end).
   */
  peer(): string {
    return otherEnd(readLabTopology(this.lab), this.endpoint);
  }
}
