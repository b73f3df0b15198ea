/**
 * Shapes shared by the topology loader and the container core.
 */

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
  readBytesPerS?: number;
  writeBytesPerS?: number;
  readIops?: number;
  writeIops?: number;
  /** A block device (/dev/vdb) or any path on the filesystem whose device is limited; default the node's rootfs (or /). */
  device?: string;
}

/** A host path made visible inside a node. */
export interface Bind {
  /** Absolute path on the host. */
  source: string;
  /** Absolute path inside the node. */
  target: string;
  readonly: boolean;
}
