// Reads the V8 CPU profile that `node --cpu-prof` wrote for the server and names the frames with the most self
// time and, among tcssl's own functions, the most total time (self plus callees), so a run can say where the
// server's time goes. The profile itself is copied next to the JSON report: Chrome DevTools (Performance, "Load
// profile") or speedscope draws it as a flame graph.

import { copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileSummary {
  /** frames by self time, as a share of the samples in which the process was not idle */
  self: Array<{ frame: string; percent: number }>;
  /** tcssl's own frames (under dist/) by total time: the frame and everything it called */
  total: Array<{ frame: string; percent: number }>;
  /** where the raw profile was copied */
  file?: string;
}

function frameName(n: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url.replace(`file://${root}`, '').replace(/^.*node_modules\//, '');
  return `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
}

function top(map: Map<string, number>, busy: number, n: number): Array<{ frame: string; percent: number }> {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, hits]) => ({ frame, percent: (100 * hits) / Math.max(busy, 1) }));
}

export function summariseProfile(dir: string, root: string, outFile: string, n = 15): ProfileSummary {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  for (const f of files) {
    const { nodes } = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: ProfileNode[] };
    const byId = new Map(nodes.map((x) => [x.id, x]));
    const parent = new Map<number, number>();
    for (const x of nodes) for (const c of x.children ?? []) parent.set(c, x.id);
    for (const x of nodes) {
      const hits = x.hitCount ?? 0;
      if (hits === 0 || x.callFrame.functionName === '(idle)') continue;
      busy += hits;
      const name = frameName(x, root);
      self.set(name, (self.get(name) ?? 0) + hits);
      // Every distinct own frame on the stack gets the hits once (recursion counted once).
      const seen = new Set<string>();
      for (let id: number | undefined = x.id; id !== undefined; id = parent.get(id)) {
        const frame = byId.get(id);
        if (!frame?.callFrame.url.startsWith(`file://${root}/dist/`)) continue;
        const own = frameName(frame, root);
        if (seen.has(own)) continue;
        seen.add(own);
        total.set(own, (total.get(own) ?? 0) + hits);
      }
    }
  }
  let file: string | undefined;
  if (files.length > 0) {
    // One file per thread (the checkpointer's worker writes its own): the main thread's is by far the largest.
    const largest = files.reduce((a, b) => (statSync(join(dir, b)).size > statSync(join(dir, a)).size ? b : a));
    file = join(dirname(outFile), 'server.cpuprofile');
    copyFileSync(join(dir, largest), file);
  }
  return { self: top(self, busy, n), total: top(total, busy, n), ...(file ? { file } : {}) };
}
