// UploadCertificate: keeps a certificate (and its key) issued elsewhere.

import { z } from 'zod';
import { defineAction } from './define-action.js';
import { bool, intRange, list, optionalOneOf, str, tag } from './wire.js';

export const uploadCertificate = defineAction({
  name: 'UploadCertificate',
  summary: 'Uploads a certificate chain and its private key issued elsewhere.',
  params: z.strictObject({
    CertificatePublicKey: str(1024 * 1024),
    CertificatePrivateKey: str(64 * 1024).optional(),
    CertificateType: optionalOneOf(['SVR', 'CA']),
    Alias: str(200).optional(),
    ProjectId: intRange(0, 99_999_999).optional(),
    CertificateUse: str(32).optional(),
    Tags: list(tag, 50).optional(),
    Repeatable: bool().optional(),
    KeyPassword: str(128).optional(),
  }),
  errors: {
    ParseError: 'FailedOperation.CertificateParseError',
    Mismatch: 'FailedOperation.CertificateMismatch',
    InvalidParam: 'FailedOperation.InvalidParam',
    NoProjectPermission: 'FailedOperation.NoProjectPermission',
    AuthError: 'FailedOperation.AuthError',
  },
  async handle(ctx, p) {
    const { row, repeatOf } = await ctx.orders.upload(
      ctx.caller,
      {
        publicKeyPem: p.CertificatePublicKey,
        privateKeyPem: p.CertificatePrivateKey || undefined,
        certificateType: p.CertificateType ?? 'SVR',
        alias: p.Alias,
        projectId: p.ProjectId ?? 0,
        tags: p.Tags,
        // The SDK model: identical certificates may be uploaded again unless Repeatable is false.
        repeatable: p.Repeatable ?? true,
        keyPassword: p.KeyPassword || undefined,
      },
      { requestId: ctx.requestId },
    );
    return { CertificateId: row.certificate_id, RepeatCertId: repeatOf ?? '' };
  },
});
