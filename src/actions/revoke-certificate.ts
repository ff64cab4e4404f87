// RevokeCertificate: an issued certificate is revoked; the CRL and OCSP answers follow at once.

import { z } from 'zod';
import { defineAction } from './define-action.js';
import { str } from './wire.js';

export const revokeCertificate = defineAction({
  name: 'RevokeCertificate',
  summary: 'Revokes an issued certificate (status 9, then 10); CRL and OCSP answer revoked from then on.',
  params: z.strictObject({ CertificateId: str(64), Reason: str(512).optional() }),
  errors: {
    NotFound: 'FailedOperation.CertificateNotFound',
    WrongStatus: 'FailedOperation.InvalidCertificateStatusCode',
    AuthError: 'FailedOperation.AuthError',
  },
  async handle(ctx, p) {
    await ctx.orders.revoke(ctx.caller, p.CertificateId, p.Reason, { requestId: ctx.requestId });
    // This CA needs no domain re-validation to revoke, so there is nothing to publish.
    return { RevokeDomainValidateAuths: [] };
  },
});
