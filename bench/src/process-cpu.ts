import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system) a process has used so far, in microseconds; Linux only. */
export function cpuMicros(pid: number): number {
  // The command name (field 2) may hold spaces or parentheses: count fields after its last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the full line: 11 and 12 after the name.
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
}

/** The processes of a run grouped by role, e.g. servers, Redis, load generators. */
export type CpuRoles = Record<string, number[]>;

/** Starts counting the CPU each role uses; `stop()` returns microseconds per role since the start. */
export function startCpuCount(roles: CpuRoles): { stop(): Record<string, number> } {
  const total = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const before = Object.fromEntries(Object.entries(roles).map(([role, pids]) => [role, total(pids)]));
  return {
    stop: () => Object.fromEntries(Object.entries(roles).map(([role, pids]) => [role, total(pids) - before[role]!])),
  };
}
