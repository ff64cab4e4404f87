// The certificate list: DescribeCertificates with search (SearchKey), status (CertificateStatus) and project
// (ProjectId) filters and paging (Offset/Limit). The API has no product filter, so with one set the page reads up to
// PRODUCT_SCAN certificates and filters and pages them here.

import { useEffect, useState } from 'preact/hooks';
import { PRODUCTS } from '../../../src/orders/products.js';
import { ALL_STATUSES } from '../../../src/orders/status.js';
import type { ApiResponse } from '../api.js';
import { Link, Notice, PageTitle, StatusBadge, statusName } from '../components.js';
import { useLang } from '../i18n.js';
import { messageOf, useSession } from '../session.js';

const PAGE_SIZE = 10;
const PRODUCT_SCAN = 5000;
const SCAN_PAGE = 1000;

interface Filters {
  search: string;
  status: string;
  project: string;
  product: string;
}

const EMPTY: Filters = { search: '', status: '', project: '', product: '' };

export function Certificates() {
  const { t, lang } = useLang();
  const { call } = useSession();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(0);
  const [data, setData] = useState<{ key: string; total: number; rows: ApiResponse[] } | null>(null);
  const [error, setError] = useState('');
  // Busy from the render that changes the page or filters until their rows arrive (not from the effect, a frame late).
  const key = JSON.stringify([filters, page]);
  const loading = !error && data?.key !== key;

  useEffect(() => {
    let live = true;
    const base: Record<string, unknown> = {};
    if (filters.search.trim()) base.SearchKey = filters.search.trim();
    if (filters.status !== '') base.CertificateStatus = [Number(filters.status)];
    if (/^\d+$/.test(filters.project.trim())) base.ProjectId = Number(filters.project.trim());
    const load = async () => {
      if (filters.product === '') {
        const r = await call('DescribeCertificates', { ...base, Offset: page * PAGE_SIZE, Limit: PAGE_SIZE });
        return { total: r.TotalCount as number, rows: r.Certificates as ApiResponse[] };
      }
      const all: ApiResponse[] = [];
      for (let offset = 0; offset < PRODUCT_SCAN; offset += SCAN_PAGE) {
        const r = await call('DescribeCertificates', { ...base, Offset: offset, Limit: SCAN_PAGE });
        all.push(...(r.Certificates as ApiResponse[]));
        if (offset + SCAN_PAGE >= (r.TotalCount as number)) break;
      }
      const matching = all.filter((c) => c.PackageType === filters.product);
      return { total: matching.length, rows: matching.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE) };
    };
    setError('');
    const requested = JSON.stringify([filters, page]);
    load()
      .then((d) => live && setData({ ...d, key: requested }))
      .catch((e) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [filters, page, call]);

  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE_SIZE)) : 1;
  const apply = (e: Event) => {
    e.preventDefault();
    setPage(0);
    setFilters({ ...draft });
  };
  const reset = () => {
    setDraft(EMPTY);
    setPage(0);
    setFilters(EMPTY);
  };
  const set = (k: keyof Filters) => (e: Event) =>
    setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });

  return (
    <main id="main">
      <div class="page-head">
        <PageTitle>{t('listTitle')}</PageTitle>
        <Link href="/buy" class="button primary">
          {t('navBuy')}
        </Link>
      </div>
      <form class="filters" onSubmit={apply} aria-label={t('filterLabel')}>
        <div class="field">
          <label for="f-search">{t('search')}</label>
          <input
            id="f-search"
            type="search"
            value={draft.search}
            placeholder={t('searchPlaceholder')}
            onInput={set('search')}
          />
        </div>
        <div class="field">
          <label for="f-status">{t('status')}</label>
          <select id="f-status" value={draft.status} onChange={set('status')}>
            <option value="">{t('all')}</option>
            {ALL_STATUSES.map((s) => (
              <option value={String(s)} key={s}>
                {statusName(s, lang)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-project">{t('project')}</label>
          <input id="f-project" inputMode="numeric" value={draft.project} onInput={set('project')} />
        </div>
        <div class="field">
          <label for="f-product">{t('product')}</label>
          <select id="f-product" value={draft.product} onChange={set('product')}>
            <option value="">{t('all')}</option>
            {[...PRODUCTS.values()].map((p) => (
              <option value={String(p.id)} key={p.id}>
                {p.id} · {lang === 'zh' ? p.nameZh : p.nameEn}
              </option>
            ))}
          </select>
        </div>
        <div class="buttons">
          <button type="submit" class="primary">
            {t('apply')}
          </button>
          <button type="button" onClick={reset}>
            {t('reset')}
          </button>
        </div>
      </form>
      {filters.product ? <p class="hint">{t('productFilterNote', { n: PRODUCT_SCAN })}</p> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {!data && !error ? <p aria-busy="true">{t('loading')}</p> : null}
      {data ? (
        <>
          <p class="muted" aria-live="polite" id="total">
            {t('total', { n: data.total })}
          </p>
          {data.rows.length === 0 ? (
            <p>{t('noCertificates')}</p>
          ) : (
            <table class="list" aria-busy={loading}>
              <caption class="visually-hidden">{t('listTitle')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('colId')}</th>
                  <th scope="col">{t('colDomain')}</th>
                  <th scope="col">{t('colProduct')}</th>
                  <th scope="col">{t('colStatus')}</th>
                  <th scope="col">{t('colExpires')}</th>
                  <th scope="col">{t('colCreated')}</th>
                  <th scope="col">{t('colActions')}</th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((c) => (
                  <tr key={c.CertificateId} data-certificate-id={c.CertificateId}>
                    <td data-label={t('colId')}>
                      <Link href={`/certificates/${c.CertificateId}`}>{c.CertificateId}</Link>
                    </td>
                    <td data-label={t('colDomain')}>{c.Domain || '—'}</td>
                    <td data-label={t('colProduct')}>{c.PackageTypeName || c.ProductZhName || '—'}</td>
                    <td data-label={t('colStatus')}>
                      <StatusBadge status={c.Status} />
                    </td>
                    <td data-label={t('colExpires')}>{c.CertEndTime || '—'}</td>
                    <td data-label={t('colCreated')}>{c.InsertTime}</td>
                    <td data-label={t('colActions')}>
                      <RowActions cert={c} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <nav class="pager" aria-label={t('paging')}>
            <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
              {t('previous')}
            </button>
            <span aria-current="page">{t('page', { page: page + 1, pages })}</span>
            <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
              {t('next')}
            </button>
          </nav>
        </>
      ) : null}
    </main>
  );
}

function RowActions(props: { cert: ApiResponse }) {
  const { t } = useLang();
  const c = props.cert;
  const id = c.CertificateId as string;
  return (
    <span class="row-actions">
      {c.Status === 5 || c.Status === 13 ? <Link href={`/certificates/${id}/submit`}>{t('submitInfo')}</Link> : null}
      {c.Status === 0 || c.Status === 4 ? <Link href={`/certificates/${id}/validation`}>{t('validation')}</Link> : null}
      <Link href={`/certificates/${id}`}>{t('details')}</Link>
    </span>
  );
}
