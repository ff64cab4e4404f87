// Writes docs/api.md and docs/products.md (`npm run docs`); the text itself comes from src/actions/reference.ts.
// test/actions/reference.test.ts fails when the files on disk differ from a fresh render.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { renderApiReference, renderProducts, schemaWarnings } from '../src/actions/reference.js';

const docs = new URL('../docs/', import.meta.url);
mkdirSync(docs, { recursive: true });

const files: Array<[string, string]> = [
  ['api.md', renderApiReference()],
  ['products.md', renderProducts()],
];
for (const [name, text] of files) {
  const target = new URL(name, docs);
  let old: string | undefined;
  try {
    old = readFileSync(target, 'utf8');
  } catch {
    old = undefined;
  }
  if (old === text) {
    console.log(`docs/${name} is up to date`);
  } else {
    writeFileSync(target, text);
    console.log(`wrote docs/${name}`);
  }
}
// What the schemas say that the reference cannot show: not an error, but worth a look when it changes.
for (const warning of schemaWarnings()) console.warn(`note: ${warning}`);
