// Protocol-neutral error kinds that every module throws and the gateway alone turns into wire codes.
// This is a leaf: it imports nothing, so any module may import it (as boulder's errors/ package).

export type ErrorKind =
  /** a parameter failed validation after decoding (bad CSR, bad domain, bad email, ...) */
  | 'InvalidParam'
  /** the resource does not exist, or belongs to someone else (the two are never told apart) */
  | 'NotFound'
  /** the resource's status does not allow the operation */
  | 'WrongStatus'
  /** the caller's policies do not allow the action */
  | 'AuthError'
  /** the caller may perform the action, but not on the resource's project */
  | 'NoProjectPermission'
  /** the account has not completed identity (real-name) verification */
  | 'NoRealNameAuth'
  /** the account's free-certificate quota is used up */
  | 'ExceedsFreeLimit'
  /** the order's information is incomplete for the step asked */
  | 'Incomplete'
  /** the request asks for something the service does not support (e.g. SM2 products) */
  | 'Unsupported'
  /** the resource already exists */
  | 'Conflict'
  /** a certificate or key could not be parsed */
  | 'ParseError'
  /** a certificate and key do not belong together */
  | 'Mismatch'
  /** a CSR could not be parsed or verified */
  | 'CsrInvalid'
  /** an issued certificate cannot be deleted */
  | 'CannotDeleteIssued'
  /** the certificate's status does not allow download */
  | 'NotDownloadable'
  /** a dependency (database, Redis) is unavailable; retryable */
  | 'Unavailable';

export class DomainError extends Error {
  readonly kind: ErrorKind;
  /** Which input field the error concerns, in wire form where known (e.g. "AdminEmail"). */
  readonly field?: string;

  constructor(kind: ErrorKind, detail: string, field?: string) {
    super(detail);
    this.name = 'DomainError';
    this.kind = kind;
    this.field = field;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
