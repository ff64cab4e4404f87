import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DomainError, type ErrorKind } from '../../src/errors.js';
import { Iam, newKeyPair, tokenHash, tokenMatches } from '../../src/iam/iam.js';
import { SecretBox } from '../../src/pki/secret-box.js';
import { openStore, type Store } from '../../src/store/db.js';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const isKind = (kind: ErrorKind) => (e: unknown) => e instanceof DomainError && e.kind === kind;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function world(): Promise<{ dir: string; store: Store; box: SecretBox; iam: Iam }> {
  const dir = mkdtempSync(join(tmpdir(), 'tcssl-iam-'));
  dirs.push(dir);
  const store = await openStore({ url: '', dataDir: dir });
  const box = new SecretBox(randomBytes(32));
  return { dir, store, box, iam: new Iam({ store, box, now: () => NOW }) };
}

describe('Iam', () => {
  let w: Awaited<ReturnType<typeof world>>;
  before(async () => {
    w = await world();
  });
  after(() => w.store.close());

  test('createAccount returns a 12-digit Uin, an AKID SecretId and a 32-character SecretKey', async () => {
    const a = await w.iam.createAccount({ name: 'acme' });
    assert.match(a.Uin, /^\d{12}$/);
    assert.match(a.SecretId, /^AKID[A-Za-z0-9]{32}$/);
    assert.match(a.SecretKey, /^[A-Za-z0-9]{32}$/);
    assert.ok(Number.isInteger(a.AppId) && a.AppId >= 1250000000, `AppId ${a.AppId}`);
    assert.equal(a.Name, 'acme');
  });

  test('createAccount names an unnamed account after its Uin', async () => {
    const a = await w.iam.createAccount();
    assert.equal(a.Name, `account-${a.Uin}`);
  });

  test('newKeyPair draws from the whole alphanumeric alphabet and never repeats', () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { secretId, secretKey } = newKeyPair();
      assert.match(secretId, /^AKID[A-Za-z0-9]{32}$/);
      assert.match(secretKey, /^[A-Za-z0-9]{32}$/);
      assert.ok(!seen.has(secretKey));
      seen.add(secretKey);
      for (const c of secretKey) chars.add(c);
    }
    assert.equal(chars.size, 62);
  });

  test('the SecretKey never reaches the database file in plaintext, only sealed', async () => {
    const own = await world();
    const a = await own.iam.createAccount();
    const row = await own.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('secret_id', '=', a.SecretId)
      .executeTakeFirstOrThrow();
    assert.ok(!row.secret_key_sealed.includes(a.SecretKey));
    assert.match(row.secret_key_sealed, /^v1\./);
    assert.equal(own.box.openString(row.secret_key_sealed, `api-key:${a.SecretId}`), a.SecretKey);
    await own.store.close();
    const files = readdirSync(own.dir).filter((f) => f.startsWith('tcssl.db'));
    assert.ok(files.includes('tcssl.db'));
    for (const f of files) {
      const bytes = readFileSync(join(own.dir, f));
      assert.equal(bytes.indexOf(a.SecretKey), -1, `${f} holds the SecretKey`);
      assert.equal(bytes.indexOf(Buffer.from(a.SecretKey, 'utf16le')), -1, `${f} holds the SecretKey (utf-16)`);
    }
  });

  test('resolveKey returns the root caller and the SecretKey for an account key', async () => {
    const a = await w.iam.createAccount({ name: 'resolve' });
    const k = await w.iam.resolveKey(a.SecretId);
    assert.ok(k);
    assert.equal(k.secretKey, a.SecretKey);
    assert.equal(k.tokenHash, null);
    assert.equal(k.expiresAt, null);
    assert.deepEqual(k.caller, {
      uin: a.Uin,
      appId: a.AppId,
      subUin: null,
      secretId: a.SecretId,
      realNameVerified: true,
      policies: [],
    });
  });

  test('resolveKey reports an account created unverified as realNameVerified false', async () => {
    const a = await w.iam.createAccount({ realNameVerified: false });
    assert.equal((await w.iam.resolveKey(a.SecretId))?.caller.realNameVerified, false);
  });

  test('resolveKey of an unknown SecretId gives null', async () => {
    assert.equal(await w.iam.resolveKey('AKIDdoesnotexist'), null);
  });

  test('a sealed SecretKey copied onto another key row does not open, so resolveKey throws', async () => {
    const a = await w.iam.createAccount();
    const b = await w.iam.createKey({ uin: a.Uin });
    const sealed = (await w.store.db
      .selectFrom('api_keys')
      .select('secret_key_sealed')
      .where('secret_id', '=', a.SecretId)
      .executeTakeFirstOrThrow())!.secret_key_sealed;
    await w.store.db
      .updateTable('api_keys')
      .set({ secret_key_sealed: sealed })
      .where('secret_id', '=', b.SecretId)
      .execute();
    await assert.rejects(w.iam.resolveKey(b.SecretId), /secret could not be decrypted/);
  });

  test('a disabled key resolves to null, and to the caller again once re-enabled', async () => {
    const a = await w.iam.createAccount();
    await w.iam.setKeyDisabled(a.SecretId, true);
    assert.equal(await w.iam.resolveKey(a.SecretId), null);
    await w.iam.setKeyDisabled(a.SecretId, false);
    assert.equal((await w.iam.resolveKey(a.SecretId))?.secretKey, a.SecretKey);
  });

  test('disabling an unknown key fails with NotFound', async () => {
    await assert.rejects(w.iam.setKeyDisabled('AKIDnope', true), isKind('NotFound'));
  });

  test('createKey gives an account a second permanent key that resolves to the same root caller', async () => {
    const a = await w.iam.createAccount();
    const k = await w.iam.createKey({ uin: a.Uin });
    assert.deepEqual(Object.keys(k).sort(), ['SecretId', 'SecretKey']);
    const r = await w.iam.resolveKey(k.SecretId);
    assert.equal(r?.secretKey, k.SecretKey);
    assert.equal(r?.caller.uin, a.Uin);
    assert.equal(r?.caller.subUin, null);
  });

  test('a temporary key stores the token hash, not the token, and expires ttl seconds from now', async () => {
    const a = await w.iam.createAccount();
    const k = await w.iam.createKey({ uin: a.Uin, ttlSeconds: 1800 });
    assert.ok(k.Token && k.Token.length >= 64);
    assert.equal(k.ExpiredTime, NOW / 1000 + 1800);
    const row = await w.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('secret_id', '=', k.SecretId)
      .executeTakeFirstOrThrow();
    assert.equal(row.token_hash, tokenHash(k.Token));
    assert.ok(!JSON.stringify(row).includes(k.Token));
    const r = await w.iam.resolveKey(k.SecretId);
    assert.equal(r?.tokenHash, tokenHash(k.Token));
    assert.equal(r?.expiresAt, NOW + 1800_000);
    assert.ok(tokenMatches(k.Token, r!.tokenHash!));
  });

  test('createKey refuses a ttl outside 1 to 43200 seconds with InvalidParam', async () => {
    const a = await w.iam.createAccount();
    for (const ttl of [0, -1, 43201, 1.5]) {
      await assert.rejects(w.iam.createKey({ uin: a.Uin, ttlSeconds: ttl }), isKind('InvalidParam'), `ttl ${ttl}`);
    }
    assert.equal((await w.iam.createKey({ uin: a.Uin, ttlSeconds: 43200 })).ExpiredTime, NOW / 1000 + 43200);
  });

  test('createKey without an account or sub-user fails with InvalidParam', async () => {
    await assert.rejects(w.iam.createKey({}), isKind('InvalidParam'));
  });

  test('createKey for an unknown account or sub-user fails with NotFound', async () => {
    await assert.rejects(w.iam.createKey({ uin: '199999999999' }), isKind('NotFound'));
    await assert.rejects(w.iam.createKey({ subUin: '199999999999' }), isKind('NotFound'));
  });

  test('a sub-user key resolves to the owner with the sub-user and its policies in order', async () => {
    const a = await w.iam.createAccount();
    const u = await w.iam.createSubUser(a.Uin, 'deployer');
    assert.match(u.SubUin, /^\d{12}$/);
    assert.equal(u.Uin, a.Uin);
    assert.equal(u.Name, 'deployer');
    assert.match(u.SecretId, /^AKID[A-Za-z0-9]{32}$/);
    const statements = [
      { effect: 'allow' as const, actions: ['ssl:Describe*', 'ssl:SubmitCertificateInformation'], projects: null },
      { effect: 'deny' as const, actions: ['ssl:*'], projects: [1234567, 0] },
      { effect: 'allow' as const, actions: ['*'], projects: [] },
    ];
    for (const st of statements) assert.match((await w.iam.attachPolicy(u.SubUin, st)).PolicyId, /^[0-9a-f-]{36}$/);
    const r = await w.iam.resolveKey(u.SecretId);
    assert.equal(r?.secretKey, u.SecretKey);
    assert.equal(r?.caller.uin, a.Uin);
    assert.equal(r?.caller.subUin, u.SubUin);
    assert.deepEqual(r?.caller.policies, statements);
  });

  test('a second key for a sub-user carries the same policies', async () => {
    const a = await w.iam.createAccount();
    const u = await w.iam.createSubUser(a.Uin, 'ci');
    await w.iam.attachPolicy(u.SubUin, { effect: 'allow', actions: ['ssl:*'], projects: null });
    const k = await w.iam.createKey({ subUin: u.SubUin, ttlSeconds: 60 });
    const r = await w.iam.resolveKey(k.SecretId);
    assert.equal(r?.caller.subUin, u.SubUin);
    assert.deepEqual(r?.caller.policies, [{ effect: 'allow', actions: ['ssl:*'], projects: null }]);
  });

  test('createSubUser for an unknown account fails with NotFound', async () => {
    await assert.rejects(w.iam.createSubUser('199999999999', 'x'), isKind('NotFound'));
  });

  test('createSubUser with a name already used in the account fails with Conflict', async () => {
    const a = await w.iam.createAccount();
    const b = await w.iam.createAccount();
    await w.iam.createSubUser(a.Uin, 'ops');
    await assert.rejects(w.iam.createSubUser(a.Uin, 'ops'), isKind('Conflict'));
    await w.iam.createSubUser(b.Uin, 'ops');
  });

  test('createSubUser with an empty or 65-character name fails with InvalidParam', async () => {
    const a = await w.iam.createAccount();
    await assert.rejects(w.iam.createSubUser(a.Uin, ''), isKind('InvalidParam'));
    await assert.rejects(w.iam.createSubUser(a.Uin, 'x'.repeat(65)), isKind('InvalidParam'));
  });

  test('attachPolicy for an unknown sub-user fails with NotFound', async () => {
    await assert.rejects(
      w.iam.attachPolicy('199999999999', { effect: 'allow', actions: ['ssl:*'], projects: null }),
      isKind('NotFound'),
    );
  });

  test('attachPolicy refuses no actions and malformed patterns with InvalidParam', async () => {
    const a = await w.iam.createAccount();
    const u = await w.iam.createSubUser(a.Uin, 'patterns');
    const bad = [[], ['cvm:*'], ['ssl:'], ['ssl:*Certificates'], ['ssl:De*scribe'], ['ssl:**'], ['ssl:A b'], ['*:*']];
    for (const actions of bad) {
      await assert.rejects(
        w.iam.attachPolicy(u.SubUin, { effect: 'deny', actions, projects: null }),
        isKind('InvalidParam'),
        JSON.stringify(actions),
      );
    }
    for (const actions of [['*'], ['ssl:*'], ['ssl:Describe*'], ['ssl:DescribeCertificates']]) {
      await w.iam.attachPolicy(u.SubUin, { effect: 'deny', actions, projects: null });
    }
  });

  test('createProject gives a 7-digit id that belongs to the account and to no other', async () => {
    const a = await w.iam.createAccount();
    const b = await w.iam.createAccount();
    const p = await w.iam.createProject(a.Uin, 'web');
    assert.equal(p.Name, 'web');
    assert.match(String(p.ProjectId), /^[1-9]\d{6}$/);
    assert.equal(await w.iam.projectBelongsTo(a.Uin, p.ProjectId), true);
    assert.equal(await w.iam.projectBelongsTo(b.Uin, p.ProjectId), false);
    assert.equal(await w.iam.projectBelongsTo(a.Uin, 1), false);
  });

  test('project 0 belongs to every account, even one never created', async () => {
    const a = await w.iam.createAccount();
    assert.equal(await w.iam.projectBelongsTo(a.Uin, 0), true);
    assert.equal(await w.iam.projectBelongsTo('199999999999', 0), true);
  });

  test('createProject for an unknown account fails with NotFound', async () => {
    await assert.rejects(w.iam.createProject('199999999999', 'x'), isKind('NotFound'));
  });

  test('createProject with a name already used in the account fails with Conflict', async () => {
    const a = await w.iam.createAccount();
    const b = await w.iam.createAccount();
    await w.iam.createProject(a.Uin, 'shop');
    await assert.rejects(w.iam.createProject(a.Uin, 'shop'), isKind('Conflict'));
    await w.iam.createProject(b.Uin, 'shop');
  });

  test('createProject with an empty or 65-character name fails with InvalidParam', async () => {
    const a = await w.iam.createAccount();
    await assert.rejects(w.iam.createProject(a.Uin, ''), isKind('InvalidParam'));
    await assert.rejects(w.iam.createProject(a.Uin, 'p'.repeat(65)), isKind('InvalidParam'));
  });

  test('getAccount and updateAccount round-trip verification and quota', async () => {
    const a = await w.iam.createAccount({ name: 'quota', freeQuota: 3, realNameVerified: false });
    assert.deepEqual(await w.iam.getAccount(a.Uin), {
      uin: a.Uin,
      appId: a.AppId,
      name: 'quota',
      realNameVerified: false,
      freeQuota: 3,
    });
    await w.iam.updateAccount(a.Uin, { realNameVerified: true });
    await w.iam.updateAccount(a.Uin, { freeQuota: 0 });
    const got = await w.iam.getAccount(a.Uin);
    assert.equal(got.realNameVerified, true);
    assert.equal(got.freeQuota, 0);
  });

  test('updateAccount with nothing to change leaves the account as it was', async () => {
    const a = await w.iam.createAccount({ freeQuota: 7 });
    await w.iam.updateAccount(a.Uin, {});
    assert.equal((await w.iam.getAccount(a.Uin)).freeQuota, 7);
  });

  test('a negative or fractional free quota fails with InvalidParam', async () => {
    await assert.rejects(w.iam.createAccount({ freeQuota: -1 }), isKind('InvalidParam'));
    const a = await w.iam.createAccount();
    await assert.rejects(w.iam.updateAccount(a.Uin, { freeQuota: -1 }), isKind('InvalidParam'));
    await assert.rejects(w.iam.updateAccount(a.Uin, { freeQuota: 2.5 }), isKind('InvalidParam'));
  });

  test('getAccount and updateAccount of an unknown account fail with NotFound', async () => {
    await assert.rejects(w.iam.getAccount('199999999999'), isKind('NotFound'));
    await assert.rejects(w.iam.updateAccount('199999999999', { freeQuota: 1 }), isKind('NotFound'));
    await assert.rejects(w.iam.updateAccount('199999999999', {}), isKind('NotFound'));
  });

  test('countAccounts counts every account created in the store', async () => {
    const own = await world();
    assert.equal(await own.iam.countAccounts(), 0);
    await own.iam.createAccount();
    await own.iam.createAccount();
    assert.equal(await own.iam.countAccounts(), 2);
    await own.store.close();
  });
});

describe('tokenMatches', () => {
  const token = randomBytes(96).toString('base64url');
  const stored = tokenHash(token);

  test('the presented token matches the hash of itself', () => {
    assert.equal(stored, tokenHash(token));
    assert.match(stored, /^[0-9a-f]{64}$/);
    assert.equal(tokenMatches(token, stored), true);
  });

  test('another token, an empty token or a token differing in one character does not match', () => {
    assert.equal(tokenMatches(`${token}x`, stored), false);
    assert.equal(tokenMatches('', stored), false);
    assert.equal(tokenMatches(`${token[0] === 'A' ? 'B' : 'A'}${token.slice(1)}`, stored), false);
  });

  test('a stored hash of the wrong length or not hex is refused without throwing', () => {
    assert.equal(tokenMatches(token, stored.slice(0, 62)), false);
    assert.equal(tokenMatches(token, ''), false);
    assert.equal(tokenMatches(token, 'zz'.repeat(32)), false);
    assert.equal(tokenMatches(token, `${stored}00`), false);
  });
});
