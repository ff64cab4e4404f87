// Table shapes as Kysely sees them. Times are epoch milliseconds; booleans are 0/1 integers and JSON
// columns are text, so the same rows work on SQLite and PostgreSQL. Knows no policy.

import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface AccountTable {
  uin: string;
  app_id: number;
  name: string;
  real_name_verified: number;
  free_quota: number;
  created_at: number;
}

export interface SubUserTable {
  sub_uin: string;
  owner_uin: string;
  name: string;
  created_at: number;
}

export interface ApiKeyTable {
  secret_id: string;
  owner_uin: string;
  /** null for the root account's own keys */
  sub_uin: string | null;
  /** SecretBox-sealed SecretKey */
  secret_key_sealed: string;
  /** sha256 hex of the session token of a temporary key; null for permanent keys */
  token_hash: string | null;
  expires_at: number | null;
  disabled: number;
  created_at: number;
}

export interface ProjectTable {
  project_id: number;
  owner_uin: string;
  name: string;
  created_at: number;
}

export interface PolicyTable {
  policy_id: string;
  sub_uin: string;
  effect: 'allow' | 'deny';
  /** JSON array of 'ssl:Action' or 'ssl:*' */
  actions: string;
  /** JSON array of project ids, or null for every project */
  projects: string | null;
  created_at: number;
}

export interface CertificateTable {
  certificate_id: string;
  owner_uin: string;
  project_id: number;
  status: number;
  /** null for uploaded certificates */
  product_id: number | null;
  /** 'paid' | 'free' | 'upload' */
  source: string;
  domain_num: number;
  time_span: number;
  deal_id: string | null;
  order_id: string | null;
  alias: string;
  /** the primary domain (CN); '' until submitted */
  domain: string;
  /** JSON array of every domain, primary first */
  san: string;
  /** key algorithm for a CSR made online: 'RSA-2048', 'EC-P256' (from the product, or ApplyCertificate) */
  key_spec: string;
  csr_type: string | null;
  csr_pem: string | null;
  private_key_sealed: string | null;
  key_password_sealed: string | null;
  /** JSON of the submitted organisation / administrator / contact information */
  info: string;
  is_dv: number;
  verify_type: string | null;
  status_msg: string | null;
  /** JSON array of {Key, Value} tags */
  tags: string;
  cert_pem: string | null;
  chain_pem: string | null;
  serial: string | null;
  cert_begin: number | null;
  cert_end: number | null;
  submitted_at: number | null;
  committed_at: number | null;
  revoked_at: number | null;
  /** 'SVR' or 'CA' (uploaded CA certificates) */
  certificate_type: Generated<string>;
  /** the intermediate that signed cert_pem */
  issuer_id: string | null;
  /** RFC 5280 CRLReason code once revoked */
  revocation_reason: number | null;
  /** when the worker should next check this order's domains */
  next_check_at: number | null;
  /** worker instance holding the order, and until when */
  claimed_by: string | null;
  claimed_until: number | null;
  /** bumped by every change; an update names the version it read (optimistic concurrency) */
  version: number;
  created_at: number;
  updated_at: number;
}

/**
 * Certificates per owner, project and status, kept exact by triggers on certificates (migration 0003), so that
 * DescribeCertificates' TotalCount is a sum of a few rows. Read-only for the application; a key whose count fell
 * to 0 keeps its row.
 */
export interface CertificateCountTable {
  owner_uin: string;
  project_id: number;
  status: number;
  count: number;
}

export interface OperateLogTable {
  log_id: string;
  certificate_id: string;
  owner_uin: string;
  /** uin or sub-uin of whoever acted; 'system' for the worker */
  actor: string;
  action: string;
  from_status: number | null;
  to_status: number | null;
  /** the certificate's version after the change, which orders the log */
  seq: number;
  request_id: string | null;
  detail: string;
  created_at: number;
}

export interface AuthorityTable {
  authority_id: string;
  role: 'root' | 'intermediate';
  /** 'RSA' | 'EC': the key type of the authority itself */
  key_type: string;
  parent_id: string | null;
  subject: string;
  serial: string;
  cert_pem: string;
  /** SecretBox-sealed PKCS#8 key; null for an imported root whose key stays offline */
  key_sealed: string | null;
  not_before: number;
  not_after: number;
  active: number;
  /** last CRL number issued by this authority */
  crl_number: number;
  created_at: number;
}

export interface DcvCheckTable {
  certificate_id: string;
  domain: string;
  /** 'DNS' | 'FILE' */
  method: string;
  token: string;
  /** 'pending' | 'passed' | 'failed' */
  status: string;
  detail: string;
  attempts: number;
  checked_at: number | null;
  created_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  accounts: AccountTable;
  sub_users: SubUserTable;
  api_keys: ApiKeyTable;
  projects: ProjectTable;
  policies: PolicyTable;
  certificates: CertificateTable;
  certificate_counts: CertificateCountTable;
  operate_logs: OperateLogTable;
  authorities: AuthorityTable;
  dcv_checks: DcvCheckTable;
  meta: MetaTable;
}

export type AccountRow = Selectable<AccountTable>;
export type SubUserRow = Selectable<SubUserTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type ProjectRow = Selectable<ProjectTable>;
export type PolicyRow = Selectable<PolicyTable>;
export type CertificateRow = Selectable<CertificateTable>;
export type NewCertificate = Insertable<CertificateTable>;
export type CertificatePatch = Updateable<CertificateTable>;
export type OperateLogRow = Selectable<OperateLogTable>;
export type AuthorityRow = Selectable<AuthorityTable>;
export type DcvCheckRow = Selectable<DcvCheckTable>;
