// Buying: CreateCertificate over the product catalogue of src/orders/products.ts (built in), checked with the
// server's own checkOrder before it is sent. A new order opens its submit-information page.

import { useState } from 'preact/hooks';
import { checkOrder, MAX_DOMAIN_NUM, PRODUCTS, type Product } from '../../../src/orders/products.js';
import { Field, Notice, PageTitle } from '../components.js';
import { type MessageKey, useLang } from '../i18n.js';
import { navigate } from '../router.js';
import { messageOf, useSession } from '../session.js';

const LEVELS = ['DV', 'OV', 'EV'] as const;
const MULTI = new Set(['multi', 'wildcard-multi']);

export function productLabel(p: Product, lang: 'en' | 'zh'): string {
  return lang === 'zh' ? p.nameZh : p.nameEn;
}

export function Buy() {
  const { t, lang } = useLang();
  const { call } = useSession();
  const [productId, setProductId] = useState('48');
  const [domainNum, setDomainNum] = useState('2');
  const [timeSpan, setTimeSpan] = useState('1');
  const [failure, setFailure] = useState('');
  const [busy, setBusy] = useState(false);
  const product = PRODUCTS.get(Number(productId));
  const multi = product ? MULTI.has(product.kind) : false;
  const count = multi ? Number(domainNum) : 1;

  let problem: { field: string; message: string } | undefined;
  try {
    checkOrder(product, Number(productId), count, Number(timeSpan));
  } catch (e) {
    const err = e as Error & { field?: string };
    problem = { field: err.field ?? 'ProductId', message: err.message };
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    setFailure('');
    if (problem) {
      document.getElementById(problem.field)?.focus();
      return;
    }
    setBusy(true);
    try {
      const r = await call('CreateCertificate', {
        ProductId: Number(productId),
        DomainNum: count,
        TimeSpan: Number(timeSpan),
      });
      navigate(`/certificates/${r.CertificateIds[0]}/submit`);
    } catch (err) {
      setFailure(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="narrow">
      <PageTitle>{t('buyTitle')}</PageTitle>
      <p>{t('buyLead')}</p>
      {failure ? <Notice tone="error">{failure}</Notice> : null}
      <form onSubmit={submit} noValidate>
        <div class={`field${problem?.field === 'ProductId' ? ' has-error' : ''}`}>
          <label for="ProductId">{t('product')}</label>
          <select
            id="ProductId"
            value={productId}
            onChange={(e) => {
              setProductId(e.currentTarget.value);
              setTimeSpan('1');
            }}
            aria-describedby="product-facts ProductId-error"
            aria-invalid={problem?.field === 'ProductId' || undefined}
          >
            {LEVELS.map((level) => (
              <optgroup label={level} key={level}>
                {[...PRODUCTS.values()]
                  .filter((p) => p.level === level)
                  .map((p) => (
                    <option value={String(p.id)} key={p.id} disabled={p.algorithm === 'SM2'}>
                      {productLabel(p, lang)}
                      {p.algorithm === 'SM2' ? ` — ${t('sm2Unsupported')}` : ''}
                    </option>
                  ))}
              </optgroup>
            ))}
          </select>
          <p class="error" id="ProductId-error" aria-live="polite" hidden={problem?.field !== 'ProductId'}>
            {problem?.field === 'ProductId' ? problem.message : ''}
          </p>
        </div>
        {product ? (
          <dl class="facts" id="product-facts">
            <dt>{t('brand')}</dt>
            <dd>{product.brand}</dd>
            <dt>{t('level')}</dt>
            <dd>{product.level}</dd>
            <dt>{t('kind')}</dt>
            <dd>{t(`kind_${product.kind}` as MessageKey)}</dd>
            <dt>ProductId</dt>
            <dd>{product.id}</dd>
          </dl>
        ) : null}
        {multi ? (
          <Field
            id="DomainNum"
            label={t('domainNum')}
            value={domainNum}
            onInput={setDomainNum}
            type="number"
            inputMode="numeric"
            error={problem?.field === 'DomainNum' ? problem.message : undefined}
            hint={`2 – ${MAX_DOMAIN_NUM}`}
          />
        ) : null}
        <div class={`field${problem?.field === 'TimeSpan' ? ' has-error' : ''}`}>
          <label for="TimeSpan">{t('timeSpan')}</label>
          <select id="TimeSpan" value={timeSpan} onChange={(e) => setTimeSpan(e.currentTarget.value)}>
            {Array.from({ length: product?.maxTimeSpan ?? 1 }, (_, k) => (
              <option value={String(k + 1)} key={k}>
                {t('years', { n: k + 1 })}
              </option>
            ))}
          </select>
        </div>
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t('buying') : t('buy')}
          </button>
        </div>
      </form>
    </main>
  );
}
