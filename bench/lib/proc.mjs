// CPU time and memory of process trees, read from /proc (Linux).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const MICROS_PER_TICK = 1e6 / TICKS_PER_SECOND;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process ended while we looked
  }
}
// Offsets into statFields (stat(5) field number minus 3).
const PPID = 1;
const UTIME = 11;
const STIME = 12;
const CUTIME = 13;
const CSTIME = 14;

/** The process and every live descendant, found by walking the parent ids of all of /proc. */
export function processTree(rootPid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = statFields(entry)?.[PPID];
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), entry]);
  }
  const tree = [String(rootPid)];
  for (let index = 0; index < tree.length; index++) tree.push(...(children.get(tree[index]) ?? []));
  return tree;
}

/**
 * CPU time (user + system, µs) of a process tree: every live process, all its threads, plus
 * the children it has already reaped (cutime/cstime), so a worker that exited still counts.
 */
export function treeCpuMicros(rootPid) {
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    const fields = statFields(pid);
    if (fields === undefined) continue;
    for (const field of [UTIME, STIME, CUTIME, CSTIME]) ticks += Number(fields[field]);
  }
  return ticks * MICROS_PER_TICK;
}

/** CPU time (µs) of this process's children that have ended and been reaped (e.g. wrk runs). */
export function reapedChildrenCpuMicros() {
  const fields = statFields('self');
  return (Number(fields[CUTIME]) + Number(fields[CSTIME])) * MICROS_PER_TICK;
}

/** Resident memory (bytes) of a process tree, VmRSS summed over its processes. */
export function treeRssBytes(rootPid) {
  let kib = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      kib += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    } catch {
      // ended meanwhile
    }
  }
  return kib * 1024;
}
