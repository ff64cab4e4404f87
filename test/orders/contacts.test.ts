import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DomainError } from '../../src/errors.js';
import { checkOrderInfo, missingForLevel, ORDER_INFO_FIELDS, type OrderInfo } from '../../src/orders/contacts.js';

/** The seed's example request, as domain fields. */
const SEED: Required<OrderInfo> = {
  organizationName: 'Tencent',
  organizationDivision: 'Qcloud',
  organizationAddress: 'Tencent Building, No.10000 Shennan Avenue, Nanshan District',
  organizationCountry: 'CN',
  organizationCity: 'Shenzhen',
  organizationRegion: 'Guangdong',
  postalCode: '518057',
  phoneAreaCode: '0755',
  phoneNumber: '86013388',
  adminFirstName: 'test',
  adminLastName: 'test',
  adminPhoneNum: '12345678901',
  adminEmail: 'test@tencent.com',
  adminPosition: 'developer',
  contactFirstName: 'test',
  contactLastName: 'test',
  contactEmail: 'test@tencent.com',
  contactNumber: '12345678901',
  contactPosition: 'developer',
};

function throwsField(info: OrderInfo, field: string, message?: RegExp): void {
  assert.throws(
    () => checkOrderInfo(info),
    (e: unknown) => {
      assert.ok(e instanceof DomainError, `expected DomainError, got ${String(e)}`);
      assert.equal(e.kind, 'InvalidParam');
      assert.equal(e.field, field);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe('ORDER_INFO_FIELDS', () => {
  test('maps every OrderInfo key to its PascalCase wire name', () => {
    assert.equal(ORDER_INFO_FIELDS.length, Object.keys(SEED).length);
    for (const f of ORDER_INFO_FIELDS) {
      assert.equal(f.wire, f.key[0].toUpperCase() + f.key.slice(1));
      assert.ok(f.max > 0);
    }
    assert.deepEqual(
      ORDER_INFO_FIELDS.map((f) => f.key),
      Object.keys(SEED),
    );
  });

  test('caps names and positions at 64, organisation name and address at 256, division, city, region at 128', () => {
    const max = Object.fromEntries(ORDER_INFO_FIELDS.map((f) => [f.wire, f.max]));
    assert.equal(max.AdminFirstName, 64);
    assert.equal(max.ContactPosition, 64);
    assert.equal(max.OrganizationName, 256);
    assert.equal(max.OrganizationAddress, 256);
    assert.equal(max.OrganizationDivision, 128);
    assert.equal(max.OrganizationCity, 128);
    assert.equal(max.OrganizationRegion, 128);
    assert.equal(max.AdminEmail, 254);
  });
});

describe('checkOrderInfo', () => {
  test('accepts the seed example unchanged', () => {
    assert.deepEqual(checkOrderInfo(SEED), SEED);
  });

  test('accepts an empty object', () => {
    assert.deepEqual(checkOrderInfo({}), {});
  });

  test('trims, upper-cases the country, normalises an email domain and drops blank fields', () => {
    assert.deepEqual(
      checkOrderInfo({
        organizationName: '  腾讯科技（深圳）有限公司 ',
        organizationCountry: ' cn ',
        adminEmail: ' Admin.Ops+ssl@Bücher.Example. ',
        contactPosition: '   ',
        postalCode: '',
      }),
      {
        organizationName: '腾讯科技（深圳）有限公司',
        organizationCountry: 'CN',
        adminEmail: 'Admin.Ops+ssl@xn--bcher-kva.example',
      },
    );
  });

  const valid: [key: keyof OrderInfo, value: string][] = [
    ['organizationCountry', 'us'],
    ['organizationCountry', 'AX'],
    ['organizationCountry', 'ss'],
    ['postalCode', '100'],
    ['postalCode', 'SW1A 1AA'],
    ['postalCode', '12345-6789'],
    ['phoneAreaCode', '10'],
    ['phoneAreaCode', '123456'],
    ['phoneNumber', '12345'],
    ['phoneNumber', '1'.repeat(20)],
    ['adminPhoneNum', '+8613800000000'],
    ['contactNumber', '13800000000'],
    ['contactNumber', `+${'9'.repeat(20)}`],
    ['adminEmail', 'a@b.co'],
    ['adminEmail', "o'brien!#$%&*/=?^_`{|}~-@example.com"],
    ['contactEmail', 'first.last@sub.example.cn'],
    ['contactEmail', `${'a'.repeat(64)}@example.com`],
    ['contactEmail', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`],
    ['adminFirstName', 'Zoë'],
    ['adminFirstName', 'x'.repeat(64)],
    ['adminFirstName', '𝓐'.repeat(64)],
    ['organizationName', 'x'.repeat(256)],
    ['organizationCity', 'x'.repeat(128)],
  ];
  for (const [key, value] of valid) {
    test(`accepts ${key} ${JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value)}`, () => {
      const out = checkOrderInfo({ [key]: value });
      assert.equal(typeof out[key], 'string');
    });
  }

  const invalid: [key: keyof OrderInfo, value: string, field: string, msg: RegExp][] = [
    ['adminEmail', 'foo@', 'AdminEmail', /^AdminEmail "foo@" is not a valid email address$/],
    ['adminEmail', '@example.com', 'AdminEmail', /not a valid email address/],
    ['adminEmail', 'foo', 'AdminEmail', /not a valid email address/],
    ['adminEmail', 'foo@bar', 'AdminEmail', /its domain is not a valid domain name: it needs at least two labels/],
    ['adminEmail', 'foo@1.2.3.4', 'AdminEmail', /IP addresses/],
    ['adminEmail', 'foo@[1.2.3.4]', 'AdminEmail', /IP addresses/],
    ['adminEmail', 'foo@*.example.com', 'AdminEmail', /wildcard/],
    ['adminEmail', 'a b@example.com', 'AdminEmail', /before "@"/],
    ['adminEmail', 'a..b@example.com', 'AdminEmail', /before "@"/],
    ['adminEmail', '.ab@example.com', 'AdminEmail', /before "@"/],
    ['adminEmail', '"quoted"@example.com', 'AdminEmail', /before "@"/],
    ['adminEmail', 'ü@example.com', 'AdminEmail', /before "@"/],
    ['contactEmail', 'a@b@example.com', 'ContactEmail', /before "@"/],
    ['contactEmail', `${'a'.repeat(65)}@example.com`, 'ContactEmail', /over 64 characters/],
    [
      'contactEmail',
      `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(59)}.com`,
      'ContactEmail',
      /over 254/,
    ],
    ['organizationCountry', 'China', 'OrganizationCountry', /ISO 3166-1 alpha-2/],
    ['organizationCountry', 'UK', 'OrganizationCountry', /ISO 3166-1 alpha-2/],
    ['organizationCountry', 'XX', 'OrganizationCountry', /ISO 3166-1 alpha-2/],
    ['organizationCountry', 'C', 'OrganizationCountry', /ISO 3166-1 alpha-2/],
    ['postalCode', '12', 'PostalCode', /3 to 10/],
    ['postalCode', '12345678901', 'PostalCode', /3 to 10/],
    ['postalCode', '12_34', 'PostalCode', /3 to 10 letters, digits, spaces or hyphens/],
    ['postalCode', '-1234', 'PostalCode', /3 to 10/],
    ['phoneAreaCode', '1', 'PhoneAreaCode', /2 to 6 digits/],
    ['phoneAreaCode', '1234567', 'PhoneAreaCode', /2 to 6 digits/],
    ['phoneAreaCode', '+86', 'PhoneAreaCode', /2 to 6 digits/],
    ['phoneNumber', '1234', 'PhoneNumber', /5 to 20 digits/],
    ['phoneNumber', '8601-3388', 'PhoneNumber', /5 to 20 digits/],
    ['phoneNumber', '+8613800000000', 'PhoneNumber', /5 to 20 digits/],
    ['phoneNumber', '1'.repeat(21), 'PhoneNumber', /5 to 20 digits/],
    ['adminPhoneNum', '138 0000 0000', 'AdminPhoneNum', /5 to 20 digits/],
    ['adminPhoneNum', '++8613800000000', 'AdminPhoneNum', /5 to 20 digits/],
    ['contactNumber', '1380000000x', 'ContactNumber', /5 to 20 digits/],
    ['adminFirstName', 'x'.repeat(65), 'AdminFirstName', /is 65 characters long, over 64/],
    ['adminPosition', 'dev\u0000', 'AdminPosition', /control characters/],
    ['contactLastName', 'a\u0007b', 'ContactLastName', /control characters/],
    ['organizationName', 'x'.repeat(257), 'OrganizationName', /over 256/],
    ['organizationName', 'Acme\u202eCorp', 'OrganizationName', /control characters/],
    ['organizationAddress', 'line 1\nline 2', 'OrganizationAddress', /control characters/],
    ['organizationDivision', 'x'.repeat(129), 'OrganizationDivision', /over 128/],
    ['organizationRegion', 'a\ud800', 'OrganizationRegion', /control characters/],
  ];
  for (const [key, value, field, msg] of invalid) {
    test(`refuses ${key} ${JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value)} with InvalidParam on ${field}`, () => {
      throwsField({ [key]: value }, field, msg);
    });
  }

  test('reports the first problem in wire order', () => {
    throwsField({ contactEmail: 'bad', organizationCountry: 'ZZ' }, 'OrganizationCountry');
  });

  test('refuses a non-string value, as a decoder bug would pass it', () => {
    throwsField({ adminEmail: 42 as unknown as string }, 'AdminEmail', /must be a string/);
  });

  test('returns a copy or throws DomainError for any input, never another error', () => {
    const keys = ORDER_INFO_FIELDS.map((f) => f.key);
    const value = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('a', '1', '@', '.', '+', ' ', '-', 'ü', '\u0000', '\ud800', 'x', 'C', 'N') }),
      fc.emailAddress(),
      fc.domain(),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), value), (info) => {
        try {
          const out = checkOrderInfo(info as OrderInfo);
          // The normalised copy is itself valid and stable.
          assert.deepEqual(checkOrderInfo(out), out);
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('missingForLevel', () => {
  test('DV needs the domain and ContactEmail only', () => {
    assert.deepEqual(missingForLevel('DV', {}, false), ['CertificateDomain', 'ContactEmail']);
    assert.deepEqual(missingForLevel('DV', {}, true), ['ContactEmail']);
    assert.deepEqual(missingForLevel('DV', { contactEmail: 'a@b.com' }, true), []);
    assert.deepEqual(missingForLevel('DV', { contactEmail: '  ' }, true), ['ContactEmail']);
  });

  test('OV and EV need everything but PostalCode', () => {
    const all = ORDER_INFO_FIELDS.map((f) => f.wire).filter((w) => w !== 'PostalCode');
    for (const level of ['OV', 'EV'] as const) {
      assert.deepEqual(missingForLevel(level, {}, false), ['CertificateDomain', ...all]);
      assert.deepEqual(missingForLevel(level, SEED, true), []);
      const { postalCode: _p, ...noPostal } = SEED;
      assert.deepEqual(missingForLevel(level, noPostal, true), []);
      const { adminEmail: _a, contactPosition: _c, ...partial } = SEED;
      assert.deepEqual(missingForLevel(level, { ...partial, organizationCity: '' }, true), [
        'OrganizationCity',
        'AdminEmail',
        'ContactPosition',
      ]);
    }
  });
});
