// What an action makes from rows that SQLite's read cache shares, made once. Until the next commit every read of the
// same rows hands back the same frozen objects (src/store/read-cache.ts), so whatever is made from those rows and the
// language alone can be made once and kept as long as the rows are: in a WeakMap, which lets it go with them.
// PostgreSQL's rows are frozen too but new at every read, so what is kept for them goes with the request.

import type { Lang } from './context.js';

interface Kept<V> {
  with: unknown;
  'en-US'?: V;
  'zh-CN'?: V;
}

/**
 * `make`, kept by its row (or rows), what was read with it (`also`: rows, a value, or null) and the language. A row or
 * rows of `also` that are not frozen are ones a caller may still change: made each time. `make` must read nothing but
 * its arguments.
 */
export function keptByRow<R extends object, A, V>(
  make: (row: R, also: A, lang: Lang) => V,
): (row: R, also: A, lang: Lang) => V {
  const kept = new WeakMap<R, Kept<V>>();
  return (row, also, lang) => {
    if (!Object.isFrozen(row) || (typeof also === 'object' && also !== null && !Object.isFrozen(also))) {
      return make(row, also, lang);
    }
    let k = kept.get(row);
    if (k === undefined || k.with !== also) {
      k = { with: also };
      kept.set(row, k);
    }
    if (!(lang in k)) k[lang] = make(row, also, lang);
    return k[lang] as V;
  };
}
