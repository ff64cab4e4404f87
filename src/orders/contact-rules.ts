// Organisation, administrator and contact fields of an order: their format rules and what each validation level
// requires before CommitCertificateInformation. Pure and browser-safe (the web console checks fields as they are
// typed with this very code): the email check's domain rule is handed in, since domain names need IDN primitives.
// Knows no HTTP, storage or wire codes (only wire field names).
import { DomainError } from '../errors.js';
import type { DomainRules } from './domain-rules.js';
import type { ValidationLevel } from './products.js';

export interface OrderInfo {
  organizationName?: string;
  organizationDivision?: string;
  organizationAddress?: string;
  organizationCountry?: string;
  organizationCity?: string;
  organizationRegion?: string;
  postalCode?: string;
  phoneAreaCode?: string;
  phoneNumber?: string;
  adminFirstName?: string;
  adminLastName?: string;
  adminPhoneNum?: string;
  adminEmail?: string;
  adminPosition?: string;
  contactFirstName?: string;
  contactLastName?: string;
  contactEmail?: string;
  contactNumber?: string;
  contactPosition?: string;
}

type Format = 'text' | 'country' | 'postal' | 'areaCode' | 'landline' | 'mobile' | 'email';
interface FieldRule {
  wire: string;
  key: keyof OrderInfo;
  /** Most characters (Unicode code points) after trimming. */
  max: number;
  format: Format;
}

/**
 * Wire <-> domain names, in the seed's parameter order, with each field's length cap. Caps: names and positions 64,
 * organisation name and address 256, division, city and region 128; formatted fields carry their format's cap (an
 * email address 254, RFC 5321 §4.5.3.1.3's path limit less its angle brackets).
 */
const RULES: readonly FieldRule[] = [
  { wire: 'OrganizationName', key: 'organizationName', max: 256, format: 'text' },
  { wire: 'OrganizationDivision', key: 'organizationDivision', max: 128, format: 'text' },
  { wire: 'OrganizationAddress', key: 'organizationAddress', max: 256, format: 'text' },
  { wire: 'OrganizationCountry', key: 'organizationCountry', max: 2, format: 'country' },
  { wire: 'OrganizationCity', key: 'organizationCity', max: 128, format: 'text' },
  { wire: 'OrganizationRegion', key: 'organizationRegion', max: 128, format: 'text' },
  { wire: 'PostalCode', key: 'postalCode', max: 10, format: 'postal' },
  { wire: 'PhoneAreaCode', key: 'phoneAreaCode', max: 6, format: 'areaCode' },
  { wire: 'PhoneNumber', key: 'phoneNumber', max: 20, format: 'landline' },
  { wire: 'AdminFirstName', key: 'adminFirstName', max: 64, format: 'text' },
  { wire: 'AdminLastName', key: 'adminLastName', max: 64, format: 'text' },
  { wire: 'AdminPhoneNum', key: 'adminPhoneNum', max: 21, format: 'mobile' },
  { wire: 'AdminEmail', key: 'adminEmail', max: 254, format: 'email' },
  { wire: 'AdminPosition', key: 'adminPosition', max: 64, format: 'text' },
  { wire: 'ContactFirstName', key: 'contactFirstName', max: 64, format: 'text' },
  { wire: 'ContactLastName', key: 'contactLastName', max: 64, format: 'text' },
  { wire: 'ContactEmail', key: 'contactEmail', max: 254, format: 'email' },
  { wire: 'ContactNumber', key: 'contactNumber', max: 21, format: 'mobile' },
  { wire: 'ContactPosition', key: 'contactPosition', max: 64, format: 'text' },
];

export const ORDER_INFO_FIELDS: ReadonlyArray<{ wire: string; key: keyof OrderInfo; max: number }> = RULES.map(
  ({ wire, key, max }) => Object.freeze({ wire, key, max }),
);

/** ISO 3166-1 alpha-2: the 249 officially assigned codes (reserved ones such as UK, EU, XK are not among them). */
const COUNTRY_CODES: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO ' +
    'FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE ' +
    'JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO ' +
    'MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW ' +
    'PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM ' +
    'TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** Control characters (C0, DEL, C1), lone surrogates, line/paragraph separators and bidi embedding/isolate controls. */
const FORBIDDEN_CHARS = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u;
const POSTAL = /^[A-Za-z0-9](?:[A-Za-z0-9 -]{1,8})[A-Za-z0-9]$/;
const AREA_CODE = /^\d{2,6}$/;
const LANDLINE = /^\d{5,20}$/;
/** Mobile numbers may be written in E.164 form with a leading '+' ("+8613800000000"); the digits still count 5..20. */
const MOBILE = /^\+?\d{5,20}$/;
/** RFC 5322 dot-atom local part (quoted local parts are refused: no CA mailer needs them). */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

function display(value: string): string {
  const chars = [...value];
  return JSON.stringify(chars.length > 80 ? `${chars.slice(0, 80).join('')}…` : value);
}

