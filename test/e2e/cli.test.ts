// The `tcssl` command as a user runs it: real processes, real SQLite files in temp dirs, real sockets. Every
// assertion reads what a user sees (stdout, stderr, exit codes, files); setup that is not under test (ordering
// certificates) goes through the same signed client `tcssl call` uses, in-process, because every CLI process costs
// seconds of start-up.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call } from '../../src/cli/client.js';
import {
  type ApiResponse,
  type CliResult,
  describeRun,
  printedResponse,
  type RunningServer,
  startServe,
  stdoutJson,
  tcssl,
  tcsslBin,
  tempDir,
} from '../support/cli.js';

const UIN = /^\d{12}$/;
const SECRET_ID = /^AKID[A-Za-z0-9]{32}$/;
const SECRET_KEY = /^[A-Za-z0-9]{32}$/;
/** A V8 stack frame line; an expected failure must never print one. */
const STACK_FRAME = /^\s+at .+[(:]/m;
/** A paid single-domain DV product (ProductId 48 in the SDK's list): ordering it needs no quota. */
const DV_SINGLE = 48;

interface Credentials {
  Uin: string;
  SecretId: string;
  SecretKey: string;
  Endpoint: string;
}

interface Key {
  SecretId: string;
  SecretKey: string;
  Token?: string;
  ExpiredTime?: number;
}

function readCredentials(dir: string): Credentials {
  return JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8'));
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** The SecretKey must be sealed at rest: its plain bytes appear neither in the database nor in its WAL. */
function assertNotStored(dir: string, secret: string): void {
  for (const name of ['tcssl.db', 'tcssl.db-wal']) {
    const path = join(dir, name);
    if (existsSync(path)) assert.equal(readFileSync(path).includes(secret), false, `${name} holds the SecretKey`);
  }
}

function countOf(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

function assertSuccess(r: CliResult): ApiResponse {
  const res = printedResponse(r);
  assert.equal(res.Error, undefined, describeRun(r));
  assert.equal(r.code, 0, describeRun(r));
  return res;
}

function assertApiError(r: CliResult, code: string): void {
  assert.equal(printedResponse(r).Error?.Code, code, describeRun(r));
  assert.notEqual(r.code, 0, describeRun(r));
}

/** An expected failure: non-zero exit, nothing on stdout, exactly one `tcssl: ...` line and no stack. */
function assertUsageError(r: CliResult, message: RegExp): void {
  assert.notEqual(r.code, 0, describeRun(r));
  assert.equal(r.stdout, '', describeRun(r));
  assert.doesNotMatch(r.stderr, STACK_FRAME, describeRun(r));
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, describeRun(r));
  assert.match(lines[0], /^tcssl: /);
  assert.match(lines[0], message);
}

describe('tcssl', { concurrency: true }, () => {
  // One data directory, three starts in order: the first, a restart, and the stop of the restart.
  describe('serve on its own data directory', { concurrency: 1 }, () => {
    const dir = tempDir();
    let creds: Credentials;
    let port: number | undefined;
    /** The restart, left running for the SIGTERM test. */
    let restarted: RunningServer | undefined;

    after(async () => {
      await restarted?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the first start prints the default SecretId and SecretKey once, saves credentials.json 0600, seals the key in tcssl.db, and the key gets Success', async (t) => {
      const first = await startServe({ dataDir: dir });
      t.after(() => first.stop());
      port = first.port;

      const credentialsFile = join(dir, 'credentials.json');
      assert.equal(modeOf(credentialsFile), 0o600);
      creds = readCredentials(dir);
      assert.match(creds.Uin, UIN);
      assert.match(creds.SecretId, SECRET_ID);
      assert.match(creds.SecretKey, SECRET_KEY);
      assert.equal(creds.Endpoint, first.endpoint);

      // No flag but --data: the SecretId, SecretKey and Endpoint come from credentials.json.
      const described = await tcssl(['call', 'DescribeCertificates', '--data', dir]);
      assert.equal(assertSuccess(described).TotalCount, 0);

      assert.equal(modeOf(join(dir, 'master.key')), 0o600);
      assert.ok(existsSync(join(dir, 'tcssl.db')));
      // While the server runs, recent writes sit in tcssl.db-wal.
      assertNotStored(dir, creds.SecretKey);

      const exit = await first.stop();
      assert.equal(exit.code, 0, first.stderr());
      const printed = first.stdout();
      assert.match(printed, new RegExp(`SecretId: +${creds.SecretId}\\n`));
      assert.match(printed, new RegExp(`SecretKey: +${creds.SecretKey}\\n`));
      assert.equal(countOf(printed, creds.SecretKey), 1, 'the SecretKey is printed exactly once');
      assert.equal(first.stderr().includes(creds.SecretKey), false);
      assertNotStored(dir, creds.SecretKey);
    });

    test('a restart on the same data directory prints no secret, keeps credentials.json, and the saved key still gets Success', async () => {
      assert.ok(creds, 'needs the first start');
      const saved = readFileSync(join(dir, 'credentials.json'), 'utf8');
      // The same port, so the Endpoint saved in credentials.json still points at the server.
      restarted = await startServe({ dataDir: dir, port });
      // The key sealed under master.key by the first process opens in this one.
      assertSuccess(await tcssl(['call', 'DescribeCertificates', '--data', dir]));
      for (const output of [restarted.stdout(), restarted.stderr()]) {
        assert.equal(output.includes(creds.SecretKey), false);
        assert.equal(output.includes(creds.SecretId), false);
        assert.doesNotMatch(output, /Created the default account/);
      }
      assert.equal(readFileSync(join(dir, 'credentials.json'), 'utf8'), saved);
      assertNotStored(dir, creds.SecretKey);
    });

    test('serve exits with code 0 within 5 seconds of SIGTERM', async () => {
      // Run alone (--test-name-pattern), this test starts its own server.
      restarted ??= await startServe({ dataDir: dir });
      const server = restarted;
      const exit = await server.stop();
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, server.stderr());
      assert.ok(exit.ms < 5000, `took ${exit.ms} ms`);
      assert.match(server.stderr(), /SIGTERM: shutting down/);
      // Nothing the restart printed, up to its exit, shows the secret.
      if (creds) assert.equal(server.stdout().includes(creds.SecretKey), false);
    });
  });

  describe('admin commands and tcssl call while a server runs on the same store', { concurrency: true }, () => {
    const dir = tempDir();
    let server: RunningServer;
    /** The default account the first start created. */
    let admin: Credentials;

    before(async () => {
      server = await startServe({ dataDir: dir });
      admin = readCredentials(dir);
      // Six orders (status 5) for the default account, so filters and Limit have something to act on.
      for (let i = 0; i < 6; i++) await order(admin);
    });

    after(async () => {
      // server is unset when before() failed to start it; the directory goes either way.
      const exit = server ? await server.stop() : undefined;
      rmSync(dir, { recursive: true, force: true });
      if (exit) assert.equal(exit.code, 0, server.stderr());
    });

    const inStore = (...args: string[]) => tcssl([...args, '--data', dir]);

    /** `tcssl call` with explicit credentials. */
    const callAs = (key: Key, action: string, ...args: string[]) =>
      tcssl([
        'call',
        action,
        '--endpoint',
        server.endpoint,
        '--secret-id',
        key.SecretId,
        '--secret-key',
        key.SecretKey,
        ...args,
      ]);

    /** Setup through the in-process client `tcssl call` is built on: one action, its Response. */
    async function api(key: Key, action: string, params: Record<string, unknown>): Promise<ApiResponse> {
      const { body } = await call({
        endpoint: server.endpoint,
        secretId: key.SecretId,
        secretKey: key.SecretKey,
        action,
        params,
      });
      return (body as { Response: ApiResponse }).Response;
    }

    async function order(key: Key): Promise<string> {
      const res = await api(key, 'CreateCertificate', { ProductId: DV_SINGLE, DomainNum: 1, TimeSpan: 1 });
      assert.equal(res.Error, undefined, JSON.stringify(res));
      return (res.CertificateIds as string[])[0];
    }

    test('account create --json prints a 12-digit Uin, an AKID SecretId and a 32-character SecretKey that at once gets Success', async () => {
      const created = stdoutJson<Credentials & { Name: string }>(
        await inStore('account', 'create', '--name', 'e2e-account', '--json'),
      );
      assert.match(created.Uin, UIN);
      assert.match(created.SecretId, SECRET_ID);
      assert.match(created.SecretKey, SECRET_KEY);
      assert.equal(created.Name, 'e2e-account');
      assert.equal(assertSuccess(await callAs(created, 'DescribeCertificates')).TotalCount, 0);
    });

    test('account create takes --real-name-verified false and =false, and Submit then gets FailedOperation.NoRealNameAuth', async () => {
      const forms = [
        ['--real-name-verified', 'false'],
        ['--real-name-verified=false', '--free-quota', '3'],
      ];
      await Promise.all(
        forms.map(async (flags) => {
          const created = stdoutJson<Credentials>(await inStore('account', 'create', ...flags, '--json'));
          assert.match(created.Uin, UIN);
          const certificateId = await order(created);
          const res = await api(created, 'SubmitCertificateInformation', {
            CertificateId: certificateId,
            CertificateDomain: 'unverified.example',
          });
          assert.equal(res.Error?.Code, 'FailedOperation.NoRealNameAuth', `${flags.join(' ')}: ${JSON.stringify(res)}`);
        }),
      );
    });

    test('a new sub-user gets AuthFailure.UnauthorizedOperation until policy attach --allow ssl:DescribeCertificates, then Success', async () => {
      const user = stdoutJson<Key & { SubUin: string; Uin: string }>(
        await inStore('user', 'create', '--uin', admin.Uin, '--name', 'e2e-reader', '--json'),
      );
      assert.match(user.SubUin, UIN);
      assert.equal(user.Uin, admin.Uin);
      assert.match(user.SecretId, SECRET_ID);
      assert.match(user.SecretKey, SECRET_KEY);

      assertApiError(await callAs(user, 'DescribeCertificates'), 'AuthFailure.UnauthorizedOperation');
      stdoutJson(
        await inStore('policy', 'attach', '--sub-uin', user.SubUin, '--allow', 'ssl:DescribeCertificates', '--json'),
      );
      const res = assertSuccess(await callAs(user, 'DescribeCertificates'));
      assert.ok((res.TotalCount as number) >= 6, `the account's own orders are visible: ${JSON.stringify(res)}`);
    });

    test("project create prints a 7-digit ProjectId, and policy attach --projects limits the sub-user's DescribeCertificates to it", async () => {
      const [project, user] = await Promise.all([
        inStore('project', 'create', '--uin', admin.Uin, '--name', 'e2e-project', '--json').then((r) =>
          stdoutJson<{ ProjectId: number; Name: string }>(r),
        ),
        inStore('user', 'create', '--uin', admin.Uin, '--name', 'e2e-project-reader', '--json').then((r) =>
          stdoutJson<Key & { SubUin: string }>(r),
        ),
      ]);
      assert.match(String(project.ProjectId), /^\d{7}$/);
      assert.equal(project.Name, 'e2e-project');

      const [moved, attached] = await Promise.all([
        (async () => {
          const id = await order(admin);
          const res = await api(admin, 'ModifyCertificateProject', {
            CertificateIdList: [id],
            ProjectId: project.ProjectId,
          });
          assert.deepEqual(res.SuccessCertificates, [id], JSON.stringify(res));
          return id;
        })(),
        inStore(
          'policy',
          'attach',
          '--sub-uin',
          user.SubUin,
          '--allow',
          'ssl:DescribeCertificates,ssl:DescribeCertificateDetail',
          '--projects',
          String(project.ProjectId),
        ),
      ]);
      assert.equal(attached.code, 0, describeRun(attached));

      const res = assertSuccess(await callAs(user, 'DescribeCertificates'));
      const certificates = res.Certificates as Array<{ CertificateId: string; ProjectId: string }>;
      assert.deepEqual(
        certificates.map((c) => [c.CertificateId, c.ProjectId]),
        [[moved, String(project.ProjectId)]],
      );
      assert.equal(res.TotalCount, 1);
    });

    // 300 s, not 60: on a loaded machine the calls below can start a minute after the key was made.
    test('key create --ttl 300 prints a Token and an ExpiredTime; call --token gets Success and the call without it AuthFailure.TokenFailure', async () => {
      const issuedAt = Math.floor(Date.now() / 1000);
      const key = stdoutJson<Key>(await inStore('key', 'create', '--uin', admin.Uin, '--ttl', '300', '--json'));
      assert.match(key.SecretId, SECRET_ID);
      assert.match(key.SecretKey, SECRET_KEY);
      assert.equal(typeof key.Token, 'string');
      assert.ok((key.Token ?? '').length >= 32);
      assert.equal(typeof key.ExpiredTime, 'number');
      assert.ok(key.ExpiredTime! >= issuedAt + 299 && key.ExpiredTime! <= Math.floor(Date.now() / 1000) + 301);

      const [withToken, withoutToken] = await Promise.all([
        callAs(key, 'DescribeCertificates', '--token', key.Token!),
        callAs(key, 'DescribeCertificates'),
      ]);
      assertSuccess(withToken);
      assertApiError(withoutToken, 'AuthFailure.TokenFailure');
    });

    test('key disable takes effect on the next call, which gets AuthFailure.SecretIdNotFound', async () => {
      const key = stdoutJson<Key>(await inStore('key', 'create', '--uin', admin.Uin, '--json'));
      assert.match(key.SecretId, SECRET_ID);
      assert.equal(key.Token, undefined);

      const disabled = await inStore('key', 'disable', '--secret-id', key.SecretId);
      assert.equal(disabled.code, 0, describeRun(disabled));
      assert.equal(disabled.stdout, `${key.SecretId} disabled\n`);
      assertApiError(await callAs(key, 'DescribeCertificates'), 'AuthFailure.SecretIdNotFound');
    });

    const forms = [
      // The dotted form filters on status 1 (issued): the six orders (status 5) do not match.
      { args: ['--CertificateStatus.0', '1', '--Limit=5'], total: (n: number) => n === 0, shown: 0 },
      // The JSON form includes status 5: every order matches, and Limit=5 shows five of them.
      { args: ['--CertificateStatus', '[0,5]', '--Limit=5'], total: (n: number) => n >= 6, shown: 5 },
    ];
    const combinations = [
      { signMethod: 'TC3-HMAC-SHA256', method: 'POST' },
      { signMethod: 'TC3-HMAC-SHA256', method: 'GET' },
      { signMethod: 'HmacSHA1', method: 'GET' },
      { signMethod: 'HmacSHA1', method: 'POST' },
      { signMethod: 'HmacSHA256', method: 'GET' },
      { signMethod: 'HmacSHA256', method: 'POST' },
    ];
    combinations.forEach(({ signMethod, method }, i) => {
      const form = forms[i % forms.length];
      test(`call --sign-method ${signMethod} --method ${method} ${form.args.join(' ')} prints {"Response": {...}} and exits 0`, async () => {
        const r = await tcssl([
          'call',
          'DescribeCertificates',
          ...form.args,
          '--data',
          dir,
          '--sign-method',
          signMethod,
          '--method',
          method,
        ]);
        assert.match(r.stdout, /^\{\n {2}"Response": \{\n/);
        const res = assertSuccess(r);
        assert.ok(form.total(res.TotalCount as number), `TotalCount ${res.TotalCount}`);
        assert.equal((res.Certificates as unknown[]).length, form.shown);
        assert.equal(typeof res.RequestId, 'string');
      });
    });

    test('call of an unknown action exits 1 and still prints the envelope with InvalidAction', async () => {
      const r = await tcssl(['call', 'NoSuchAction', '--data', dir]);
      assert.equal(r.code, 1, describeRun(r));
      const res = printedResponse(r);
      assert.equal(res.Error?.Code, 'InvalidAction');
      assert.equal(typeof res.Error?.Message, 'string');
      assert.equal(typeof res.RequestId, 'string');
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    });
  });

  describe('bad usage', { concurrency: true }, () => {
    const dirs: string[] = [];
    after(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
    /** A data directory that must stay empty: a rejected command creates no store. */
    function emptyDir(): string {
      const dir = tempDir();
      dirs.push(dir);
      return dir;
    }
    let unknownRun: Promise<CliResult> | undefined;
    const unknownSubcommand = () => {
      unknownRun ??= tcssl(['nosuch']);
      return unknownRun;
    };

    test('key create with both --uin and --sub-uin exits non-zero with one tcssl: line', async () => {
      const dir = emptyDir();
      const r = await tcssl(['key', 'create', '--uin', '100000000001', '--sub-uin', '100000000002', '--data', dir]);
      assertUsageError(r, /give exactly one of --uin or --sub-uin/);
      assert.deepEqual(readdirSync(dir), []);
    });

    test('account create --free-quota -1 exits non-zero with one tcssl: line and creates no store', async () => {
      const dir = emptyDir();
      const r = await tcssl(['account', 'create', '--free-quota', '-1', '--json', '--data', dir]);
      assertUsageError(r, /--free-quota must be a non-negative integer/);
      assert.deepEqual(readdirSync(dir), []);
    });

    test('serve --listen nonsense exits non-zero with one tcssl: line and creates no store', async () => {
      const dir = emptyDir();
      const r = await tcssl(['serve', '--listen', 'nonsense', '--data', dir]);
      assertUsageError(r, /listen.*HOST:PORT/);
      assert.deepEqual(readdirSync(dir), []);
    });

    test('an unknown subcommand exits non-zero naming it, without a stack trace', async () => {
      const r = await unknownSubcommand();
      assert.notEqual(r.code, 0, describeRun(r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr.split('\n')[0], /unknown command 'nosuch'/);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    });

    test('an unknown subcommand prints a single tcssl: line', async () => {
      assertUsageError(await unknownSubcommand(), /unknown command 'nosuch'/);
    });

    test('bin/tcssl.mjs runs: --help and call --help exit 0 with their usage', async () => {
      const [help, callHelp] = await Promise.all([tcsslBin(['--help']), tcsslBin(['call', '--help'])]);
      assert.equal(help.code, 0, describeRun(help));
      assert.match(help.stdout, /^Usage: tcssl /);
      for (const command of ['serve', 'account', 'user', 'project', 'policy', 'key', 'call'])
        assert.match(help.stdout, new RegExp(`\\n {2}${command}\\b`));
      assert.equal(callHelp.code, 0, describeRun(callHelp));
      assert.match(callHelp.stdout, /^Usage: tcssl call \[options\] <action>/);
      assert.match(callHelp.stdout, /--sign-method/);
    });
  });
});
