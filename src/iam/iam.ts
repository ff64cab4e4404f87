// Accounts, sub-users, API keys (permanent and temporary), projects and policies: creation for the CLI, and
// key resolution for the gateway. SecretKeys are sealed at rest and leave this module only to the verifier
// or, once, to whoever created them.

import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors.js';
import type { SecretBox } from '../pki/secret-box.js';
import type { Db, Store } from '../store/db.js';
import * as repo from '../store/iam-repo.js';
import type { Caller, PolicyStatement } from './caller.js';

export interface IamDeps {
  store: Store;
  box: SecretBox;
  now?: () => number;
}

export interface NewAccount {
  Uin: string;
  AppId: number;
  Name: string;
  SecretId: string;
  SecretKey: string;
}

export interface NewKey {
  SecretId: string;
  SecretKey: string;
  Token?: string;
  /** unix seconds, for temporary keys (as STS's ExpiredTime) */
  ExpiredTime?: number;
}

export interface ResolvedKey {
  secretKey: string;
  /** sha256 hex of the required session token, or null for permanent keys */
  tokenHash: string | null;
  expiresAt: number | null;
  caller: Caller;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(n: number): string {
  const bytes = randomBytes(n * 2);
  let out = '';
  // 62 does not divide 256: reject bytes >= 248 to keep the alphabet uniform.
  for (let i = 0; i < bytes.length && out.length < n; i++) if (bytes[i] < 248) out += ALNUM[bytes[i] % 62];
  return out.length === n ? out : out + randomAlnum(n - out.length);
}

/** 12-digit account identifiers as Tencent's Uins look (100000000000-199999999999 here). */
function newUin(): string {
  return `1${String(randomInt(0, 1e11)).padStart(11, '0')}`;
}

/** A SecretId in Tencent's shape: AKID + 32 alphanumerics; a SecretKey: 32 alphanumerics. */
export function newKeyPair(): { secretId: string; secretKey: string } {
  return { secretId: `AKID${randomAlnum(32)}`, secretKey: randomAlnum(32) };
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of a presented token with the stored hash. */
export function tokenMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(tokenHash(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function isUniqueViolation(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? '');
  return /UNIQUE constraint|duplicate key/i.test(msg);
}

/** Retries an insert whose random identifier collided with an existing one. */
async function withFreshId<T>(make: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await make();
    } catch (e) {
      if (attempt < 5 && isUniqueViolation(e)) continue;
      throw e;
    }
  }
}

/** At most this many resolved keys stay in memory; past it, the one filed first goes. */
const KEY_CACHE_MAX = 10_000;

export class Iam {
  /**
   * Resolved keys, each with the store's IAM version it was read at. The version is read on every request and changes
   * with any write to accounts, sub-users, keys or policies, by any process (database triggers, migration 0004), so a
   * key disabled by the CLI stops working at its next request, on every node; until then a request costs one small
   * read instead of three queries and an AES-GCM open.
   */
  private readonly keys = new Map<string, { version: string; key: ResolvedKey }>();
  private readonly store: Store;
  private readonly box: SecretBox;
  private readonly now: () => number;

  constructor(deps: IamDeps) {
    this.store = deps.store;
    this.box = deps.box;
    this.now = deps.now ?? Date.now;
  }

  private get db(): Db {
    return this.store.db;
  }

  /** The AAD binds a sealed SecretKey to its SecretId, so a sealed value copied to another row won't open. */
  private sealKey(secretId: string, secretKey: string): string {
    return this.box.seal(secretKey, `api-key:${secretId}`);
  }

  async createAccount(
    opts: { name?: string; realNameVerified?: boolean; freeQuota?: number } = {},
  ): Promise<NewAccount> {
    const freeQuota = opts.freeQuota ?? 50;
    if (!Number.isInteger(freeQuota) || freeQuota < 0) throw new DomainError('InvalidParam', 'free quota must be >= 0');
    return withFreshId(() =>
      this.store.tx(async (db) => {
        const uin = newUin();
        const appId = 1250000000 + randomInt(0, 700000000);
        const name = opts.name ?? `account-${uin}`;
        const now = this.now();
        await repo.insertAccount(db, {
          uin,
          app_id: appId,
          name,
          real_name_verified: opts.realNameVerified === false ? 0 : 1,
          free_quota: freeQuota,
          created_at: now,
        });
        const { secretId, secretKey } = newKeyPair();
        await repo.insertApiKey(db, {
          secret_id: secretId,
          owner_uin: uin,
          sub_uin: null,
          secret_key_sealed: this.sealKey(secretId, secretKey),
          token_hash: null,
          expires_at: null,
          disabled: 0,
          created_at: now,
        });
        return { Uin: uin, AppId: appId, Name: name, SecretId: secretId, SecretKey: secretKey };
      }),
    );
  }

