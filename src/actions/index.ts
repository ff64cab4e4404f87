// Every action tcssl answers, alphabetically, one line each: the registry the gateway dispatches on.

import type { ActionDefinition } from './define-action.js';
import { describeCertificates } from './describe-certificates.js';

export const ACTIONS: ReadonlyMap<string, ActionDefinition> = new Map(
  ([describeCertificates] as ActionDefinition[]).map((a) => [a.name, a]),
);
