// Two `tcssl serve` processes, A and B, on one PostgreSQL database and one Redis, with one master key, driven through
// the official Node SDK: an order moves between the nodes, the per-account Submit limit (20/s) holds over both,
// both workers issue each certificate exactly once, concurrent Submits to one order leave one consistent version,
// and SIGTERM drains a node without losing a request or leaving its worker's claims behind.
// Requests are held in flight by locking their rows in PostgreSQL from the test, never by sleeping.

import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { unzipSync } from 'fflate';
import pg from 'pg';
import { Status } from '../../src/orders/status.js';
import { createCsr, parseCsr } from '../../src/pki/csr.js';
import { type GeneratedKey, generateKey } from '../../src/pki/keys.js';
import { canConnect, tempDir } from '../support/cli.js';
import {
  type Account,
  createAccount,
  createDatabase,
  type Node,
  newMasterKey,
  type Outcome,
  outcome,
  removeDataDir,
  startNode,
  waitFor,
  withinLimit,
} from '../support/nodes.js';
import { serviceUrl, skipWithout } from '../support/services.js';
import type { SslClient } from '../support/world.js';

/** The Submit limit the seed documents: "A maximum of 20 requests can be initiated per second for this API." */
const SUBMIT_PER_SECOND = 20;
/** How long a worker's claim holds (orders/worker.ts LEASE_MS): a claim left behind would block an order this long. */
const LEASE_MS = 60_000;
/** Issuing takes well under a second per order here; the margin is for a 2-core machine running other suites. */
const ISSUE_TIMEOUT_MS = 30_000;

interface Listed {
  CertificateId: string;
  Status: number;
  StatusMsg: string;
}

type Logs = Array<{ Action: string; CertId: string }>;

