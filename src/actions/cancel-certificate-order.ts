// CancelCertificateOrder: an order that has not been issued is cancelled (status 7).

import { z } from 'zod';
import { defineAction } from './define-action.js';
import { str } from './wire.js';

export const cancelCertificateOrder = defineAction({
  name: 'CancelCertificateOrder',
  summary: 'Cancels an order that has not been issued.',
  params: z.strictObject({ CertificateId: str(64) }),
  errors: {
    NotFound: 'FailedOperation.CertificateNotFound',
    WrongStatus: 'FailedOperation.CertificateNotFoundOrCantCancel',
    AuthError: 'FailedOperation.AuthError',
  },
  async handle(ctx, p) {
    const row = await ctx.orders.cancel(ctx.caller, p.CertificateId, { requestId: ctx.requestId });
    return { CertificateId: row.certificate_id };
  },
});
