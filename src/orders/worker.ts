// The background worker that moves committed orders (status 0) through domain validation to issuance, or to
// failure when validation times out. Several workers (threads of one node, or many nodes) may run: each order is
// claimed with a lease in a transaction, and issuance is written only if the order is still under review and
// still claimed by this worker, so a certificate is issued exactly once.

import { randomUUID } from 'node:crypto';
import type { IssuedLeaf, LeafRequest as SignerLeafRequest } from '../pki/signer.js';
import * as writes from '../store/certificate-writes.js';
import * as certs from '../store/certificates-repo.js';
import type { Store } from '../store/db.js';
import type { CertificateRow } from '../store/schema.js';
import type { OrderInfo } from './contacts.js';
import type { Orders } from './orders.js';
import { freeProduct } from './products.js';
import { Status } from './status.js';
import { productOfRow } from './submit.js';
import { allPassed, type DomainChecker, failureSummary, runChecks } from './validation.js';

/** What the worker asks the CA for; the base URL of the CRL/AIA links is the signer's own business. */
export type LeafRequest = Omit<SignerLeafRequest, 'baseUrl'>;
export type { IssuedLeaf };

/** The CA as the worker needs it. */
export interface LeafSigner {
  issue(req: LeafRequest): Promise<IssuedLeaf>;
}

export interface WorkerOptions {
  pollMs: number;
  backoffMs: number;
  maxBackoffMs: number;
  validationTimeoutSeconds: number;
}

export interface WorkerDeps {
  store: Store;
  orders: Orders;
  checker: DomainChecker;
  signer: LeafSigner;
  options: WorkerOptions;
  now?: () => number;
  log?: { info(o: object, m?: string): void; error(o: object, m?: string): void };
}

/** How long a claim holds before another worker may take the order over (a crashed node's orders come back). */
const LEASE_MS = 60_000;
const BATCH = 8;
const DAY_MS = 24 * 3600_000;

/** Paid certificates live a year (a multi-year order is reissued yearly); free ones three months, as Tencent's. */
export function validityMs(row: CertificateRow): number {
  return row.source === 'free' || row.product_id === freeProduct.id ? 90 * DAY_MS : 365 * DAY_MS;
}

export class Worker {
  readonly id = `worker-${randomUUID()}`;
  private readonly deps: WorkerDeps;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(deps: WorkerDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Asks for a pass as soon as possible (after a commit or a manual check), instead of at the next poll. */
  kick(): void {
    if (this.stopped) return; // not started (worker.enabled = false), or stopping
    if (this.running) this.again = true;
    else void this.pass();
  }

  /** Stops polling, waits for the pass in flight, and gives back every claim this worker holds. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await certs.releaseAllClaims(this.deps.store.db, this.id);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pass(), this.deps.options.pollMs);
    this.timer.unref();
  }

  private pass(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.running ??= (async () => {
      try {
        do {
          this.again = false;
          await this.runOnce();
        } while (this.again && !this.stopped);
      } catch (e) {
        this.deps.log?.error({ err: e }, 'worker pass failed');
      } finally {
        this.running = undefined;
        this.schedule();
      }
    })();
    return this.running;
  }

  /** One pass: claim due orders and move each as far as it can go. Returns how many were looked at. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.deps.store.tx((db) =>
        certs.claimDue(db, this.deps.store.dialect, {
          status: Status.Reviewing,
          now: this.now(),
          worker: this.id,
          leaseMs: LEASE_MS,
          limit: BATCH,
        }),
      );
      if (claimed.length === 0 || this.stopped) return total;
      total += claimed.length;
      await Promise.all(claimed.map((row) => this.advance(row)));
    }
  }

  private async advance(row: CertificateRow): Promise<void> {
    const { store } = this.deps;
    try {
      const checks = await runChecks(store.db, this.deps.checker, row.certificate_id, this.now);
      if (allPassed(checks)) {
        await this.issue(row);
        return;
      }
      const elapsed = this.now() - Number(row.committed_at ?? row.updated_at);
      if (elapsed >= this.deps.options.validationTimeoutSeconds * 1000) {
        await this.fail(row, `domain validation timed out: ${failureSummary(checks)}`);
        return;
      }
      const attempts = Math.max(...checks.map((c) => c.attempts), 1);
      const delay = Math.min(this.deps.options.backoffMs * 2 ** (attempts - 1), this.deps.options.maxBackoffMs);
      await certs.releaseClaim(store.db, row.certificate_id, this.id, this.now() + delay);
    } catch (e) {
      this.deps.log?.error({ err: e, certificateId: row.certificate_id }, 'worker could not advance an order');
      await certs
        .releaseClaim(store.db, row.certificate_id, this.id, this.now() + this.deps.options.backoffMs)
        .catch(() => {});
    }
  }

  private async issue(row: CertificateRow): Promise<void> {
    const product = productOfRow(row);
    const level = row.is_dv === 1 ? 'DV' : product.level;
    const info = JSON.parse(row.info) as OrderInfo;
    const now = this.now();
    const leaf = await this.deps.signer.issue({
      csrPem: row.csr_pem ?? '',
      commonName: row.domain,
      domains: JSON.parse(row.san) as string[],
      level,
      organization:
        level === 'DV'
          ? undefined
          : {
              organization: info.organizationName,
              organizationalUnit: info.organizationDivision,
              locality: info.organizationCity,
              state: info.organizationRegion,
              country: info.organizationCountry,
            },
      notBefore: new Date(now),
      notAfter: new Date(now + validityMs(row)),
    });
    await this.finish(
      row,
      {
        status: Status.Issued,
        cert_pem: leaf.certPem,
        chain_pem: leaf.chainPem,
        serial: leaf.serialHex,
        issuer_id: leaf.issuerId,
        cert_begin: leaf.notBefore,
        cert_end: leaf.notAfter,
        status_msg: null,
      },
      'IssueCertificate',
      `issued serial ${leaf.serialHex}`,
    );
  }

  private async fail(row: CertificateRow, why: string): Promise<void> {
    await this.finish(row, { status: Status.ReviewFailed, status_msg: why }, 'ValidationTimeout', why);
  }

  /** The end of an order's review, written only if it is still under review and still ours. */
  private async finish(
    row: CertificateRow,
    patch: Partial<CertificateRow>,
    action: string,
    detail: string,
  ): Promise<boolean> {
    const written = await this.deps.store.tx(async (db) => {
      const current = await writes.findForUpdate(db, this.deps.store.dialect, row.owner_uin, row.certificate_id);
      if (!current || current.status !== Status.Reviewing || current.claimed_by !== this.id) return false;
      await this.deps.orders.apply(
        db,
        current,
        { ...patch, claimed_by: null, claimed_until: null, next_check_at: null },
        { caller: 'system', action, detail },
      );
      return true;
    });
    if (written) this.deps.log?.info({ certificateId: row.certificate_id, action }, detail);
    return written;
  }
}
