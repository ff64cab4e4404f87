// CommitCertificateInformation: the submitted information is complete; the order goes to review (status 0).

import { z } from 'zod';
import { VERIFY_TYPES } from '../orders/submit.js';
import { defineAction } from './define-action.js';
import { optionalOneOf, str } from './wire.js';

export const commitCertificateInformation = defineAction({
  name: 'CommitCertificateInformation',
  summary: 'Commits a submitted order for domain validation and issuance.',
  params: z.strictObject({ CertificateId: str(64), VerifyType: optionalOneOf(VERIFY_TYPES) }),
  errors: {
    NotFound: 'FailedOperation.CertificateNotFound',
    WrongStatus: 'FailedOperation.InvalidCertificateStatusCode',
    Incomplete: 'FailedOperation.InvalidParam',
    InvalidParam: 'FailedOperation.InvalidParam',
    AuthError: 'FailedOperation.AuthError',
  },
  async handle(ctx, p) {
    const row = await ctx.orders.commit(ctx.caller, p.CertificateId, p.VerifyType, { requestId: ctx.requestId });
    return { OrderId: row.order_id, Status: row.status };
  },
});