  async updateAccount(uin: string, patch: { realNameVerified?: boolean; freeQuota?: number }): Promise<void> {
    const { freeQuota } = patch;
    if (freeQuota !== undefined && (!Number.isInteger(freeQuota) || freeQuota < 0))
      throw new DomainError('InvalidParam', 'free quota must be >= 0');
    const set = {
      ...(patch.realNameVerified === undefined ? {} : { real_name_verified: patch.realNameVerified ? 1 : 0 }),
      ...(freeQuota === undefined ? {} : { free_quota: freeQuota }),
    };
    // An empty SET is an SQL syntax error (`tcssl account update --uin X` with no flag): only check existence.
    const ok =
      Object.keys(set).length === 0
        ? (await repo.findAccount(this.db, uin)) !== undefined
        : await repo.updateAccount(this.db, uin, set);
    if (!ok) throw new DomainError('NotFound', `account ${uin} does not exist`);
  }

  async getAccount(uin: string) {
    const row = await repo.findAccount(this.db, uin);
    if (!row) throw new DomainError('NotFound', `account ${uin} does not exist`);
    return {
      uin: row.uin,
      appId: Number(row.app_id),
      name: row.name,
      realNameVerified: row.real_name_verified === 1,
      freeQuota: row.free_quota,
    };
  }

  async countAccounts(): Promise<number> {
    return repo.countAccounts(this.db);
  }

  async createSubUser(uin: string, name: string): Promise<{ SubUin: string; Uin: string; Name: string } & NewKey> {
    if (!name || name.length > 64) throw new DomainError('InvalidParam', 'sub-user name must be 1 to 64 characters');
    return withFreshId(() =>
      this.store.tx(async (db) => {
        if (!(await repo.findAccount(db, uin))) throw new DomainError('NotFound', `account ${uin} does not exist`);
        const subUin = newUin();
        const now = this.now();
        await repo.insertSubUser(db, { sub_uin: subUin, owner_uin: uin, name, created_at: now }).catch((e) => {
          if (isUniqueViolation(e) && /name/i.test(String(e.message)))
            throw new DomainError('Conflict', `a sub-user named ${name} already exists`);
          throw e;
        });
        const { secretId, secretKey } = newKeyPair();
        await repo.insertApiKey(db, {
          secret_id: secretId,
          owner_uin: uin,
          sub_uin: subUin,
          secret_key_sealed: this.sealKey(secretId, secretKey),
          token_hash: null,
          expires_at: null,
          disabled: 0,
          created_at: now,
        });
        return { SubUin: subUin, Uin: uin, Name: name, SecretId: secretId, SecretKey: secretKey };
      }),
    );
  }

  async createProject(uin: string, name: string): Promise<{ ProjectId: number; Name: string }> {
    if (!name || name.length > 64) throw new DomainError('InvalidParam', 'project name must be 1 to 64 characters');
    return withFreshId(() =>
      this.store.tx(async (db) => {
        if (!(await repo.findAccount(db, uin))) throw new DomainError('NotFound', `account ${uin} does not exist`);
        // Tencent project ids are 7-digit integers; 0 is every account's default project and is never stored.
        const projectId = randomInt(1000000, 10000000);
        await repo
          .insertProject(db, { project_id: projectId, owner_uin: uin, name, created_at: this.now() })
          .catch((e) => {
            // Else withFreshId would retry a name clash as an id clash and then fail with the raw SQL error.
            if (isUniqueViolation(e) && /name/i.test(String(e.message)))
              throw new DomainError('Conflict', `a project named ${name} already exists`);
            throw e;
          });
        return { ProjectId: projectId, Name: name };
      }),
    );
  }

  /** Project 0 always exists; others must belong to the account. */
  async projectBelongsTo(uin: string, projectId: number): Promise<boolean> {
    if (projectId === 0) return true;
    return (await repo.findProject(this.db, uin, projectId)) !== undefined;
  }

