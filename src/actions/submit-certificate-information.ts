// SubmitCertificateInformation, the seed's action: the CSR (uploaded, or made here), the domains, and the
// organisation, administrator and contact details of a paid (status 5) or free (status 13) order.

import { z } from 'zod';
import { ORDER_INFO_FIELDS, type OrderInfo } from '../orders/contacts.js';
import { VERIFY_TYPES } from '../orders/submit.js';
import { defineAction } from './define-action.js';
import { bool, list, optionalOneOf, str } from './wire.js';

const infoShape = Object.fromEntries(ORDER_INFO_FIELDS.map((f) => [f.wire, str(1024).optional()])) as Record<
  (typeof ORDER_INFO_FIELDS)[number]['wire'],
  z.ZodOptional<z.ZodString>
>;

export const submitCertificateInformation = defineAction({
  name: 'SubmitCertificateInformation',
  summary: 'Submits the CSR, domains and organisation/contact information of a certificate order.',
  // The seed: "A maximum of 20 requests can be initiated per second for this API."
  ratePerSecond: 20,
  params: z.strictObject({
    CertificateId: str(64),
    CsrType: optionalOneOf(['online', 'parse']),
    CsrContent: str(65536).optional(),
    CertificateDomain: str(255).optional(),
    DomainList: list(str(255), 100).optional(),
    KeyPassword: str(128).optional(),
    VerifyType: optionalOneOf(VERIFY_TYPES),
    IsDV: bool().optional(),
    ...infoShape,
  }),
  errors: {
    NotFound: 'FailedOperation.CertificateNotFound',
    WrongStatus: 'FailedOperation.InvalidCertificateStatusCode',
    InvalidParam: 'FailedOperation.InvalidParam',
    CsrInvalid: 'FailedOperation.InvalidParam',
    Unsupported: 'FailedOperation.InvalidParam',
    AuthError: 'FailedOperation.AuthError',
    NoProjectPermission: 'FailedOperation.NoProjectPermission',
    NoRealNameAuth: 'FailedOperation.NoRealNameAuth',
    ExceedsFreeLimit: 'FailedOperation.ExceedsFreeLimit',
  },
  async handle(ctx, p) {
    const info: OrderInfo = {};
    for (const f of ORDER_INFO_FIELDS) {
      const v = (p as Record<string, unknown>)[f.wire];
      if (typeof v === 'string') info[f.key] = v;
    }
    const row = await ctx.orders.submitInformation(
      ctx.caller,
      {
        certificateId: p.CertificateId,
        csrType: p.CsrType,
        csrContent: p.CsrContent || undefined,
        certificateDomain: p.CertificateDomain || undefined,
        domainList: p.DomainList,
        keyPassword: p.KeyPassword || undefined,
        info,
        verifyType: p.VerifyType,
        isDv: p.IsDV,
      },
      { requestId: ctx.requestId },
    );
    return { CertificateId: row.certificate_id };
  },
});
