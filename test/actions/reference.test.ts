// The generated reference (docs/api.md, docs/products.md): fresh on disk, and complete against the schemas and the
// seed. The schemas are walked here through zod's public classes, independently of reference.ts's walk.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { type ActionDefinition, defineAction } from '../../src/actions/define-action.js';
import { ACTIONS } from '../../src/actions/index.js';
import { renderApiReference, renderProducts } from '../../src/actions/reference.js';
import { list, oneOf, str } from '../../src/actions/wire.js';
import { API_VERSION } from '../../src/gateway/server.js';

// The repo and shared/ sit side by side (/work/main and /work/shared here; CI keeps the same layout).
const SEED = readFileSync(new URL('../../../shared/seed/000_4bd511056e1d1f9f.txt', import.meta.url), 'utf8');
const readDoc = (name: string) => {
  try {
    return readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
  } catch {
    return '';
  }
};

/** Where two texts first differ, so a stale file's failure says what changed. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i])
      return `line ${i + 1}:\n  on disk:  ${a[i] ?? '(end of file)'}\n  rendered: ${e[i] ?? '(end of file)'}`;
  }
  return 'no difference';
}

interface TableRow {
  name: string;
  type: string;
  required: string;
  constraints: string;
}

/** The body of `## <action>`, up to the next action. */
function sectionOf(doc: string, action: string): string {
  const start = doc.indexOf(`\n## ${action}\n`);
  assert.ok(start >= 0, `the reference has a section for ${action}`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

function parameterTable(doc: string, action: string): TableRow[] {
  const section = sectionOf(doc, action);
  const params = section.slice(section.indexOf('### Parameters'), section.indexOf('### Errors'));
  return params
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Name '))
    .map((l) => {
      const [name, type, required, constraints] = l.slice(2, -2).split(' | ');
      return { name, type, required, constraints };
    });
}

/** Wire names of every field, nested ones included: lists add `.N`, structures `.Field`. */
function wireNames(schema: z.ZodType, prefix = ''): string[] {
  const unwrap = (s: z.ZodType): z.ZodType => {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault)
      return unwrap(s.unwrap() as z.ZodType);
    if (s instanceof z.ZodPipe) return unwrap((s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType);
    return s;
  };
  const root = unwrap(schema);
  assert.ok(root instanceof z.ZodObject, 'a params schema is an object');
  return Object.entries(root.shape as Record<string, z.ZodType>).flatMap(([key, field]) => {
    let name = `${prefix}${key}`;
    let core = unwrap(field);
    while (core instanceof z.ZodArray) {
      name += '.N';
      core = unwrap(core.element as z.ZodType);
    }
    return [name, ...(core instanceof z.ZodObject ? wireNames(core, `${name}.`) : [])];
  });
}

describe('generated API reference', () => {
  const api = renderApiReference();

  test('docs/api.md and docs/products.md on disk equal a fresh render', () => {
    for (const [name, rendered] of [
      ['api.md', api],
      ['products.md', renderProducts()],
    ]) {
      const onDisk = readDoc(name);
      assert.ok(
        onDisk === rendered,
        `docs/${name} is stale: run \`npm run docs\` and commit the result (${firstDifference(onDisk, rendered)})`,
      );
    }
  });

  test('renders the same text twice: no dates, no ordering by chance', () => {
    assert.equal(renderApiReference(), api);
    assert.equal(renderProducts(), renderProducts());
  });

  test('names the API version the server answers', () => {
    assert.ok(api.includes(`\`${API_VERSION}\``));
  });

  test('every registered action has a section, a contents entry, its permission and its summary', () => {
    const names = [...ACTIONS.keys()];
    assert.ok(names.length > 0);
    for (const name of names) {
      const def = ACTIONS.get(name)!;
      assert.ok(api.includes(`- [${name}](#${name.toLowerCase()}): `), `${name} is in the contents`);
      const section = sectionOf(api, name);
      assert.ok(section.includes(`CAM permission: \`${def.permission}\``), `${name} names its permission`);
      assert.ok(section.includes(def.summary), `${name} shows its summary`);
    }
    const headings = [...api.matchAll(/^## (\w+)$/gm)].map((m) => m[1]).filter((h) => h !== 'Conventions');
    assert.deepEqual(headings, [...names].sort(), 'one section per action, alphabetically');
  });

  test('every parameter of every schema, nested ones included, has exactly one row', () => {
    for (const [name, def] of ACTIONS) {
      const rows = parameterTable(api, name).map((r) => r.name);
      assert.deepEqual(rows, wireNames(def.params), `${name}'s parameter table`);
      const top = Object.keys((def.params as unknown as z.ZodObject).shape);
      for (const key of top) assert.ok(rows.includes(key) || rows.includes(`${key}.N`), `${name}.${key}`);
    }
  });

  test('every error code an action maps to is in its error table, with its message', () => {
    for (const [name, def] of ACTIONS) {
      const section = sectionOf(api, name);
      for (const code of Object.values(def.errors)) assert.ok(section.includes(`\n| ${code} | `), `${name}: ${code}`);
      for (const code of ['MissingParameter', 'UnknownParameter', 'RequestLimitExceeded', 'InternalError']) {
        assert.ok(section.includes(`\n| ${code} | `), `${name}: ${code}`);
      }
    }
  });

  test("SubmitCertificateInformation's table has every seed parameter with the seed's type and requiredness", () => {
    const start = SEED.indexOf('Parameter Name | Required | Type | Description |');
    const end = SEED.indexOf('Parameter Name | Type | Description |', start);
    const seedRows = SEED.slice(start, end)
      .split('\n')
      .map((l) => /^([A-Za-z][\w.]*) \| (Yes|No) \| ([^|]+?) \| (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && !m[4].startsWith('Common Params'));
    assert.equal(seedRows.length, 26, 'the seed lists 26 parameters of its own');
    const table = new Map(parameterTable(api, 'SubmitCertificateInformation').map((r) => [r.name, r]));
    for (const [, name, required, type] of seedRows) {
      const row = table.get(name);
      assert.ok(row, `${name} has a row`);
      assert.equal(row.type, type, `${name} is ${type}`);
      assert.equal(row.required, required.toLowerCase(), `${name} required: ${required}`);
    }
    assert.equal(table.get('DomainList.N')?.type, 'Array of String');
  });

  test('an action added later renders nested lists, structures, enums, defaults and its own limit', () => {
    const filter = z.strictObject({ Name: oneOf(['domain', 'status']), Values: list(str(8), 5).min(1) });
    const def = defineAction({
      name: 'DescribeThings',
      summary: 'Describes things.',
      ratePerSecond: 5,
      params: z.strictObject({
        Filters: list(filter, 10).optional(),
        Sort: z.enum(['ASC', 'DESC']).default('ASC'),
        Ratio: z.number().gt(0).lt(1).optional(),
      }),
      errors: { NotFound: 'ResourceNotFound' },
      handle: async () => ({}),
    }) as ActionDefinition;
    const doc = renderApiReference(new Map([[def.name, def]]));
    const rows = parameterTable(doc, 'DescribeThings');
    assert.deepEqual(
      rows.map((r) => [r.name, r.type, r.required, r.constraints]),
      [
        ['Filters.N', 'Array of Filter', 'no', 'at most 10 items'],
        ['Filters.N.Name', 'String', 'yes', 'one of `domain`, `status`'],
        ['Filters.N.Values.N', 'Array of String', 'yes', 'at most 5 items; at least 1 item; each at most 8 characters'],
        ['Sort', 'String', 'no', 'one of `ASC`, `DESC`; default "ASC"'],
        ['Ratio', 'Float', 'no', 'greater than 0; less than 1'],
      ],
    );
    const section = sectionOf(doc, 'DescribeThings');
    assert.ok(section.includes('Rate limit: 5/s per account'));
    assert.ok(section.includes('\n| ResourceNotFound | '));
    assert.ok(section.includes('\n| AuthFailure.UnauthorizedOperation | '), 'the permission pre-check');
  });
});

describe('generated product catalogue', () => {
  test('states the free product and lists every catalogued ProductId', () => {
    const doc = renderProducts();
    assert.match(doc, /`ProductId` 83 is TrustAsia C1 DV Free/);
    assert.match(doc, /status 13/);
    assert.match(doc, /^\| 105 \| Generic \|/m);
  });
});
