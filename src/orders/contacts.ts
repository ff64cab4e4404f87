// The order-information rules of contact-rules.ts, with email domains checked by the server's domain rules
// (domains.ts). The rules themselves live there, import no node module, and are shared with the web console.
import { createContactRules } from './contact-rules.js';
import { tryNormalizeDomain } from './domains.js';

export { missingForLevel, ORDER_INFO_FIELDS, type OrderInfo } from './contact-rules.js';

/**
 * Checks the format of what is given (every field optional) and returns a normalised copy; throws
 * DomainError('InvalidParam', …, wire name) on the first problem, in wire order. See contact-rules.ts.
 */
export const checkOrderInfo = createContactRules(tryNormalizeDomain).checkOrderInfo;
