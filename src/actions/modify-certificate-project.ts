// ModifyCertificateProject: moves certificates into another project of the account.

import { z } from 'zod';
import { defineAction } from './define-action.js';
import { intRange, list, str } from './wire.js';

export const modifyCertificateProject = defineAction({
  name: 'ModifyCertificateProject',
  summary: 'Moves certificates into another project; reports which moved and which did not.',
  params: z.strictObject({
    CertificateIdList: list(str(64), 100).min(1, 'must name at least one certificate'),
    ProjectId: intRange(0, 99_999_999),
  }),
  errors: { InvalidParam: 'FailedOperation.InvalidParam', AuthError: 'FailedOperation.AuthError' },
  async handle(ctx, p) {
    const { success, failed } = await ctx.orders.modifyProject(ctx.caller, p.CertificateIdList, p.ProjectId, {
      requestId: ctx.requestId,
    });
    return { SuccessCertificates: success, FailCertificates: failed };
  },
});
