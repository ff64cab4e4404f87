// Domain-control validation as the order sees it: which challenge each domain of a committed order gets, running
// the checks (through dcv/) and recording their results. dcv/ says whether control is proven; this decides what
// that means for the order.

import type { Challenge, DcvMethod } from '../dcv/challenge.js';
import { canProveByFile, newToken } from '../dcv/challenge.js';
import { DomainError } from '../errors.js';
import type { Db } from '../store/db.js';
import * as dcvRepo from '../store/dcv-repo.js';
import type { CertificateRow, DcvCheckRow } from '../store/schema.js';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface DomainChecker {
  check(ch: Challenge): Promise<CheckResult>;
}

/** DNS_AUTO is checked as DNS: tcssl hosts no DNS zones to add the record to (in auto mode every check passes). */
export function methodFor(verifyType: string): DcvMethod {
  return verifyType === 'FILE' ? 'FILE' : 'DNS';
}

/** Creates fresh challenges for every domain of the order (replacing earlier ones), at commit time. */
export async function createChallenges(db: Db, row: CertificateRow, verifyType: string, now: number): Promise<void> {
  const method = methodFor(verifyType);
  const domains = JSON.parse(row.san) as string[];
  if (method === 'FILE') {
    const wildcard = domains.find((d) => !canProveByFile(d));
    if (wildcard) {
      throw new DomainError(
        'InvalidParam',
        `${wildcard} is a wildcard domain, which FILE validation cannot prove; use VerifyType DNS`,
        'VerifyType',
      );
    }
  }
  await dcvRepo.deleteDcvChecks(db, row.certificate_id);
  await dcvRepo.insertDcvChecks(
    db,
    domains.map((domain) => ({
      certificate_id: row.certificate_id,
      domain,
      method,
      token: newToken(new Date(now)),
      status: 'pending',
      detail: 'not checked yet',
      attempts: 0,
      checked_at: null,
      created_at: now,
    })),
  );
}

/** Runs the checks of the domains not yet proven and records each result; returns every check after the run. */
export async function runChecks(
  db: Db,
  checker: DomainChecker,
  certificateId: string,
  now: () => number,
): Promise<DcvCheckRow[]> {
  const checks = await dcvRepo.findDcvChecks(db, certificateId);
  const results = await Promise.all(
    checks.map(async (c) => {
      if (c.status === 'passed') return c;
      let result: CheckResult;
      try {
        result = await checker.check({ domain: c.domain, method: c.method as DcvMethod, token: c.token });
      } catch (e) {
        result = { ok: false, detail: `the check could not run: ${(e as Error).message}` };
      }
      return {
        ...c,
        status: result.ok ? 'passed' : 'failed',
        detail: result.detail,
        attempts: c.attempts + 1,
        checked_at: now(),
      };
    }),
  );
  for (const r of results) {
    await dcvRepo.updateDcvCheck(db, r.certificate_id, r.domain, {
      status: r.status,
      detail: r.detail,
      attempts: r.attempts,
      checked_at: r.checked_at,
    });
  }
  // Re-read: a concurrent check (manual or another worker) may have proven a domain this run did not.
  return dcvRepo.findDcvChecks(db, certificateId);
}

export function allPassed(checks: DcvCheckRow[]): boolean {
  return checks.length > 0 && checks.every((c) => c.status === 'passed');
}

/** One line naming the domains not yet proven and why, for StatusMsg. */
export function failureSummary(checks: DcvCheckRow[]): string {
  return checks
    .filter((c) => c.status !== 'passed')
    .map((c) => `${c.domain}: ${c.detail}`)
    .join('; ');
}
