// DescribeCertificates: the caller's certificates, newest first, filtered and paged from the store.

import { z } from 'zod';
import { projectScope } from '../iam/policy.js';
import { Status } from '../orders/status.js';
import type { ListedCertificate } from '../store/certificate-list.js';
import type { Lang } from './context.js';
import { defineAction } from './define-action.js';
import { JsonText } from './json-text.js';
import { keptByRow } from './kept-answers.js';
import { certificatesItemJson } from './present.js';
import { int, intRange, list, oneOf, str, tag } from './wire.js';

/**
 * A page's answer, kept by its rows, its total and the language: a page's rows are the read cache's frozen rows until
 * the next commit (certificate-list.ts), and the JSON depends on nothing else.
 */
const pageJson = keptByRow((rows: readonly ListedCertificate[], total: number, lang: Lang) => {
  let items = '';
  for (let i = 0; i < rows.length; i++) items += `${i === 0 ? '' : ','}${certificatesItemJson(rows[i], lang)}`;
  return new JsonText(`{"TotalCount":${JSON.stringify(total)},"Certificates":[${items}]}`);
});

/** "Expiring" in FilterExpiring: within 30 days, as the console's expiry reminder. */
const EXPIRING_WINDOW_MS = 30 * 24 * 3600_000;

export const describeCertificates = defineAction({
  name: 'DescribeCertificates',
  summary: 'Lists the certificates of the calling account, with filters and paging.',
  params: z.strictObject({
    Offset: intRange(0, 1_000_000_000).optional(),
    // The SDK model: at most 1000, larger values are treated as 1000.
    Limit: int().optional(),
    SearchKey: str(256).optional(),
    CertificateType: oneOf(['CA', 'SVR']).optional(),
    ProjectId: int().optional(),
    ExpirationSort: oneOf(['ASC', 'DESC']).optional(),
    CertificateStatus: list(intRange(0, 15), 16).optional(),
    Deployable: intRange(0, 1).optional(),
    Upload: intRange(0, 1).optional(),
    Renew: intRange(0, 1).optional(),
    FilterSource: oneOf(['upload', 'buy']).optional(),
    IsSM: intRange(0, 1).optional(),
    FilterExpiring: intRange(0, 1).optional(),
    Hostable: intRange(0, 1).optional(),
    Tags: list(tag, 50).optional(),
    IsPendingIssue: intRange(0, 1).optional(),
    CertIds: list(str(64), 100).optional(),
    ServiceId: str(128).optional(),
  }),
  async handle(ctx, p) {
    const limit = p.Limit === undefined || p.Limit <= 0 ? 10 : Math.min(p.Limit, 1000);
    const scope = projectScope(ctx.caller, 'ssl:DescribeCertificates');
    let projects = scope.only;
    if (p.ProjectId !== undefined) {
      projects = projects === null || projects.includes(p.ProjectId) ? [p.ProjectId] : [];
    }
    let statuses = p.CertificateStatus;
    if (p.IsPendingIssue === 1) statuses = [Status.Reviewing];
    if (p.Deployable === 1) statuses = [Status.Issued];
    // Client certificates (CA) are not issued by this service: that filter matches nothing.
    if (p.CertificateType === 'CA' || p.IsSM === 1) return { TotalCount: 0, Certificates: [] };
    const { total, rows } = await ctx.certificates.list(
      {
        ownerUin: ctx.caller.uin,
        projects,
        excludeProjects: scope.except,
        statuses,
        searchKey: p.SearchKey?.trim() || undefined,
        certificateIds: p.CertIds,
        source: p.Upload === 1 || p.FilterSource === 'upload' ? 'upload' : undefined,
        notSource: p.FilterSource === 'buy' ? 'upload' : undefined,
        tags: p.Tags,
        expiringBefore: p.FilterExpiring === 1 ? Date.now() + EXPIRING_WINDOW_MS : undefined,
        sort: p.ExpirationSort,
      },
      p.Offset ?? 0,
      limit,
    );
    return pageJson(rows, total, ctx.language);
  },
});
