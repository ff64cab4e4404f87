// Reads the V8 CPU profile that `node --cpu-prof` wrote for the server and names the frames with the most self
// time, so a run can say where the server's time goes.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** The `top` frames by self time, as a share of the samples in which the process was not idle. */
export function topFrames(dir: string, root: string, top = 15): Array<{ frame: string; selfPercent: number }> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const self = new Map<string, number>();
  let busy = 0;
  for (const f of files) {
    const { nodes } = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: ProfileNode[] };
    for (const n of nodes) {
      const hits = n.hitCount ?? 0;
      const { functionName, url, lineNumber } = n.callFrame;
      if (hits === 0 || functionName === '(idle)') continue;
      const where = url.replace(`file://${root}`, '').replace(/^.*node_modules\//, '');
      const frame = `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
      self.set(frame, (self.get(frame) ?? 0) + hits);
      busy += hits;
    }
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, hits]) => ({ frame, selfPercent: (100 * hits) / Math.max(busy, 1) }));
}
