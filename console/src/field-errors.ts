// Puts a server error next to the form field it names. The server's InvalidParam details start with the wire name
// ("AdminEmail \"x\" is not a valid email address"), parameter errors quote it in backticks, Commit lists what is
// missing ("…incomplete: AdminEmail, ContactEmail missing"), and CSR problems speak of "the CSR".

export interface FieldErrors {
  /** The fields the message names, first the one to focus. */
  fields: string[];
  message: string;
}

/** Which of `known` (wire names) a server message is about; empty when it names none (shown above the form). */
export function fieldsOfMessage(message: string, known: readonly string[]): string[] {
  const names = new Set(known);
  // The zh envelope puts the catalogue's Chinese text in front of the English detail.
  const detail = message.replace(/^[^\x20-\x7e]+/, '');
  const first = /^([A-Z][A-Za-z]+)\b/.exec(detail)?.[1];
  if (first && names.has(first)) return [first];
  const quoted = /`([A-Za-z]+)(?:\.\d+)?`/.exec(detail)?.[1];
  if (quoted && names.has(quoted)) return [quoted];
  const missing = /incomplete: (.+) missing/.exec(detail);
  if (missing) return missing[1].split(', ').filter((f) => names.has(f));
  if (/does not equal CertificateDomain/.test(detail) && names.has('CertificateDomain')) return ['CertificateDomain'];
  if (/\bCSR\b/.test(detail) && names.has('CsrContent')) return ['CsrContent'];
  const mentioned = known.filter((f) => new RegExp(`\\b${f}\\b`).test(detail));
  const at = (f: string) => detail.search(new RegExp(`\\b${f}\\b`));
  return mentioned.sort((a, b) => at(a) - at(b)).slice(0, 1);
}
