// DescribeCertificateOperateLogs: who changed which certificate, when, from which status to which.

import { z } from 'zod';
import { DomainError } from '../errors.js';
import { defineAction } from './define-action.js';
import { formatTime, parseTime } from './present.js';
import { int, intRange, str } from './wire.js';

export const describeCertificateOperateLogs = defineAction({
  name: 'DescribeCertificateOperateLogs',
  summary: "Lists the account's certificate operation log, newest first, optionally within a time range.",
  params: z.strictObject({
    Offset: intRange(0, 1_000_000_000).optional(),
    Limit: int().optional(),
    StartTime: str(32).optional(),
    EndTime: str(32).optional(),
  }),
  errors: { InvalidParam: 'InvalidParameterValue' },
  async handle(ctx, p) {
    const from = p.StartTime ? parseTime(p.StartTime) : undefined;
    const to = p.EndTime ? parseTime(p.EndTime) : undefined;
    if (p.StartTime && from === undefined) {
      throw new DomainError('InvalidParam', 'StartTime must look like 2024-01-31 08:00:00', 'StartTime');
    }
    if (p.EndTime && to === undefined) {
      throw new DomainError('InvalidParam', 'EndTime must look like 2024-01-31 08:00:00', 'EndTime');
    }
    const limit = p.Limit === undefined || p.Limit <= 0 ? 20 : Math.min(p.Limit, 1000);
    const { total, rows } = await ctx.certificates.logs(ctx.caller.uin, { from, to, offset: p.Offset ?? 0, limit });
    return {
      AllTotal: total,
      TotalCount: rows.length,
      OperateLogs: rows.map((r) => ({
        Action: r.action,
        CreatedOn: formatTime(r.created_at),
        Uin: r.owner_uin,
        SubAccountUin: r.actor === r.owner_uin || r.actor === 'system' ? '' : r.actor,
        CertId: r.certificate_id,
        Type: r.from_status === r.to_status ? '' : `${r.from_status ?? ''}->${r.to_status ?? ''}`,
      })),
    };
  },
});