function fail(rule: FieldRule, value: string, reason: string): never {
  throw new DomainError('InvalidParam', `${rule.wire} ${display(value)} ${reason}`, rule.wire);
}

type TryNormalizeDomain = DomainRules['tryNormalizeDomain'];

function checkEmail(rule: FieldRule, value: string, tryNormalizeDomain: TryNormalizeDomain): string {
  const at = value.lastIndexOf('@');
  const local = at < 0 ? '' : value.slice(0, at);
  const domain = at < 0 ? '' : value.slice(at + 1);
  if (at < 0 || local === '' || domain === '') fail(rule, value, 'is not a valid email address');
  if (local.length > 64) fail(rule, value, 'is not a valid email address: the part before "@" is over 64 characters');
  if (!LOCAL_PART.test(local)) {
    fail(rule, value, 'is not a valid email address: the part before "@" has characters an address cannot use');
  }
  const d = tryNormalizeDomain(domain, false);
  if ('problem' in d) fail(rule, value, `is not a valid email address: its domain ${d.problem}`);
  const email = `${local}@${d.name}`;
  if (email.length > rule.max) fail(rule, value, `is not a valid email address: it is over ${rule.max} characters`);
  return email;
}

function checkField(rule: FieldRule, value: string, tryNormalizeDomain: TryNormalizeDomain): string {
  switch (rule.format) {
    case 'text':
      return value;
    case 'country': {
      // Checked as ASCII first: 'ı'.toUpperCase() is 'I', which would let 'ıl' pass as IL.
      const code = /^[A-Za-z]{2}$/.test(value) ? value.toUpperCase() : '';
      if (!COUNTRY_CODES.has(code)) fail(rule, value, 'is not an ISO 3166-1 alpha-2 country code such as "CN"');
      return code;
    }
    case 'postal':
      if (!POSTAL.test(value)) fail(rule, value, 'must be 3 to 10 letters, digits, spaces or hyphens');
      return value;
    case 'areaCode':
      if (!AREA_CODE.test(value)) fail(rule, value, 'must be 2 to 6 digits');
      return value;
    case 'landline':
      if (!LANDLINE.test(value)) fail(rule, value, 'must be 5 to 20 digits');
      return value;
    case 'mobile':
      if (!MOBILE.test(value)) fail(rule, value, 'must be 5 to 20 digits, optionally after a leading "+"');
      return value;
    case 'email':
      return checkEmail(rule, value, tryNormalizeDomain);
  }
}

export interface ContactRules {
  checkOrderInfo(info: OrderInfo): OrderInfo;
}

/** The format rules, with email domains checked by the given domain rule (domain-rules.ts). */
export function createContactRules(tryNormalizeDomain: TryNormalizeDomain): ContactRules {
  /**
   * Checks the format of what is given (every field optional) and returns a normalised copy: trimmed, country upper
   * case, an email's domain lowercased and in punycode. A field that is empty after trimming counts as not given and is
   * left out of the copy (clients send "" for fields they do not use). Throws DomainError('InvalidParam', …, wire name)
   * on the first problem, in wire order.
   */
  function checkOrderInfo(info: OrderInfo): OrderInfo {
    const out: OrderInfo = {};
    for (const rule of RULES) {
      const raw: unknown = info[rule.key];
      if (raw === undefined) continue;
      if (typeof raw !== 'string') {
        throw new DomainError('InvalidParam', `${rule.wire} must be a string`, rule.wire);
      }
      const value = raw.trim();
      if (value === '') continue;
      if (FORBIDDEN_CHARS.test(value)) fail(rule, value, 'contains control characters');
      // Formatted fields (country, postal code, phones) are bounded by their pattern, whose message says more.
      const length = [...value].length;
      if ((rule.format === 'text' || rule.format === 'email') && length > rule.max) {
        fail(rule, value, `is ${length} characters long, over ${rule.max}`);
      }
      out[rule.key] = checkField(rule, value, tryNormalizeDomain);
    }
    return out;
  }

  return { checkOrderInfo };
}

const DV_REQUIRED: readonly (keyof OrderInfo)[] = ['contactEmail'];
const OV_EV_OPTIONAL: ReadonlySet<keyof OrderInfo> = new Set(['postalCode']);

/**
 * What CommitCertificateInformation still lacks for the validation level, as wire field names in wire order (empty
 * means complete). DV: CertificateDomain and ContactEmail (the address the CA writes to about validation and
 * issuance; the rest of a DV order's information is never checked by a CA). OV/EV: CertificateDomain and every field
 * but PostalCode, which not every country has.
 */
export function missingForLevel(level: ValidationLevel, info: OrderInfo, hasDomain: boolean): string[] {
  const missing = hasDomain ? [] : ['CertificateDomain'];
  for (const rule of RULES) {
    const required = level === 'DV' ? DV_REQUIRED.includes(rule.key) : !OV_EV_OPTIONAL.has(rule.key);
    const value = info[rule.key];
    if (required && (typeof value !== 'string' || value.trim() === '')) missing.push(rule.wire);
  }
  return missing;
}