/** Polls DescribeCertificates (one call for all ids, well under the 20/s limit) until every id is issued. */
async function waitAllIssued(client: SslClient, ids: string[], timeoutMs = ISSUE_TIMEOUT_MS): Promise<void> {
  await waitFor(
    `${ids.length} certificates to be issued`,
    async () => {
      const r = await withinLimit(() => client.DescribeCertificates({ CertIds: ids, Limit: 100 }));
      const rows = r.Certificates as Listed[];
      assert.equal(rows.length, ids.length);
      for (const c of rows) {
        assert.ok(
          c.Status === Status.Issued || c.Status === Status.Reviewing,
          `${c.CertificateId} left review with status ${c.Status}: ${c.StatusMsg}`,
        );
      }
      return rows.every((c) => c.Status === Status.Issued) ? true : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

async function operateLogs(client: SslClient): Promise<Logs> {
  const logs: Logs = [];
  for (;;) {
    const page = await withinLimit(() => client.DescribeCertificateOperateLogs({ Offset: logs.length, Limit: 1000 }));
    logs.push(...page.OperateLogs);
    if (page.OperateLogs.length === 0 || logs.length >= page.AllTotal) return logs;
  }
}

function countOf(logs: Logs, id: string, action: string): number {
  return logs.filter((l) => l.CertId === id && l.Action === action).length;
}

let csrKey: Promise<GeneratedKey> | undefined;

/**
 * A CSR (CsrType parse) for `domains`, the first as CN. All share one EC key: making an RSA key per order (CsrType
 * online, with no key pool) costs about 200 ms of CPU each, which these tests spend only where it is the point.
 */
async function csrFor(domains: string[]): Promise<string> {
  csrKey ??= generateKey({ algorithm: 'ECC' });
  return createCsr({ key: await csrKey, subject: { commonName: domains[0] }, domains });
}

describe('two nodes on one PostgreSQL and one Redis', {
  skip: skipWithout('TCSSL_TEST_PG_URL', 'TCSSL_TEST_REDIS_URL'),
}, () => {
  const masterKey = newMasterKey();
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let sql: pg.Pool;
  let a: Node;
  let b: Node;
  /**
   * Accounts: `flows` for the order flows (their set-up calls retry on RequestLimitExceeded), and one fresh account
   * for each test that counts the limiter's answers, since the limits are per account and Redis keeps its windows.
   */
  let flows: Account;
  let rateCounted: Account;
  let concurrent: Account;
  /** Where the CLI would keep a master key file; with TCSSL_MASTER_KEY set it keeps nothing there. */
  let cliDir: string;

  before(async () => {
    cliDir = tempDir('tcssl-mn-cli-');
    database = await createDatabase(serviceUrl('TCSSL_TEST_PG_URL') as string);
    sql = new pg.Pool({ connectionString: database.url, max: 2 });
    const common = {
      db: database.url,
      rateLimitStore: serviceUrl('TCSSL_TEST_REDIS_URL') as string,
      masterKey,
      // Each node makes the CA if it finds none; 2048 (as test/support/world.ts) instead of 3072 saves seconds.
      config: { ca: { intermediateRsaBits: 2048 } },
    };
    // Both nodes start at once on the empty database (migrations and the CA race), with the CLI creating accounts.
    const account = () => createAccount({ db: database.url, dataDir: cliDir, masterKey });
    [a, b, flows, rateCounted, concurrent] = (await Promise.all([
      startNode({ ...common, name: 'A' }),
      startNode({ ...common, name: 'B' }),
      account(),
      account(),
      account(),
    ])) as [Node, Node, Account, Account, Account];
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await sql?.end();
    await database?.drop();
    for (const n of [a, b]) if (n) removeDataDir(n);
    if (cliDir) rmSync(cliDir, { recursive: true, force: true });
  });

  /** Locks rows of `certificates` in a transaction of its own: a request that writes them stays in flight until release. */
  async function holdRows(ids: string[]): Promise<{ release(): Promise<void> }> {
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('select certificate_id from certificates where certificate_id = any($1) for update', [ids]);
    let released: Promise<void> | undefined;
    return {
      release() {
        released ??= locker
          .query('rollback')
          .then(() => locker.end())
          .catch(() => locker.end());
        return released;
      },
    };
  }

  /** Waits until `n` sessions of the test database wait for a lock: requests the node is holding in flight. */
  async function waitForLockWaiters(n: number): Promise<void> {
    await waitFor(`${n} requests waiting on the row locks`, async () => {
      const r = await sql.query(
        "select count(*)::int as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'",
        [database.name],
      );
      return r.rows[0].n >= n ? true : undefined;
    });
  }

  /** SIGTERM, then the moment the node stops accepting connections (it has begun to close). */
  async function sigtermAndWaitClosed(node: Node): Promise<void> {
    node.signal('SIGTERM');
    await waitFor(
      `${node.name} to stop accepting connections`,
      async () => ((await canConnect(node.port)) ? undefined : true),
      { timeoutMs: 10_000, intervalMs: 10 },
    );
  }

  /** Creates `n` DV orders (48), alternating the nodes. */
  async function createOrders(n: number): Promise<string[]> {
    const clients = [a.client(flows), b.client(flows)];
    return Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const r = await withinLimit(() =>
          clients[i % 2].CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 }),
        );
        return r.CertificateIds[0] as string;
      }),
    );
  }

  /** Submits a parse CSR for `domain` to each order, alternating the nodes (the other way round from createOrders). */
  async function submitOrders(ids: string[], domain: (i: number) => string): Promise<void> {
    const clients = [b.client(flows), a.client(flows)];
    await Promise.all(
      ids.map(async (id, i) => {
        const csr = await csrFor([domain(i)]);
        await withinLimit(() =>
          clients[i % 2].SubmitCertificateInformation({
            CertificateId: id,
            CsrType: 'parse',
            CsrContent: csr,
            ContactEmail: 'orders@example.com',
          }),
        );
      }),
    );
  }

  test('an order created on A, submitted on B and committed on A is issued, and downloads from A with the key B made', async () => {
    const [ca, cb] = [a.client(flows), b.client(flows)];
    const domain = 'flow.mn.example';
    const id = (await withinLimit(() => ca.CreateCertificate({ ProductId: 48, DomainNum: 1, TimeSpan: 1 })))
      .CertificateIds[0];
    await cb.SubmitCertificateInformation({
      CertificateId: id,
      CsrType: 'online',
      CertificateDomain: domain,
      ContactEmail: 'flow@example.com',
    });
    const committed = await ca.CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS_AUTO' });
    assert.equal(committed.Status, Status.Reviewing);
    await waitAllIssued(cb, [id]);

    const detail = await cb.DescribeCertificateDetail({ CertificateId: id });
    assert.equal(detail.Status, Status.Issued);
    // B sealed the private key it made; A opens it with the shared master key to build the download.
    const dl = await ca.DownloadCertificate({ CertificateId: id });
    assert.equal(dl.ContentType, 'application/zip');
    const zip = unzipSync(Buffer.from(dl.Content, 'base64'));
    const bundle = Buffer.from(zip[`Nginx/1_${domain}_bundle.crt`]).toString();
    const keyPem = Buffer.from(zip[`Nginx/2_${domain}.key`]).toString();
    assert.equal(bundle, detail.CertificatePublicKey);
    const leaf = new X509Certificate(bundle);
    assert.equal(leaf.subjectAltName, `DNS:${domain}`);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(keyPem)), 'the downloaded key does not match the certificate');
  });

  test('60 concurrent Submits from one account over both nodes: the shared limit passes 20 per second, the rest get RequestLimitExceeded', async (t) => {
    const clients = [a.client(rateCounted), b.client(rateCounted)];
    // Warm both nodes up (key lookup, connections) with another action, which has its own limit.
    await Promise.all(clients.map((c) => c.DescribeCertificates({ Limit: 1 })));
    const started = Date.now();
    const calls = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const sent = Date.now();
        // An unknown order: a request that passes the limiter is answered FailedOperation.CertificateNotFound.
        const r = await outcome(
          clients[i % 2].SubmitCertificateInformation({
            CertificateId: 'mn-no-such-certificate',
            CsrType: 'online',
            CertificateDomain: 'rate.mn.example',
            ContactEmail: 'rate@example.com',
          }),
        );
        const code = r.kind === 'error' ? r.code : r.kind;
        return { node: i % 2, sent, done: Date.now(), code, message: r.kind === 'error' ? r.message : '' };
      }),
    );
    const elapsed = Date.now() - started;
    for (const c of calls) {
      // ServiceUnavailable (retryable) is the documented answer when Redis does not answer in time (1 s).
      const documented =
        c.code === 'FailedOperation.CertificateNotFound' ||
        c.code === 'RequestLimitExceeded' ||
        (c.code === 'ServiceUnavailable' && /retry/i.test(c.message));
      assert.ok(documented, `${c.code} ${c.message}`);
    }
    const passed = calls.filter((c) => c.code === 'FailedOperation.CertificateNotFound');
    const unavailable = calls.filter((c) => c.code === 'ServiceUnavailable').length;
    t.diagnostic(
      `${passed.length} passed (${passed.filter((c) => c.node === 0).length} on A), ${unavailable} unavailable, ` +
        `in ${elapsed} ms from the first send`,
    );
    // Redis decides each request at some moment between its send and its answer, and no 1000 ms of Redis time holds
    // more than 20 acceptances: so any accepted requests sent and answered within less than 1000 ms are at most 20.
    for (const first of passed) {
      const inWindow = passed.filter((c) => c.sent >= first.sent && c.done - first.sent < 1000);
      assert.ok(inWindow.length <= SUBMIT_PER_SECOND, `${inWindow.length} accepted within one second`);
    }
    // A fresh account: the first 20 to reach Redis pass, on whichever node they arrive. Within one second no more
    // do, where a limiter per node would have let 20 through on each.
    if (elapsed < 1000 && unavailable === 0) assert.equal(passed.length, SUBMIT_PER_SECOND);
    else {
      assert.ok(passed.length + unavailable >= SUBMIT_PER_SECOND);
      assert.ok(passed.length <= SUBMIT_PER_SECOND * Math.ceil((elapsed + 1) / 1000));
    }
  });

  test('20 orders committed at once over both nodes are each issued exactly once, with distinct serials', async (t) => {
    const clients = [a.client(flows), b.client(flows)];
    const ids = await createOrders(20);
    const domain = (i: number) => `w${i}.mn.example`;
    await submitOrders(ids, domain);
    // Which workers hold claims while the orders are issued, read from PostgreSQL (for the report only: which
    // worker wins an order is a race).
    const claimers = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const r = await sql.query('select distinct claimed_by from certificates where claimed_by is not null');
        for (const row of r.rows) claimers.add(row.claimed_by);
        await sleep(10);
      }
    })();
    try {
      const committed = await Promise.all(
        ids.map((id, i) =>
          withinLimit(() => clients[i % 2].CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS_AUTO' })),
        ),
      );
      for (const c of committed) assert.equal(c.Status, Status.Reviewing);
      await waitAllIssued(clients[0], ids);
    } finally {
      watching = false;
      await watcher;
    }
    t.diagnostic(`claims seen from ${claimers.size} workers`);

    const logs = await operateLogs(clients[1]);
    for (const id of ids) assert.equal(countOf(logs, id, 'IssueCertificate'), 1, `IssueCertificate entries of ${id}`);
    const serials = new Set<string>();
    const issuers = new Set<string>();
    for (const [i, id] of ids.entries()) {
      const d = await withinLimit(() => clients[i % 2].DescribeCertificateDetail({ CertificateId: id }));
      const leaf = new X509Certificate(d.CertificatePublicKey);
      assert.equal(leaf.subjectAltName, `DNS:${domain(i)}`);
      serials.add(leaf.serialNumber);
      issuers.add(leaf.issuer);
    }
    assert.equal(serials.size, ids.length);
    // The nodes started together on an empty store, and both sign under the one CA that won that race.
    assert.equal(issuers.size, 1, `leaves of several issuers: ${[...issuers].join(' | ')}`);
    const claimed = await sql.query(
      'select count(*)::int as n from certificates where certificate_id = any($1) and claimed_by is not null',
      [ids],
    );
    assert.equal(claimed.rows[0].n, 0, 'claims are left on issued orders');
  });

  test('50 concurrent Submits to one order over both nodes leave one version equal to one successful request, with one log entry per success', async (t) => {
    const clients = [a.client(concurrent), b.client(concurrent)];
    // TrustAsia DV multi-domain (11) with room for three names, so each request can choose its DomainList.
    const id = (await clients[0].CreateCertificate({ ProductId: 11, DomainNum: 3, TimeSpan: 1 })).CertificateIds[0];
    const primary = 'sub.mn.example';
    const choices = [
      ['a.sub.mn.example'],
      ['b.sub.mn.example'],
      ['a.sub.mn.example', 'c.sub.mn.example'],
      ['c.sub.mn.example', 'b.sub.mn.example'],
    ];
    const csrs = await Promise.all(choices.map((list) => csrFor([primary, ...list])));
    const payloads = Array.from({ length: 50 }, (_, i) => ({
      CertificateId: id,
      CsrType: 'parse',
      CsrContent: csrs[i % choices.length],
      CertificateDomain: primary,
      DomainList: choices[i % choices.length],
      ContactEmail: `contact${i}@example.com`,
    }));
    const results: Array<Outcome<{ CertificateId: string }>> = await Promise.all(
      payloads.map((p, i) => outcome(clients[i % 2].SubmitCertificateInformation(p))),
    );
    const succeeded: number[] = [];
    for (const [i, r] of results.entries()) {
      if (r.kind === 'ok') {
        assert.equal(r.value.CertificateId, id);
        succeeded.push(i);
        continue;
      }
      assert.equal(r.kind, 'error', `request ${i} got no answer: ${r.kind === 'no-answer' ? r.message : ''}`);
      if (r.kind !== 'error') continue;
      // RequestLimitExceeded past 20/s; ServiceUnavailable only as the documented retryable answer.
      const documented =
        r.code === 'RequestLimitExceeded' || (r.code === 'ServiceUnavailable' && /retry/i.test(r.message));
      assert.ok(documented, `request ${i}: ${r.code} ${r.message}`);
    }
    const limited = results.filter((r) => r.kind === 'error' && r.code === 'RequestLimitExceeded').length;
    t.diagnostic(
      `${succeeded.length} succeeded, ${limited} RequestLimitExceeded, ${50 - succeeded.length - limited} other`,
    );
    assert.ok(succeeded.length >= 1, 'no Submit succeeded');

    const [onA, onB] = await Promise.all(clients.map((c) => c.DescribeCertificateDetail({ CertificateId: id })));
    assert.deepEqual(onA.SubmittedData, onB.SubmittedData, 'the nodes disagree on the stored information');
    const stored = onA.SubmittedData as Record<string, unknown>;
    const winners = succeeded.filter((i) => payloads[i].ContactEmail === stored.ContactEmail);
    assert.equal(winners.length, 1, `stored ContactEmail ${stored.ContactEmail} is no successful request's`);
    const won = payloads[winners[0]] as Record<string, unknown>;
    // Every field is the winner's: what it sent (its CSR as the service re-encodes it), and empty for what it did
    // not send, since the information is replaced whole.
    const csrPem = (await parseCsr(won.CsrContent as string)).pem;
    const expected = Object.fromEntries(
      Object.keys(stored).map((k) => [k, k === 'CsrContent' ? csrPem : (won[k] ?? (k === 'DomainList' ? [] : ''))]),
    );
    assert.deepEqual(stored, expected);
    assert.deepEqual(onA.SubjectAltName, [primary, ...(won.DomainList as string[])]);

    const logs = await operateLogs(clients[1]);
    assert.equal(countOf(logs, id, 'SubmitCertificateInformation'), succeeded.length);
    // One version per success on top of the created one: no write was lost or applied twice.
    const row = await sql.query('select version from certificates where certificate_id = $1', [id]);
    assert.equal(row.rows[0].version, 1 + succeeded.length);
  });

  test('SIGTERM on A refuses new connections, finishes its in-flight Submit and Commits, releases its claims and exits 0; B issues the rest', async (t) => {
    // Connection: close on A, as a load balancer draining the node does: this test is about the requests and the
    // worker; idle keep-alive connections are the next test's.
    const ca = a.client(flows, { keepAlive: false });
    const cb = b.client(flows);
    // B is frozen below so that every claim in the store is A's: nothing may be due now, so B holds none.
    await waitFor('no order under review', async () => {
      const r = await sql.query('select count(*)::int as n from certificates where status = $1', [Status.Reviewing]);
      return r.rows[0].n === 0 ? true : undefined;
    });
    // Nine orders to commit: A's PostgreSQL pool has ten connections, one for the Submit and nine for the Commits.
    // Nine is more than a worker claims at once (8), so A's worker needs a second round.
    const [slowId, ...orders] = await createOrders(10);
    await submitOrders(orders, (i) => `drain${i}.mn.example`);

    await b.freeze();
    const held = await holdRows([slowId, ...orders]);
    let released = 0;
    try {
      const settled = new Set<string>();
      const track = <T>(what: string, p: Promise<T>) => p.finally(() => settled.add(what));
      // An online RSA Submit: the key is made on demand (TCSSL_RSA_POOL_SIZE=0), then the write waits for the lock.
      const slow = track(
        'submit',
        outcome(
          ca.SubmitCertificateInformation({
            CertificateId: slowId,
            CsrType: 'online',
            CertificateDomain: 'slow.mn.example',
            ContactEmail: 'slow@example.com',
          }),
        ),
      );
      const commits = orders.map((id) =>
        track(id, outcome(ca.CommitCertificateInformation({ CertificateId: id, VerifyType: 'DNS_AUTO' }))),
      );
      await waitForLockWaiters(1 + orders.length);
      await sigtermAndWaitClosed(a);
      assert.equal(settled.size, 0, `answered before the locks were released: ${[...settled].join(', ')}`);
      await held.release();
      released = Date.now();

      const submitted = await slow;
      assert.equal(submitted.kind, 'ok', `the in-flight Submit failed: ${JSON.stringify(submitted)}`);
      for (const c of await Promise.all(commits)) {
        assert.ok(c.kind === 'ok', `an in-flight Commit failed: ${JSON.stringify(c)}`);
        assert.equal(c.value.Status, Status.Reviewing);
      }
    } finally {
      await held.release();
    }
    const exit = await Promise.race([a.exited, sleep(20_000).then(() => 'still running')]);
    const exitMs = Date.now() - released;
    assert.deepEqual(exit, { code: 0, signal: null }, `A did not exit 0\n${a.output()}`);
    assert.ok(exitMs < 5000, `A took ${exitMs} ms to exit after its last request could finish`);

    // B is frozen and A has exited: a claim still in the store could only be one A left behind. (A worker that is
    // stopped mid-pass claims one more batch and gives it back: without that, this fails.)
    const claims = await sql.query('select certificate_id, claimed_by from certificates where claimed_by is not null');
    assert.deepEqual(claims.rows, [], 'A exited leaving claims');
    const due = await sql.query(
      'select count(*)::int as n from certificates where certificate_id = any($1) and status = $2',
      [orders, Status.Reviewing],
    );
    t.diagnostic(
      `A exited ${exitMs} ms after the locks were released, having issued ${orders.length - due.rows[0].n} of ` +
        `${orders.length} orders; the rest were due and unclaimed`,
    );

    b.signal('SIGCONT');
    const resumed = Date.now();
    await waitAllIssued(cb, orders, LEASE_MS / 2);
    assert.ok(Date.now() - resumed < LEASE_MS / 2, 'the orders waited for a lease to run out');
    const logs = await operateLogs(cb);
    for (const id of orders)
      assert.equal(countOf(logs, id, 'IssueCertificate'), 1, `IssueCertificate entries of ${id}`);
    const slowDetail = await cb.DescribeCertificateDetail({ CertificateId: slowId });
    assert.equal(slowDetail.SubmittedData.ContactEmail, 'slow@example.com');
    assert.match(slowDetail.SubmittedData.CsrContent, /BEGIN CERTIFICATE REQUEST/);
  });

  test('SIGTERM during a request on a keep-alive connection (the SDK default) exits within 4 s of answering it', async () => {
    // A again, on its store and port, after the previous test stopped it.
    a = await a.restart();
    const ca = a.client(flows);
    const [id] = await createOrders(1);
    const held = await holdRows([id]);
    let answered = 0;
    try {
      const submit = outcome(
        ca.SubmitCertificateInformation({
          CertificateId: id,
          CsrType: 'online',
          CertificateDomain: 'keepalive.mn.example',
          ContactEmail: 'keepalive@example.com',
        }),
      ).finally(() => {
        answered = Date.now();
      });
      await waitForLockWaiters(1);
      await sigtermAndWaitClosed(a);
      await held.release();
      const r = await submit;
      assert.equal(r.kind, 'ok', `the in-flight Submit failed: ${JSON.stringify(r)}`);
    } finally {
      await held.release();
    }
    const exit = await Promise.race([a.exited, sleep(15_000).then(() => 'still running')]);
    const exitMs = Date.now() - answered;
    assert.deepEqual(exit, { code: 0, signal: null }, `A did not exit 0\n${a.output()}`);
    // The connection that carried the request is idle once it is answered. A server that leaves it open waits for
    // the client to close it: 5 s with the SDK (Node's agent), 72 s (Fastify's keepAliveTimeout) with a client that
    // keeps it. The bound sits below Node's 5 s; the close itself takes well under a second.
    assert.ok(
      exitMs < 4000,
      `A exited ${exitMs} ms after answering its last request: it waited for an idle connection`,
    );

    assert.deepEqual(await b.stop(), { code: 0, signal: null }, `B did not exit 0\n${b.output()}`);
  });
});
