/**
 * Which block device a node's `resources.io` limits (the kernel throttles
 * whole disks: blk-throttle refuses a partition, block/blk-cgroup.c
 * blkg_conf_open_bdev). The device of the filesystem holding the node's
 * lower root (the host's `/` by default), or of `resources.io.device`; a
 * partition is replaced by its disk (`/sys/dev/block/MAJ:MIN/partition`,
 * Documentation/ABI/stable/sysfs-block).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NetlabError } from '../errors.js';

/** Major and minor of a dev_t as the kernel packs it (include/linux/kdev_t.h new_decode_dev). Pure. */
export function splitDev(dev: number): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

/**
 * The whole disk behind `path`, as "MAJ:MIN" (what io.max and blkio.throttle.* take).
 * @throws NetlabError(where) when the path is missing or its filesystem is on no
 *   block device (tmpfs, overlayfs, btrfs subvolumes report an anonymous device).
 */
export function blockDevice(path: string, where: string): string {
  let st;
  try { st = statSync(path); } catch {
    throw new NetlabError(where, `${path} does not exist`, 'give io.device a block device (/dev/vda) or a path on the filesystem to limit');
  }
  const { major, minor } = splitDev(st.isBlockDevice() ? st.rdev : st.dev);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (major === 0 || !existsSync(sys)) {
    throw new NetlabError(where, `${path} is on no block device (device ${major}:${minor}: tmpfs, overlayfs or a btrfs subvolume)`,
      'give resources.io.device the disk to limit, e.g. device: /dev/vda (lsblk lists them)');
  }
  if (!existsSync(join(sys, 'partition'))) return `${major}:${minor}`;
  const disk = dirname(realpathSync(sys)); // …/block/vda/vda1 → …/block/vda
  return readFileSync(join(disk, 'dev'), 'utf8').trim();
}
