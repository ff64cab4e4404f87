// Rows of identity: accounts, sub-users, API keys, projects, policies. Queries only; the rules live in iam/.

import type { Db, Store } from './db.js';
import type { AccountRow, ApiKeyRow, PolicyRow, ProjectRow, SubUserRow } from './schema.js';

export async function insertAccount(db: Db, row: AccountRow): Promise<void> {
  await db.insertInto('accounts').values(row).execute();
}

export async function findAccount(db: Db, uin: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('uin', '=', uin).executeTakeFirst();
}

export async function findAccountByAppId(db: Db, appId: number): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('app_id', '=', appId).executeTakeFirst();
}

export async function updateAccount(
  db: Db,
  uin: string,
  patch: Partial<Pick<AccountRow, 'name' | 'real_name_verified' | 'free_quota'>>,
): Promise<boolean> {
  const r = await db.updateTable('accounts').set(patch).where('uin', '=', uin).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function countAccounts(db: Db): Promise<number> {
  const r = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertSubUser(db: Db, row: SubUserRow): Promise<void> {
  await db.insertInto('sub_users').values(row).execute();
}

export async function findSubUser(db: Db, subUin: string): Promise<SubUserRow | undefined> {
  return db.selectFrom('sub_users').selectAll().where('sub_uin', '=', subUin).executeTakeFirst();
}

export async function insertApiKey(db: Db, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function findApiKey(db: Db, secretId: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('secret_id', '=', secretId).executeTakeFirst();
}

export async function setApiKeyDisabled(db: Db, secretId: string, disabled: boolean): Promise<boolean> {
  const r = await db
    .updateTable('api_keys')
    .set({ disabled: disabled ? 1 : 0 })
    .where('secret_id', '=', secretId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function insertProject(db: Db, row: ProjectRow): Promise<void> {
  await db.insertInto('projects').values(row).execute();
}

export async function findProject(db: Db, ownerUin: string, projectId: number): Promise<ProjectRow | undefined> {
  return db
    .selectFrom('projects')
    .selectAll()
    .where('owner_uin', '=', ownerUin)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
}

export async function findProjectById(db: Db, projectId: number): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('project_id', '=', projectId).executeTakeFirst();
}

export async function insertPolicy(db: Db, row: PolicyRow): Promise<void> {
  await db.insertInto('policies').values(row).execute();
}

export async function findPolicies(db: Db, subUin: string): Promise<PolicyRow[]> {
  return db.selectFrom('policies').selectAll().where('sub_uin', '=', subUin).orderBy('created_at').execute();
}

/**
 * The IAM version: a counter in `meta` that database triggers raise on every write to accounts, sub-users, API keys
 * and policies (migration 0004), whoever writes. Null on a store without it.
 */
export async function iamVersion(store: Store): Promise<string | null> {
  const rows = await store.read<{ value: string }>("select value from meta where key = 'iam_version'", []);
  return rows[0]?.value ?? null;
}
