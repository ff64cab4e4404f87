// ModifyCertificateAlias: renames a certificate (the alias is searchable in DescribeCertificates).

import { z } from 'zod';
import { defineAction } from './define-action.js';
import { str } from './wire.js';

export const modifyCertificateAlias = defineAction({
  name: 'ModifyCertificateAlias',
  summary: "Sets a certificate's alias (empty clears it).",
  params: z.strictObject({ CertificateId: str(64), Alias: str(200).optional() }),
  errors: { NotFound: 'FailedOperation.CertificateNotFound', AuthError: 'FailedOperation.AuthError' },
  async handle(ctx, p) {
    await ctx.orders.modifyAlias(ctx.caller, p.CertificateId, p.Alias ?? '', { requestId: ctx.requestId });
    return { CertificateId: p.CertificateId };
  },
});
