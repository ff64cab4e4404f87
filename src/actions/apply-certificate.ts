// ApplyCertificate: a free DV certificate for one domain; it goes straight to domain validation.

import { z } from 'zod';
import { DomainError } from '../errors.js';
import { isFreePackageType } from '../orders/products.js';
import { VERIFY_TYPES } from '../orders/submit.js';
import { defineAction } from './define-action.js';
import { bool, intRange, list, oneOf, optionalOneOf, str } from './wire.js';

export const applyCertificate = defineAction({
  name: 'ApplyCertificate',
  summary: 'Applies for a free DV certificate (TrustAsia C1 DV Free, 3 months) for one domain.',
  params: z.strictObject({
    DvAuthMethod: oneOf(VERIFY_TYPES),
    DomainName: str(255),
    ProjectId: intRange(0, 99_999_999).optional(),
    PackageType: str(16).optional(),
    ContactEmail: str(254).optional(),
    ContactPhone: str(32).optional(),
    ValidityPeriod: str(4).optional(),
    CsrEncryptAlgo: optionalOneOf(['RSA', 'ECC']),
    CsrKeyParameter: str(32).optional(),
    CsrKeyPassword: str(128).optional(),
    Alias: str(200).optional(),
    OldCertificateId: str(64).optional(),
    PackageId: str(64).optional(),
    DeleteDnsAutoRecord: bool().optional(),
    DnsNames: list(str(255), 100).optional(),
  }),
  errors: {
    InvalidParam: 'FailedOperation.InvalidParam',
    ExceedsFreeLimit: 'FailedOperation.ExceedsFreeLimit',
    NoRealNameAuth: 'FailedOperation.NoRealNameAuth',
    NoProjectPermission: 'FailedOperation.NoProjectPermission',
    AuthError: 'FailedOperation.AuthError',
  },
  async handle(ctx, p) {
    if (!isFreePackageType(p.PackageType || undefined)) {
      throw new DomainError(
        'InvalidParam',
        `PackageType ${p.PackageType} is not a free product; only 83 is`,
        'PackageType',
      );
    }
    if (p.ValidityPeriod && p.ValidityPeriod !== '3') {
      throw new DomainError('InvalidParam', 'ValidityPeriod must be 3 (months)', 'ValidityPeriod');
    }
    if (p.DnsNames && p.DnsNames.length > 0) {
      throw new DomainError('InvalidParam', 'DnsNames is not supported: a free certificate has one domain', 'DnsNames');
    }
    const row = await ctx.orders.applyFree(
      ctx.caller,
      {
        verifyType: p.DvAuthMethod,
        domain: p.DomainName,
        projectId: p.ProjectId ?? 0,
        contactEmail: p.ContactEmail || undefined,
        contactPhone: p.ContactPhone || undefined,
        algorithm: p.CsrEncryptAlgo ?? 'RSA',
        keyParameter: p.CsrKeyParameter || undefined,
        keyPassword: p.CsrKeyPassword || undefined,
        alias: p.Alias,
      },
      { requestId: ctx.requestId },
    );
    return { CertificateId: row.certificate_id };
  },
});
