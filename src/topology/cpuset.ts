/**
 * CPU lists as a topology writes them (`resources.cpuset`, cpuset(7) "list
 * format": `0-3,8`): what the loader checks. src/core/cpuset.ts parses them
 * and compares them with the host's CPUs when `up` runs.
 */

/** The highest CPU number Linux can have: CONFIG_NR_CPUS is at most 8192 (arch/x86/Kconfig). */
export const MAX_CPU = 8191;

/**
 * What is wrong with a CPU list (cpuset(7) list format, "0-2,5"), or undefined
 * when it is one: a part that is not N or N-M, a range that runs backwards
 * ("1-0"), a CPU above {@link MAX_CPU}. Pure.
 */
export function cpuListProblem(text: string): string | undefined {
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return `"${part}" is not a CPU number or range`;
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return `the range ${part} runs backwards`;
    if (b > MAX_CPU) return `CPU ${m[2] ?? m[1]} is beyond the ${MAX_CPU + 1} CPUs Linux can have`;
  }
  return undefined;
}
