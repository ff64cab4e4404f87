// DeleteCertificate: removes a certificate that is finished (cancelled, failed, expired, revoked) or uploaded.

import { z } from 'zod';
import { defineAction } from './define-action.js';
import { bool, str } from './wire.js';

export const deleteCertificate = defineAction({
  name: 'DeleteCertificate',
  summary: 'Deletes a certificate that is not issued and valid; its operation log stays.',
  params: z.strictObject({ CertificateId: str(64), IsCheckResource: bool().optional() }),
  errors: {
    NotFound: 'FailedOperation.CertificateNotFound',
    CannotDeleteIssued: 'FailedOperation.CannotBeDeletedIssued',
    WrongStatus: 'FailedOperation.InvalidCertificateStatusCode',
    AuthError: 'FailedOperation.AuthError',
  },
  async handle(ctx, p) {
    await ctx.orders.remove(ctx.caller, p.CertificateId, { requestId: ctx.requestId });
    // No cloud resources are bound here, so deletion is never asynchronous and there is no task.
    return { DeleteResult: true, TaskId: '' };
  },
});
