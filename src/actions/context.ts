// What a handler receives: the verified caller, the request's identity, and the services it may call.
// Writes go through orders/ or iam/; reads may go through the read-only certificate repository.

import type { Caller } from '../iam/caller.js';
import type { Iam } from '../iam/iam.js';
import type { Orders } from '../orders/orders.js';
import type { CertificateReader } from '../store/certificates-repo.js';

export interface Services {
  iam: Iam;
  orders: Orders;
  certificates: CertificateReader;
  /** this node's CA, when it issues */
  ca?: { rootPem(): string };
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The language of an answer's names and messages. */
export type Lang = 'en-US' | 'zh-CN';

export interface ActionContext extends Services {
  caller: Caller;
  requestId: string;
  language: Lang;
  log: Logger;
}
