// CreateCertificate: buys (here: records) certificate orders, which then wait for their information.

import { z } from 'zod';
import { defineAction } from './define-action.js';
import { int, intRange, list, tag } from './wire.js';

export const createCertificate = defineAction({
  name: 'CreateCertificate',
  summary: 'Orders a certificate of a catalogue product; the order waits for its information (status 5, or 13 free).',
  params: z.strictObject({
    ProductId: int(),
    DomainNum: int(),
    TimeSpan: int(),
    AutoVoucher: intRange(0, 1).optional(),
    Tags: list(tag, 50).optional(),
  }),
  errors: { InvalidParam: 'InvalidParameterValue', Unsupported: 'UnsupportedOperation' },
  async handle(ctx, p) {
    const { certificateIds, dealIds } = await ctx.orders.create(
      ctx.caller,
      { productId: p.ProductId, domainNum: p.DomainNum, timeSpan: p.TimeSpan, tags: p.Tags },
      { requestId: ctx.requestId },
    );
    return { CertificateIds: certificateIds, DealIds: dealIds, ResourceIds: [] };
  },
});
