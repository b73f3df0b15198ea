/**
 * Shapes shared by the topology loader and the container core.
 */
import type { DeviceSpec } from './devices.js';

/** Limits of one node's cgroup. */
export interface Resources {
  /** memory limit, bytes (memory.max on v2, memory.limit_in_bytes on v1). */
  memoryBytes?: number;
  /** CPU quota in CPUs, e.g. 0.5 (cpu.max "50000 100000" on v2; cfs_quota_us/cfs_period_us on v1). */
  cpus?: number;
  /** Maximum number of tasks (pids.max); netlab sets a default so a fork bomb stays inside. */
  pids?: number;
  /** CPUs the node may run on, cpuset syntax: "0-1", "0,2". */
  cpuset?: string;
  /** Size of the node's upper layer (its tmpfs), bytes; default DEFAULT_UPPER_BYTES (src/core/limits.ts). */
  upperBytes?: number;
  /** Devices it may use beyond the default list (src/core/devices.ts), resolved at `up`. */
  devices?: DeviceSpec[];
}

/** A host path made visible inside a node. */
export interface Bind {
  /** Absolute path on the host. */
  source: string;
  /** Absolute path inside the node. */
  target: string;
  readonly: boolean;
}
