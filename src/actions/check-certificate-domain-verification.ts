// CheckCertificateDomainVerification: checks an order's domains now and reports each result.

import { z } from 'zod';
import { dnsChallenge } from '../dcv/challenge.js';
import { Status } from '../orders/status.js';
import { defineAction } from './define-action.js';
import { str } from './wire.js';

export const checkCertificateDomainVerification = defineAction({
  name: 'CheckCertificateDomainVerification',
  summary: "Runs the domain-control checks of an order under review now and reports each domain's result.",
  params: z.strictObject({ CertificateId: str(64) }),
  errors: {
    NotFound: 'FailedOperation.CertificateNotFound',
    WrongStatus: 'FailedOperation.CertificateStatusNotAllowVerify',
    AuthError: 'FailedOperation.AuthError',
  },
  async handle(ctx, p) {
    const { row, checks } = await ctx.orders.checkDomains(ctx.caller, p.CertificateId);
    const issued = row.status === Status.Issued;
    return {
      VerificationResults: checks.map((c) => ({
        Domain: c.domain,
        VerifyType: c.method,
        LocalCheck: c.status === 'passed' ? 1 : 0,
        CaCheck: c.status === 'passed' ? 1 : 0,
        LocalCheckFailReason: c.status === 'passed' ? '' : c.detail,
        CheckValue: c.method === 'DNS' ? [dnsChallenge(c.domain, c.token).value] : [c.token],
        Frequently: false,
        Issued: issued,
      })),
    };
  },
});
