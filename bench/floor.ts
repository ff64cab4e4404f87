// `npm run bench:floor`: what a request costs the server over HTTP when parts of its work are taken away, to tell how
// far the ratio targets are from what this runtime and machine allow. Each variant is a copy of the built bundle,
// written beside it in dist/ (so it resolves the same packages) and removed afterwards, in which one stage of the API
// pipeline answers every request with the answer it gave the first:
//
//   full        the bundle as built;
//   no-handler  the action's handler runs once: no store read or write, no presentation after the first request;
//   floor       the authenticated caller is reused as well: no key lookup and no signature check either.
//
// What `floor` still does is what every API request needs whatever the action: node:http, the fast path, decoding,
// the version and action checks, the parameters' schema, the policy check, the envelope and the metrics. Rounds
// alternate the variants and the bare node:http baseline on the same machine; the medians are printed. Never part of
// `npm test`; the variants are measurement tools, not tcssl.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pickGenerator } from './load.js';
import { describeMachine, table } from './report.js';
import * as req from './requests.js';
import { createOrders, signedCall, target } from './scenarios.js';
import { buildBundle, CLI, ROOT, startBaseline } from './server.js';
import { log, Session } from './session.js';

const HELP = `usage: npm run bench:floor -- [options]
  --rounds N          rounds, each running every variant once (default 3)
  --duration S        seconds measured per run (default 8)
  --warmup S          seconds of unmeasured load before each run (default 2)
  --connections N     connections (default 32)
  --actions LIST      describe, create (default both)
  --skip-build        use dist/ as it is
  --out FILE          the JSON report (default bench/results/floor.json)`;

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    actions: { type: 'string', default: 'describe,create' },
    'skip-build': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'floor.json') },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const rounds = Number(flags.rounds);
const connections = Number(flags.connections);
const actions = flags.actions.split(',').map((a) => a.trim());
if (![rounds, connections, Number(flags.duration)].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write(`bench: rounds, connections and duration must be whole numbers above 0\n${HELP}\n`);
  process.exit(2);
}
if (!actions.every((a) => a === 'describe' || a === 'create')) {
  process.stderr.write(`bench: --actions takes describe and create\n${HELP}\n`);
  process.exit(2);
}

/** One replacement in the bundle: `anchor` must occur exactly once, or the variant is not what it says. */
interface Patch {
  anchor: string;
  replacement: string;
}

// The lines of src/gateway/pipeline.ts as esbuild writes them into dist/tcssl.mjs.
const HANDLER: Patch = {
  anchor: 'const result = await def.handle(ctx, params);',
  replacement: 'const result = await __floorOnce("handler:" + def.name, () => def.handle(ctx, params));',
};
const AUTH: Patch = {
  anchor: 'const caller = await authenticate(decoded, raw, authDeps);',
  replacement: "const caller = await __floorOnce('caller', () => authenticate(decoded, raw, authDeps));",
};
const ONCE = `const __floorAnswers = new Map();
async function __floorOnce(key, run) {
  if (!__floorAnswers.has(key)) __floorAnswers.set(key, await run());
  return __floorAnswers.get(key);
}
`;

const VARIANTS: Array<{ id: string; meaning: string; patches: Patch[] }> = [
  { id: 'full', meaning: 'as built', patches: [] },
  { id: 'no-handler', meaning: "the handler's first answer reused", patches: [HANDLER] },
  {
    id: 'floor',
    meaning: 'the first caller reused as well: no key lookup, no signature check',
    patches: [HANDLER, AUTH],
  },
];

