// SubmitCertificateInformation's own field rules that need no key, CSR or store: the verification types and the
// key password. Pure and browser-safe: the web console checks the same fields with this code.
import { DomainError } from '../errors.js';

export const VERIFY_TYPES = ['DNS_AUTO', 'DNS', 'FILE'] as const;
export type VerifyType = (typeof VERIFY_TYPES)[number];

/**
 * PFX and JKS exports are locked with KeyPassword; keytool refuses store passwords under 6 characters, and
 * printable ASCII keeps the password typeable on every server's command line.
 */
const KEY_PASSWORD = /^[\x21-\x7e]{6,64}$/;

/** KeyPassword (Submit) and CsrKeyPassword (Apply) lock the PFX and JKS exports. */
export function checkKeyPassword(password: string | undefined, field = 'KeyPassword'): void {
  if (password !== undefined && password !== '' && !KEY_PASSWORD.test(password)) {
    throw new DomainError('InvalidParam', `${field} must be 6 to 64 printable ASCII characters without spaces`, field);
  }
}
