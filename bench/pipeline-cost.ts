// The CPU cost of one API call through the pipeline (decode, TC3, key, parameters, handler, envelope) in this
// process, without HTTP or a load generator: `node --import tsx bench/pipeline-cost.ts [action] [calls]`, with
// action one of describe, submit, create, list, and an optional number of calls in flight at once. Quick to repeat
// while changing the code, and steady enough to compare two versions on one machine (five rounds are printed; take
// the lowest). Add `--cpu-prof` before
// `--import` for a profile of the calls. The HTTP side is what `npm run bench` adds.

import { ACTIONS } from '../src/actions/index.js';
import { createApiPipeline } from '../src/gateway/pipeline.js';
import { MemoryRateLimiter } from '../src/gateway/rate-limit.js';
import { Tc3KeyCache } from '../src/gateway/signature-v3.js';
import { startWorld } from '../test/support/world.js';
import type { PresignedRequest, Target } from './requests.js';
import * as req from './requests.js';

const [which = 'describe', callsArg = '10000', concurrencyArg = '1'] = process.argv.slice(2);
const calls = Number(callsArg);
// Calls in flight at once, as a server under load has them: their promise chains interleave and more of each call's
// objects outlive a young-generation collection.
const concurrency = Math.max(1, Number(concurrencyArg));
const world = await startWorld({ rateLimit: { enabled: false } });
const target: Target = {
  host: '127.0.0.1',
  port: world.port,
  creds: { Uin: world.account.uin, SecretId: world.account.secretId, SecretKey: world.account.secretKey },
};
const pipeline = createApiPipeline({
  config: world.config,
  services: world.services,
  rateLimiter: new MemoryRateLimiter(),
  actions: ACTIONS,
  now: Date.now,
  keyCache: new Tc3KeyCache(),
});
const silent = { info() {}, warn() {}, error() {} };

async function call(r: PresignedRequest) {
  const headers: Record<string, string> = { host: `${target.host}:${target.port}` };
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  return pipeline({ method: r.method, url: r.path, headers, body: Buffer.from(r.body), requestId: 'r', log: silent });
}

try {
  const created = await call(req.createRequests(target)[0]);
  const id = (JSON.parse(String(created.body)) as { Response: { CertificateIds: string[] } }).Response
    .CertificateIds[0];
  // The benchmark's own requests; Submit goes to the same order again and again (it replaces its information, as a
  // retrying client would).
  const requests: Record<string, () => PresignedRequest> = {
    describe: () => req.describeRequests(target, [id])[0],
    create: () => req.createRequests(target)[0],
    list: () => req.listRequests(target)[0],
    submit: () => req.submitParseRequests(target, [id], 'TC3-HMAC-SHA256')[0],
  };
  const make = requests[which];
  if (!make) throw new Error(`unknown action ${which}; one of ${Object.keys(requests).join(', ')}`);
  const request = make();
  const first = await call(request);
  if (first.code !== 'Success') throw new Error(`${which} failed: ${first.body}`);
  for (let i = 0; i < Math.min(calls, 2000); i++) await call(request);
  const rounds: string[] = [];
  for (let round = 0; round < 5; round++) {
    const before = process.cpuUsage();
    let left = calls;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await call(request);
      }),
    );
    const used = process.cpuUsage(before);
    rounds.push(((used.user + used.system) / calls).toFixed(1));
  }
  console.log(`${which}: CPU µs a call, five rounds of ${calls}, ${concurrency} at once: ${rounds.join(' ')}`);
} finally {
  await world.close();
}
