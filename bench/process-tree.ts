/** CPU time of a process and its descendants, from /proc (Linux), for benchmarks that run servers as child processes. */
import { readdirSync, readFileSync } from 'node:fs';

/** The direct children of a process (of all its threads). */
export function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (children !== '') pids.push(...children.split(/\s+/).map(Number));
  }
  return pids;
}

/** The process and every descendant, depth first. */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(processTree)];
}

/** User plus system CPU time in µs, summed over `pids` (a process gone since is counted as 0). */
export function cpuMicros(pids: number[]): number {
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  }
  return (ticks / ticksPerSecond) * 1_000_000;
}
