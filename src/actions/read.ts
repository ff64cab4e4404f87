// Reading one certificate for a describe action: NotFound for a missing or foreign id, and the caller's project
// permission enforced, the same way orders/ does for writes.

import { DomainError } from '../errors.js';
import { evaluate } from '../iam/policy.js';
import type { CertificateRow } from '../store/schema.js';
import type { ActionContext } from './context.js';

export async function readCertificate(
  ctx: ActionContext,
  certificateId: string,
  action: string,
): Promise<CertificateRow> {
  const row = await ctx.certificates.find(ctx.caller.uin, certificateId);
  if (!row)
    throw new DomainError('NotFound', `certificate ${JSON.stringify(certificateId)} does not exist`, 'CertificateId');
  if (evaluate(ctx.caller, `ssl:${action}`, Number(row.project_id)) !== 'allow') {
    throw new DomainError(
      'NoProjectPermission',
      `you may not call ${action} on certificates of project ${row.project_id}`,
      'CertificateId',
    );
  }
  return row;
}
