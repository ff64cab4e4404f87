// An open-loop driver for bursts at a fixed rate (wrk and autocannon keep N requests in flight; a burst needs N per
// second whatever the answers take), run as its own process: `node --import tsx bench/burst.ts <spec.json>`.

import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PresignedRequest } from './requests.js';

interface Spec {
  url: string;
  ratePerSecond: number;
  durationS: number;
  timeoutS: number;
  requests: PresignedRequest[];
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Spec;
const agent = new Agent({ keepAlive: true });
const url = new URL(spec.url);
const latencies: number[] = [];
let errors = 0;
let sample = '';

function fail(what: string): void {
  errors++;
  if (!sample) sample = what.slice(0, 300).replace(/[\r\n]/g, ' ');
}

function send(r: PresignedRequest): Promise<void> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      { host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers, agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          latencies.push(performance.now() - started);
          if (res.statusCode !== 200 || body.includes('"Error"')) fail(`${res.statusCode} ${body}`);
          resolve();
        });
      },
    );
    req.setTimeout(spec.timeoutS * 1000, () => req.destroy(new Error(`timed out after ${spec.timeoutS} s`)));
    req.on('error', (e) => {
      fail(String(e));
      resolve();
    });
    req.end(r.body);
  });
}

const total = Math.round(spec.ratePerSecond * spec.durationS);
const interval = 1000 / spec.ratePerSecond;
const start = performance.now();
const inFlight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  // Scheduled against the start, not the previous send, so slow answers never lower the rate.
  const wait = start + i * interval - performance.now();
  if (wait > 0) await sleep(wait);
  inFlight.push(send(spec.requests[i % spec.requests.length]));
}
// The window in which requests were sent: the rate offered, whatever the answers took.
const sendWindow = (performance.now() - start) / 1000 + interval / 1000;
await Promise.all(inFlight);
latencies.sort((a, b) => a - b);
const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const raw = {
  requests: total,
  durationUs: Math.round(sendWindow * 1e6),
  p50Us: Math.round(pick(0.5) * 1000),
  p99Us: Math.round(pick(0.99) * 1000),
  maxUs: Math.round((latencies.at(-1) ?? 0) * 1000),
  appErrors: errors,
  sample,
};
process.stdout.write(`BENCH_RESULT ${JSON.stringify(raw)}\n`);
agent.destroy();
