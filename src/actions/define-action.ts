// The shape of one action: its wire name, CAM permission, rate limit, parameter schema, error table and handler.
// The gateway runs the shared steps (authentication, limits, parameters, the permission pre-check) around it.

import type { z } from 'zod';
import type { ErrorKind } from '../errors.js';
import type { ErrorCode } from '../gateway/error-codes.js';
import type { ActionContext } from './context.js';
import type { JsonText } from './json-text.js';

export interface ActionDefinition<S extends z.ZodType = z.ZodType> {
  /** the exact wire name, e.g. SubmitCertificateInformation */
  name: string;
  /** CAM permission checked before the handler runs; default `ssl:<name>` */
  permission: string;
  /** requests per second per account; undefined means the configured default */
  ratePerSecond?: number;
  /** one-line English summary for the generated reference */
  summary: string;
  params: S;
  /** DomainError kinds mapped to the codes listed on the action's API page */
  errors: Partial<Record<ErrorKind, ErrorCode>>;
  /** The answer's fields, or their JSON already written (json-text.ts). */
  handle(ctx: ActionContext, params: z.output<S>): Promise<Record<string, unknown> | JsonText>;
}

export function defineAction<S extends z.ZodType>(
  def: Omit<ActionDefinition<S>, 'permission' | 'errors'> & {
    permission?: string;
    errors?: Partial<Record<ErrorKind, ErrorCode>>;
  },
): ActionDefinition<S> {
  return { permission: `ssl:${def.name}`, errors: {}, ...def };
}
