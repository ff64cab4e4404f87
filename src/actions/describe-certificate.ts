// DescribeCertificate: one certificate's order, status and submitted information.

import { z } from 'zod';
import type { CertificateRow, DcvCheckRow } from '../store/schema.js';
import type { Lang } from './context.js';
import { defineAction } from './define-action.js';
import { asciiJson, JsonText } from './json-text.js';
import { keptByRow } from './kept-answers.js';
import { commonFields, dvAuthDetail, sanOf, submittedData } from './present.js';
import { readCertificate } from './read.js';
import { str } from './wire.js';

/**
 * The answer as JSON text in ASCII, kept by the certificate's row and its domain checks: a certificate polled until it
 * is issued is read from the read cache's frozen rows until the next commit, and its answer made once for them
 * (kept-answers.ts). In ASCII, the answer's Chinese names leave it a one-byte string, which costs less to encode.
 */
const answerOf = keptByRow(
  (row: CertificateRow, checks: readonly DcvCheckRow[], lang: Lang) =>
    new JsonText(
      asciiJson(
        // Object.assign, not a spread: on Node 20 a literal that spreads an object and adds about thirty fields takes
        // a slow path (about 150 µs an object, measured), which made a page of DescribeCertificates cost milliseconds.
        Object.assign(commonFields(row, lang), {
          OrderId: row.order_id ?? '',
          DvAuthDetail: dvAuthDetail(checks, sanOf(row)),
          VulnerabilityReport: null,
          SubmittedData: submittedData(row),
          CAEncryptAlgorithms: [],
          CACommonNames: [],
          CAEndTimes: [],
          DvRevokeAuthDetail: [],
        }),
      ),
    ),
);

export const describeCertificate = defineAction({
  name: 'DescribeCertificate',
  summary: 'Describes one certificate: status, domains, order and submitted information.',
  params: z.strictObject({ CertificateId: str(64) }),
  errors: { NotFound: 'FailedOperation.CertificateNotFound', AuthError: 'FailedOperation.AuthError' },
  async handle(ctx, p) {
    const row = await readCertificate(ctx, p.CertificateId, 'DescribeCertificate');
    return answerOf(row, await ctx.certificates.dcvChecks(row.certificate_id), ctx.language);
  },
});