function writeVariant(bundle: string, id: string, patches: Patch[]): string {
  let text = bundle;
  for (const p of patches) {
    const count = text.split(p.anchor).length - 1;
    if (count !== 1) throw new Error(`dist/tcssl.mjs has ${count} copies of \`${p.anchor}\`; bench/floor.ts needs one`);
    text = text.replace(p.anchor, p.replacement);
  }
  // After the shebang: import declarations are hoisted, so the helper may come before them.
  const nl = text.indexOf('\n') + 1;
  const file = join(ROOT, 'dist', `floor-${id}.mjs`);
  writeFileSync(file, text.startsWith('#!') ? text.slice(0, nl) + ONCE + text.slice(nl) : ONCE + text);
  return file;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const machine = describeMachine();
  const gen = pickGenerator(undefined, 2);
  log(`${machine.cpu}, ${machine.cores} cores; ${gen.version}`);
  if (!flags['skip-build']) buildBundle();
  const work = mkdtempSync(join(tmpdir(), 'tcssl-floor-'));
  const b = new Session(
    {
      duration: Number(flags.duration),
      warmup: Number(flags.warmup),
      connections: [connections],
      fillCount: 0,
      rsaPoolSize: 0,
      keepStore: false,
      skipFill: true,
      cpuProf: false,
      out: flags.out,
    },
    gen,
    work,
  );
  const bundle = readFileSync(CLI, 'utf8');
  const files: string[] = [];
  const cleanup = async () => {
    await b.stopAll();
    for (const f of files) rmSync(f, { force: true });
    rmSync(work, { recursive: true, force: true });
  };
  // The servers are separate processes and the variants sit in dist/: every way out goes through cleanup.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  try {
    const servers = [];
    for (const v of VARIANTS) {
      const cli = writeVariant(bundle, v.id, v.patches);
      files.push(cli);
      const dataDir = join(work, v.id);
      // No key pools: neither action takes a key, and pools filling in the background would share the CPU.
      const env = { TCSSL_RSA_POOL_SIZE: '0' };
      const server = await b.start({ dataDir, logFile: join(work, `${v.id}.log`), env, cli }, v.id);
      const t = target(server);
      servers.push({ v, server, t, ids: await createOrders(t, 16) });
    }
    const first = servers[0];
    const bytes = Buffer.byteLength(
      JSON.stringify(await signedCall(first.t, 'DescribeCertificate', { CertificateId: first.ids[0] })),
    );
    const bare = await startBaseline(bytes);
    b.running.add(bare);
    const results: Array<{ action: string; variant: string; rps: number; cpuUs: number | null }> = [];
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round} of ${rounds}`);
      const base = await b.loadRow({
        target: bare,
        id: 'baseline',
        label: `baseline node:http, ${bytes} B`,
        connections,
        requests: () => req.describeRequests(first.t, first.ids),
        tcssl: false,
      });
      results.push({ action: 'baseline', variant: '-', rps: base.rps, cpuUs: base.cpuUsPerRequest ?? null });
      for (const action of actions) {
        for (const s of servers) {
          const requests =
            action === 'describe' ? () => req.describeRequests(s.t, s.ids) : () => req.createRequests(s.t);
          const row = await b.loadRow({
            target: s.server,
            id: `${action}-${s.v.id}`,
            label: `${action} ${s.v.id}`,
            connections,
            requests,
          });
          if (row.errors > 0) throw new Error(`${action} ${s.v.id}: ${row.errors} errors (${row.errorSample})`);
          results.push({ action, variant: s.v.id, rps: row.rps, cpuUs: row.cpuUsPerRequest ?? null });
        }
      }
    }
    const of = (action: string, variant: string) => results.filter((r) => r.action === action && r.variant === variant);
    const baseRps = median(of('baseline', '-').map((r) => r.rps));
    const lines: string[][] = [];
    for (const [action, variant] of [['baseline', '-'], ...actions.flatMap((a) => VARIANTS.map((v) => [a, v.id]))]) {
      const rs = of(action, variant);
      const rps = rs.map((r) => r.rps);
      const cpu = rs.map((r) => r.cpuUs).filter((c): c is number => c !== null);
      lines.push([
        action,
        variant,
        Math.round(median(rps)).toLocaleString('en-US'),
        `${Math.round(Math.min(...rps)).toLocaleString('en-US')}-${Math.round(Math.max(...rps)).toLocaleString('en-US')}`,
        cpu.length > 0 ? String(Math.round(median(cpu))) : '-',
        action === 'baseline' ? '-' : `${Math.round((100 * median(rps)) / baseRps)}%`,
      ]);
    }
    const head = ['action', 'variant', 'req/s', 'range', 'CPU us', 'x base'];
    process.stdout.write(
      `\ntcssl floor, ${new Date().toISOString()}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ` +
        `${gen.version}; ${rounds} rounds of ${flags.duration} s at ${connections} connections, medians\n\n` +
        `${table(head, lines, new Set([2, 3, 4, 5]))}\n\n` +
        VARIANTS.map((v) => `${v.id}: ${v.meaning}`).join('\n') +
        '\n',
    );
    writeFileSync(
      flags.out,
      `${JSON.stringify({ machine, generator: gen.version, rounds, connections, results }, null, 2)}\n`,
    );
    log(`wrote ${flags.out}`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
