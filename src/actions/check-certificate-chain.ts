// CheckCertificateChain: is this chain complete, valid now, and anchored in a trusted root (ours or a public one)?

import { z } from 'zod';
import { checkChain } from '../pki/chain.js';
import { defineAction } from './define-action.js';
import { str } from './wire.js';

export const checkCertificateChain = defineAction({
  name: 'CheckCertificateChain',
  summary: 'Checks that a PEM chain links up, is valid now, and ends at a trusted root (this CA or a public one).',
  params: z.strictObject({ CertificateChain: str(1024 * 1024) }),
  errors: { ParseError: 'FailedOperation.CertificateParseError', InvalidParam: 'FailedOperation.InvalidParam' },
  async handle(ctx, p) {
    const anchors = ctx.ca ? [ctx.ca.rootPem()] : [];
    const verdict = checkChain(p.CertificateChain, anchors);
    return { IsValid: verdict.valid, IsTrustedCA: verdict.trusted, Chains: verdict.chain };
  },
});
