// DownloadCertificate: a base64 ZIP with the certificate laid out for Nginx, Apache, Tomcat and IIS.

import { z } from 'zod';
import { defineAction } from './define-action.js';
import { str } from './wire.js';

export const downloadCertificate = defineAction({
  name: 'DownloadCertificate',
  summary: 'Downloads an issued certificate as a ZIP for Nginx, Apache, Tomcat (JKS) and IIS (PFX).',
  params: z.strictObject({ CertificateId: str(64) }),
  errors: {
    NotFound: 'FailedOperation.CertificateNotFound',
    NotDownloadable: 'FailedOperation.CertificateStatusNotAllowDownload',
    AuthError: 'FailedOperation.AuthError',
  },
  async handle(ctx, p) {
    const { zip } = await ctx.orders.download(ctx.caller, p.CertificateId);
    return { Content: Buffer.from(zip).toString('base64'), ContentType: 'application/zip' };
  },
});
