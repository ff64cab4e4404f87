import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, ENV_VARS, loadConfig, splitListen } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'tcssl-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function configFile(content: unknown): string {
  const file = join(dir, `config-${files++}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const configError = (message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
  assert.equal(e.name, 'ConfigError');
  assert.match(e.message, message);
  return true;
};

const KEY = 'a'.repeat(64);

/** Deep equality on the fields named in expected only, so fields other sections add later do not break it. */
function assertIncludes(actual: unknown, expected: Record<string, unknown>, at = ''): void {
  for (const [k, v] of Object.entries(expected)) {
    const got = (actual as Record<string, unknown>)[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      assertIncludes(got, v as Record<string, unknown>, `${at}${k}.`);
    } else {
      assert.deepEqual(got, v, `${at}${k}`);
    }
  }
}

describe('loadConfig', () => {
  test('with nothing given every field takes its safe default', () => {
    assertIncludes(loadConfig({}), {
      listen: '127.0.0.1:9000',
      dataDir: './data',
      db: '',
      validation: 'auto',
      masterKey: '',
      publicBaseUrl: '',
      logLevel: 'info',
      rateLimit: { enabled: true, defaultPerSecond: 20, perAction: {}, store: 'memory' },
      limits: { maxBodyBytes: 10 * 1024 * 1024, maxQueryBytes: 32 * 1024, clockSkewSeconds: 300 },
      keys: { rsaPoolSize: 16, ecPoolSize: 4 },
    });
  });

  test('process.env is never read: only the env passed in counts', () => {
    const saved = process.env.TCSSL_LISTEN;
    process.env.TCSSL_LISTEN = '0.0.0.0:1';
    try {
      assert.equal(loadConfig({}).listen, '127.0.0.1:9000');
    } finally {
      if (saved === undefined) delete process.env.TCSSL_LISTEN;
      else process.env.TCSSL_LISTEN = saved;
    }
  });

  test('every TCSSL_* variable sets its field, numbers and booleans coerced', () => {
    const c = loadConfig({
      env: {
        TCSSL_LISTEN: '0.0.0.0:8443',
        TCSSL_DATA: '/var/lib/tcssl',
        TCSSL_DB: 'sqlite:/tmp/x.db',
        TCSSL_VALIDATION: 'strict',
        TCSSL_MASTER_KEY: KEY,
        TCSSL_PUBLIC_BASE_URL: 'https://pki.example.com',
        TCSSL_LOG_LEVEL: 'warn',
        TCSSL_RATE_LIMIT_ENABLED: 'false',
        TCSSL_RATE_LIMIT_DEFAULT: '50',
        TCSSL_RATE_LIMIT_STORE: 'redis://127.0.0.1:6379',
        TCSSL_MAX_BODY_BYTES: '1048576',
        TCSSL_RSA_POOL_SIZE: '0',
      },
    });
    assert.equal(c.listen, '0.0.0.0:8443');
    assert.equal(c.dataDir, '/var/lib/tcssl');
    assert.equal(c.db, 'sqlite:/tmp/x.db');
    assert.equal(c.validation, 'strict');
    assert.equal(c.masterKey, KEY);
    assert.equal(c.publicBaseUrl, 'https://pki.example.com');
    assert.equal(c.logLevel, 'warn');
    assertIncludes(c.rateLimit, {
      enabled: false,
      defaultPerSecond: 50,
      perAction: {},
      store: 'redis://127.0.0.1:6379',
    });
    assert.equal(c.limits.maxBodyBytes, 1048576);
    assert.equal(c.keys.rsaPoolSize, 0);
    for (const name of [
      'TCSSL_DATA',
      'TCSSL_DB',
      'TCSSL_LISTEN',
      'TCSSL_LOG_LEVEL',
      'TCSSL_MASTER_KEY',
      'TCSSL_MAX_BODY_BYTES',
      'TCSSL_PUBLIC_BASE_URL',
      'TCSSL_RATE_LIMIT_DEFAULT',
      'TCSSL_RATE_LIMIT_ENABLED',
      'TCSSL_RATE_LIMIT_STORE',
      'TCSSL_RSA_POOL_SIZE',
      'TCSSL_VALIDATION',
    ]) {
      assert.ok(ENV_VARS.includes(name), name);
    }
  });

  test('a variable is coerced by the type of its field, whichever section it sets', () => {
    const c = loadConfig({
      env: { TCSSL_DCV_HTTP_PORT: '8080', TCSSL_WORKER: 'false', TCSSL_DCV_ALLOW_PRIVATE: 'true' },
    });
    assert.equal(c.dcv.httpPort, 8080);
    assert.equal(c.worker.enabled, false);
    assert.equal(c.dcv.allowPrivateAddresses, true);
  });

  test('TCSSL_KEY_THREADS sets the key threads; unset, the count is left to the key source (one per core)', () => {
    assert.equal(loadConfig({ env: { TCSSL_KEY_THREADS: '0' } }).keys.threads, 0);
    assert.equal(loadConfig({ env: { TCSSL_KEY_THREADS: '3' } }).keys.threads, 3);
    assert.equal(loadConfig({}).keys.threads, undefined);
    assert.throws(() => loadConfig({ env: { TCSSL_KEY_THREADS: '65' } }), /at keys\.threads:/);
  });

  test('string variables that look like numbers or booleans stay strings', () => {
    const digits = '1234567890'.repeat(6) + '1234';
    const c = loadConfig({ env: { TCSSL_DATA: '2024', TCSSL_MASTER_KEY: digits, TCSSL_PUBLIC_BASE_URL: 'true' } });
    assert.equal(c.dataDir, '2024');
    assert.equal(c.masterKey, digits);
    assert.equal(c.publicBaseUrl, 'true');
  });

  test('an empty variable counts as unset', () => {
    assert.equal(loadConfig({ env: { TCSSL_LISTEN: '', TCSSL_RATE_LIMIT_DEFAULT: '' } }).listen, '127.0.0.1:9000');
  });

  test('a JSON file sets fields, nested ones included', () => {
    const file = configFile({
      listen: '[::1]:9443',
      validation: 'strict',
      rateLimit: { perAction: { DescribeCertificates: 50 } },
      keys: { ecPoolSize: 0 },
    });
    const c = loadConfig({ file });
    assert.equal(c.listen, '[::1]:9443');
    assert.equal(c.validation, 'strict');
    assertIncludes(c.rateLimit, {
      enabled: true,
      defaultPerSecond: 20,
      perAction: { DescribeCertificates: 50 },
      store: 'memory',
    });
    assertIncludes(c.keys, { rsaPoolSize: 16, ecPoolSize: 0 });
  });

  test('TCSSL_CONFIG names the file when no file is given, and an explicit file wins over it', () => {
    const a = configFile({ logLevel: 'debug' });
    const b = configFile({ logLevel: 'error' });
    assert.equal(loadConfig({ env: { TCSSL_CONFIG: a } }).logLevel, 'debug');
    assert.equal(loadConfig({ env: { TCSSL_CONFIG: a }, file: b }).logLevel, 'error');
  });

  test('flags beat env, env beats the file, and the file beats the defaults, field by field', () => {
    const file = configFile({
      listen: '127.0.0.1:1001',
      dataDir: '/from/file',
      logLevel: 'debug',
      rateLimit: { defaultPerSecond: 5, store: 'redis://file', enabled: true },
    });
    const c = loadConfig({
      file,
      env: { TCSSL_LISTEN: '127.0.0.1:1002', TCSSL_DATA: '/from/env', TCSSL_RATE_LIMIT_DEFAULT: '7' },
      overrides: { listen: '127.0.0.1:1003', rateLimit: { enabled: false } },
    });
    assert.equal(c.listen, '127.0.0.1:1003');
    assert.equal(c.dataDir, '/from/env');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.validation, 'auto');
    assertIncludes(c.rateLimit, { enabled: false, defaultPerSecond: 7, perAction: {}, store: 'redis://file' });
  });

  test('an override left undefined (a flag not given) does not hide the env or file value', () => {
    const c = loadConfig({ env: { TCSSL_LISTEN: '127.0.0.1:1002' }, overrides: { listen: undefined, dataDir: '/x' } });
    assert.equal(c.listen, '127.0.0.1:1002');
    assert.equal(c.dataDir, '/x');
  });

  test('a variable under a section the file set to a non-object replaces it instead of throwing', () => {
    const file = configFile({ rateLimit: 5 });
    assert.throws(() => loadConfig({ file }), configError(/invalid configuration at rateLimit:/));
    assert.equal(loadConfig({ file, env: { TCSSL_RATE_LIMIT_DEFAULT: '9' } }).rateLimit.defaultPerSecond, 9);
  });

  test('invalid values fail with a ConfigError naming the path', () => {
    const cases: Array<[Parameters<typeof loadConfig>[0], RegExp]> = [
      [{ overrides: { listen: 'nope' } }, /at listen: expected HOST:PORT/],
      [{ overrides: { listen: '::1:9000' } }, /at listen: expected HOST:PORT/],
      [{ overrides: { listen: '127.0.0.1:70000' } }, /at listen: port out of range/],
      [{ overrides: { dataDir: '' } }, /at dataDir:/],
      [{ overrides: { validation: 'lax' as 'auto' } }, /at validation:/],
      [{ overrides: { masterKey: 'abc' } }, /at masterKey: expected 64 hex characters/],
      [{ overrides: { logLevel: 'verbose' as 'info' } }, /at logLevel:/],
      [{ overrides: { rateLimit: { defaultPerSecond: 0 } } }, /at rateLimit\.defaultPerSecond:/],
      [
        { overrides: { rateLimit: { perAction: { DescribeCertificates: -1 } } } },
        /at rateLimit\.perAction\.DescribeCertificates:/,
      ],
      [{ overrides: { limits: { maxBodyBytes: 1.5 } } }, /at limits\.maxBodyBytes:/],
      [{ overrides: { keys: { rsaPoolSize: 1001 } } }, /at keys\.rsaPoolSize:/],
      [{ env: { TCSSL_RATE_LIMIT_ENABLED: 'yes' } }, /at rateLimit\.enabled:/],
      [{ env: { TCSSL_RATE_LIMIT_DEFAULT: 'many' } }, /at rateLimit\.defaultPerSecond:/],
      [{ env: { TCSSL_LISTEN: '9000' } }, /at listen: expected HOST:PORT/],
      [{ file: configFile({ keys: { rsaPoolSize: -1 } }) }, /at keys\.rsaPoolSize:/],
    ];
    for (const [opts, message] of cases) assert.throws(() => loadConfig(opts), configError(message), String(message));
  });

  test('an unknown setting fails with a ConfigError naming it', () => {
    assert.throws(() => loadConfig({ file: configFile({ lissten: '1' }) }), configError(/\(root\).*lissten/));
    assert.throws(
      () => loadConfig({ file: configFile({ rateLimit: { burst: 1 } }) }),
      configError(/at rateLimit:.*burst/),
    );
  });

  test('an unreadable or malformed file fails with a ConfigError naming the file', () => {
    const missing = join(dir, 'missing.json');
    assert.throws(() => loadConfig({ file: missing }), configError(/cannot read config file .*missing\.json/));
    const broken = configFile('{"listen": ');
    assert.throws(() => loadConfig({ file: broken }), configError(/cannot read config file/));
  });

  test('a file holding JSON that is not an object fails with a ConfigError', () => {
    for (const content of ['null', '[]', '"x"', '42', 'true']) {
      const file = configFile(content);
      assert.throws(() => loadConfig({ file }), configError(/must hold a JSON object/), content);
    }
  });

  test('a __proto__ key in the file or the overrides fails with a ConfigError and pollutes nothing', () => {
    const file = configFile('{"__proto__": {"polluted": 1}}');
    assert.throws(() => loadConfig({ file }), configError(/at __proto__/));
    const nested = configFile('{"rateLimit": {"__proto__": {"polluted": 1}}}');
    assert.throws(() => loadConfig({ file: nested }), configError(/at rateLimit\.__proto__/));
    const overrides = JSON.parse('{"__proto__": {"polluted": 1}}');
    assert.throws(() => loadConfig({ overrides }), configError(/at __proto__/));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('the result is deeply frozen, and the overrides passed in are not', () => {
    const overrides = { rateLimit: { perAction: { DescribeCertificates: 5 } } };
    const c = loadConfig({ overrides });
    for (const o of [c, c.rateLimit, c.rateLimit.perAction, c.limits, c.keys]) assert.ok(Object.isFrozen(o));
    assert.throws(() => {
      (c as { listen: string }).listen = '0.0.0.0:1';
    }, TypeError);
    assert.throws(() => {
      (c.rateLimit.perAction as Record<string, number>).X = 1;
    }, TypeError);
    assert.equal(c.listen, '127.0.0.1:9000');
    assert.ok(!Object.isFrozen(overrides.rateLimit.perAction));
  });
});

describe('splitListen', () => {
  test('splits an IPv4 or host name listen address into host and port', () => {
    assert.deepEqual(splitListen('127.0.0.1:9000'), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(splitListen('localhost:0'), { host: 'localhost', port: 0 });
  });

  test('splits a bracketed IPv6 listen address into the bare address and port', () => {
    assert.deepEqual(splitListen('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(splitListen('[2001:db8::1]:443'), { host: '2001:db8::1', port: 443 });
    assert.deepEqual(splitListen('[::ffff:127.0.0.1]:80'), { host: '::ffff:127.0.0.1', port: 80 });
  });

  test('a listen address accepted by loadConfig always splits into a host and a port in range', () => {
    for (const listen of ['[::]:65535', '0.0.0.0:1', 'tcssl.internal:9000']) {
      const { host, port } = splitListen(loadConfig({ overrides: { listen } }).listen);
      assert.ok(host.length > 0 && !host.includes('['));
      assert.ok(Number.isInteger(port) && port >= 0 && port <= 65535);
    }
  });
});