  async createKey(opts: { uin?: string; subUin?: string; ttlSeconds?: number }): Promise<NewKey> {
    let ownerUin: string;
    let subUin: string | null = null;
    if (opts.subUin) {
      const sub = await repo.findSubUser(this.db, opts.subUin);
      if (!sub) throw new DomainError('NotFound', `sub-user ${opts.subUin} does not exist`);
      ownerUin = sub.owner_uin;
      subUin = sub.sub_uin;
    } else if (opts.uin) {
      if (!(await repo.findAccount(this.db, opts.uin)))
        throw new DomainError('NotFound', `account ${opts.uin} does not exist`);
      ownerUin = opts.uin;
    } else {
      throw new DomainError('InvalidParam', 'a key needs an account (uin) or a sub-user (sub-uin)');
    }
    const ttl = opts.ttlSeconds;
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > 43200)) {
      // STS caps temporary credentials at 12 hours (43200 s).
      throw new DomainError('InvalidParam', 'ttl must be 1 to 43200 seconds');
    }
    const { secretId, secretKey } = newKeyPair();
    const now = this.now();
    const token = ttl ? randomBytes(96).toString('base64url') : undefined;
    const expiresAt = ttl ? now + ttl * 1000 : null;
    await repo.insertApiKey(this.db, {
      secret_id: secretId,
      owner_uin: ownerUin,
      sub_uin: subUin,
      secret_key_sealed: this.sealKey(secretId, secretKey),
      token_hash: token ? tokenHash(token) : null,
      expires_at: expiresAt,
      disabled: 0,
      created_at: now,
    });
    return token
      ? { SecretId: secretId, SecretKey: secretKey, Token: token, ExpiredTime: Math.floor(expiresAt! / 1000) }
      : { SecretId: secretId, SecretKey: secretKey };
  }

  async setKeyDisabled(secretId: string, disabled: boolean): Promise<void> {
    if (!(await repo.setApiKeyDisabled(this.db, secretId, disabled)))
      throw new DomainError('NotFound', `key ${secretId} does not exist`);
  }

  async attachPolicy(subUin: string, st: PolicyStatement): Promise<{ PolicyId: string }> {
    if (!(await repo.findSubUser(this.db, subUin)))
      throw new DomainError('NotFound', `sub-user ${subUin} does not exist`);
    if (st.actions.length === 0) throw new DomainError('InvalidParam', 'a policy needs at least one action');
    for (const a of st.actions) {
      // A `*` only at the end, as actionMatches reads it: `ssl:*Certificates` would be stored and never match,
      // so a deny written that way would silently deny nothing.
      if (!/^(\*|ssl:[A-Za-z]*\*|ssl:[A-Za-z]+)$/.test(a))
        throw new DomainError('InvalidParam', `action ${a} must look like ssl:ActionName, ssl:Prefix* or ssl:*`);
    }
    const policyId = randomUUID();
    await repo.insertPolicy(this.db, {
      policy_id: policyId,
      sub_uin: subUin,
      effect: st.effect,
      actions: JSON.stringify(st.actions),
      projects: st.projects === null ? null : JSON.stringify(st.projects),
      created_at: this.now(),
    });
    return { PolicyId: policyId };
  }

  /**
   * Looks a SecretId up for the gateway. Null when unknown or disabled: the gateway answers both with
   * AuthFailure.SecretIdNotFound, as Tencent does. Always as of the store's current IAM version (see `keys`).
   */
  async resolveKey(secretId: string): Promise<ResolvedKey | null> {
    // Read before the key: a key read later can only be newer than the version it is filed under, never older.
    const version = await repo.iamVersion(this.store);
    const hit = this.keys.get(secretId);
    if (hit && version !== null && hit.version === version) return hit.key;
    const key = await this.loadKey(secretId);
    if (key && version !== null) {
      if (this.keys.size >= KEY_CACHE_MAX) this.keys.delete(this.keys.keys().next().value as string);
      this.keys.set(secretId, { version, key });
    } else {
      this.keys.delete(secretId);
    }
    return key;
  }

  private async loadKey(secretId: string): Promise<ResolvedKey | null> {
    const key = await repo.findApiKey(this.db, secretId);
    if (!key || key.disabled) return null;
    const account = await repo.findAccount(this.db, key.owner_uin);
    if (!account) return null;
    const policies = key.sub_uin ? (await repo.findPolicies(this.db, key.sub_uin)).map(rowToStatement) : [];
    return {
      secretKey: this.box.openString(key.secret_key_sealed, `api-key:${key.secret_id}`),
      tokenHash: key.token_hash,
      expiresAt: key.expires_at === null ? null : Number(key.expires_at),
      caller: {
        uin: account.uin,
        appId: Number(account.app_id),
        subUin: key.sub_uin,
        secretId: key.secret_id,
        realNameVerified: account.real_name_verified === 1,
        policies,
      },
    };
  }
}

function rowToStatement(row: { effect: 'allow' | 'deny'; actions: string; projects: string | null }): PolicyStatement {
  return {
    effect: row.effect,
    actions: JSON.parse(row.actions) as string[],
    projects: row.projects === null ? null : (JSON.parse(row.projects) as number[]),
  };
}
