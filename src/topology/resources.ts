/**
 * What a node may use, as the resolved lab gives it to the layers that apply
 * it: its cgroup's limits (`Resources`, src/core), the lab's own limits, and
 * host folders bound into it (`Bind`). src/core re-exports them; ./types.ts too.
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
  /** Block I/O limits on one block device (v2 io.max, v1 blkio.throttle.*). */
  io?: IoLimits;
}

/**
 * Block I/O limits of a node (`resources.io`): on the block device its root
 * filesystem's lower layer lives on, or on `device`. A node's writable layer
 * is in memory, so these limit reads of its lower layer (the host's files,
 * or an image's) and writes through binds to host folders.
 */
export interface IoLimits {
  /** Bytes read per second. */
  readBytesPerS?: number;
  /** Bytes written per second. */
  writeBytesPerS?: number;
  readIops?: number;
  writeIops?: number;
  /** A block device (/dev/vdb) or any path on the filesystem whose device is limited; default the node's rootfs (or /). */
  device?: string;
}

/** The lab-wide limits as the topology gives them (`limits:`). */
export interface LabLimitsSpec {
  /** `limits.memory` as bytes… */
  memoryBytes?: number;
  /** …or as a percentage of the host's MemTotal (0–100]. */
  memoryPercent?: number;
}

/** A host path made visible inside a node. */
export interface Bind {
  /** Absolute path on the host. */
  source: string;
  /** Absolute path inside the node. */
  target: string;
  readonly: boolean;
}
