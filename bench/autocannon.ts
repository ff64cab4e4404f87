// The fallback load generator, run as its own process (`node --import tsx bench/autocannon.ts <spec.json>`): replays
// the pre-signed requests with autocannon and prints the same BENCH_RESULT line as bench/wrk.lua.

import { readFileSync } from 'node:fs';
import type { PresignedRequest } from './requests.js';

interface Spec {
  url: string;
  connections: number;
  durationS: number;
  timeoutS: number;
  requests: PresignedRequest[];
}

interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number; max: number };
  duration: number;
  errors: number;
  timeouts: number;
}

type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Spec;
// Not a dependency of the project: load.ts runs this file only when autocannon resolves.
const name = 'autocannon';
const autocannon = ((await import(name)) as { default: Autocannon }).default;

let appErrors = 0;
let sample = '';
const onResponse = (status: number, body: string) => {
  if (status !== 200 || body.includes('"Error"')) {
    appErrors++;
    if (!sample) sample = `${status} ${body}`.slice(0, 300).replace(/[\r\n]/g, ' ');
  }
};

const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  timeout: spec.timeoutS,
  // autocannon sends Host from the URL (the same host:port that was signed); a second Host would be refused.
  requests: spec.requests.map(({ headers: { Host: _host, ...headers }, ...r }) => ({ ...r, headers, onResponse })),
});
const raw = {
  requests: result.requests.total,
  durationUs: Math.round(result.duration * 1e6),
  p50Us: Math.round(result.latency.p50 * 1000),
  p99Us: Math.round(result.latency.p99 * 1000),
  maxUs: Math.round(result.latency.max * 1000),
  appErrors,
  socketErrors: result.errors - result.timeouts,
  timeouts: result.timeouts,
};
process.stdout.write(`BENCH_RESULT ${JSON.stringify(raw)}\nBENCH_SAMPLE ${sample}\n`);
