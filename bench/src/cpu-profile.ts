import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '@strangers/testkit';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface TopFrame {
  frame: string;
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  /** Share of all samples in which the process was idle. */
  idlePercent: number;
  frames: TopFrame[];
  /** Self time grouped by where the code lives (our apps, a dependency, node internals…). */
  groups: TopFrame[];
}

function where(url: string): string {
  if (!url) return '(native / GC / idle)';
  if (url.startsWith('node:')) return 'node core';
  const path = url.replace(/^file:\/\//, '');
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (dependency) return dependency[1]!;
  const local = relative(repoRoot, path);
  const workspace = /^(apps|packages)\/[^/]+/.exec(local);
  return workspace ? workspace[0] : local;
}

/** Reads the `.cpuprofile` files in `dir` and ranks frames by self time (samples). */
export function summarizeProfiles(dir: string, top = 15): ProfileSummary[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => {
      const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { nodes: ProfileNode[] };
      // Shares of *busy* time: idle samples say only that the process waited.
      const isIdle = (node: ProfileNode) => node.callFrame.functionName === '(idle)';
      const idle = profile.nodes.filter(isIdle).reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
      const all = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
      const total = all - idle || 1;
      const frames = new Map<string, number>();
      const groups = new Map<string, number>();
      for (const node of profile.nodes) {
        const hits = node.hitCount ?? 0;
        if (hits === 0 || isIdle(node)) continue;
        const { functionName, url, lineNumber } = node.callFrame;
        const place = url.startsWith('file://') ? `${relative(repoRoot, url.slice('file://'.length))}:${lineNumber + 1}` : url;
        const key = `${functionName || '(anonymous)'} ${place}`.trim();
        frames.set(key, (frames.get(key) ?? 0) + hits);
        const group = where(url);
        groups.set(group, (groups.get(group) ?? 0) + hits);
      }
      const rank = (map: Map<string, number>) =>
        [...map.entries()]
          .sort((x, y) => y[1] - x[1])
          .slice(0, top)
          .map(([frame, hits]) => ({ frame, selfPercent: (100 * hits) / total }));
      return { file: name, idlePercent: (100 * idle) / all, frames: rank(frames), groups: rank(groups) };
    });
}
