// One certificate: DescribeCertificateDetail, its status timeline (DescribeCertificateOperateLogs, which lists the
// account's log: this page keeps the entries of this certificate), DownloadCertificate by server type (the ZIP holds
// a folder per server; one folder is repacked here), and revoke / cancel / delete, each after a confirmation.

import { unzipSync, zipSync } from 'fflate';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { CANCELLABLE_STATUSES, DELETABLE_STATUSES, type StatusCode } from '../../../src/orders/status.js';
import type { ApiResponse } from '../api.js';
import { ConfirmDialog, Link, Notice, PageTitle, StatusBadge, statusName } from '../components.js';
import { type MessageKey, useLang } from '../i18n.js';
import { navigate } from '../router.js';
import { messageOf, useSession } from '../session.js';

const SERVER_TYPES = ['all', 'Nginx', 'Apache', 'Tomcat', 'IIS', 'other'] as const;
type ServerType = (typeof SERVER_TYPES)[number];
const FOLDERS = new Set(['Nginx', 'Apache', 'Tomcat', 'IIS']);
const LOG_LIMIT = 1000;

type Pending = 'revoke' | 'cancel' | 'delete' | null;

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
  return out;
}

/** The whole ZIP, or only the chosen server's folder (or the loose PEM files) repacked as a ZIP of its own. */
export function zipFor(zip: Uint8Array, type: ServerType): Uint8Array {
  if (type === 'all') return zip;
  const files = unzipSync(zip);
  const chosen = Object.fromEntries(
    Object.entries(files).filter(([name]) => {
      const folder = name.includes('/') ? name.slice(0, name.indexOf('/')) : '';
      return type === 'other' ? !FOLDERS.has(folder) : folder === type;
    }),
  );
  return zipSync(chosen);
}

function saveFile(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function transition(type: string, lang: 'en' | 'zh'): string {
  const m = /^(\d*)->(\d*)$/.exec(type);
  if (!m) return '';
  const from = m[1] === '' ? '—' : statusName(Number(m[1]), lang);
  return `${from} → ${statusName(Number(m[2]), lang)}`;
}

export function Detail(props: { id: string }) {
  const { t, lang } = useLang();
  const { call } = useSession();
  const [detail, setDetail] = useState<ApiResponse | null>(null);
  const [logs, setLogs] = useState<ApiResponse[]>([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [serverType, setServerType] = useState<ServerType>('all');
  const [downloading, setDownloading] = useState(false);
  const [pending, setPending] = useState<Pending>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const [d, l] = await Promise.all([
        call('DescribeCertificateDetail', { CertificateId: props.id }),
        call('DescribeCertificateOperateLogs', { Limit: LOG_LIMIT }),
      ]);
      setDetail(d);
      setLogs((l.OperateLogs as ApiResponse[]).filter((x) => x.CertId === props.id).reverse());
    } catch (e) {
      setError(messageOf(e));
    }
  }, [props.id, call]);

  useEffect(() => {
    load();
  }, [load]);

  const download = async () => {
    setDownloading(true);
    setError('');
    try {
      const r = await call('DownloadCertificate', { CertificateId: props.id });
      const base = String(detail?.Domain || props.id).replace(/[^a-zA-Z0-9.-]/g, '_');
      saveFile(
        zipFor(base64ToBytes(r.Content), serverType),
        `${base}_${serverType === 'all' ? 'all' : serverType}.zip`,
      );
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setDownloading(false);
    }
  };

  const act = async (reason: string) => {
    if (!pending) return;
    setBusy(true);
    setError('');
    try {
      if (pending === 'revoke')
        await call('RevokeCertificate', { CertificateId: props.id, Reason: reason || undefined });
      if (pending === 'cancel') await call('CancelCertificateOrder', { CertificateId: props.id });
      if (pending === 'delete') await call('DeleteCertificate', { CertificateId: props.id });
      const was = pending;
      setPending(null);
      if (was === 'delete') {
        navigate('/certificates');
        return;
      }
      setNotice(t('done'));
      await load();
    } catch (e) {
      setPending(null);
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const s = detail?.Status as number | undefined;
  const canSubmit = s === 5 || s === 13;
  const canValidate = s === 0 || s === 4;
  const canRevoke = s === 1;
  const canCancel = s !== undefined && CANCELLABLE_STATUSES.includes(s as StatusCode) && detail?.From !== 'upload';
  const canDelete = s !== undefined && (DELETABLE_STATUSES.includes(s as StatusCode) || detail?.From === 'upload');
  const confirmText: Record<Exclude<Pending, null>, MessageKey> = {
    revoke: 'revokeConfirm',
    cancel: 'cancelConfirm',
    delete: 'deleteConfirm',
  };
  const actionName: Record<Exclude<Pending, null>, MessageKey> = {
    revoke: 'revoke',
    cancel: 'cancelOrder',
    delete: 'delete',
  };

  return (
    <main id="main">
      <p>
        <Link href="/certificates">← {t('back')}</Link>
      </p>
      <PageTitle>{t('detailTitle', { id: props.id })}</PageTitle>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {notice ? <Notice tone="ok">{notice}</Notice> : null}
      {!detail && !error ? <p aria-busy="true">{t('loading')}</p> : null}
      {detail ? (
        <>
          <section class="card" aria-labelledby="overview">
            <h2 id="overview">{t('overview')}</h2>
            <dl class="facts">
              <dt>{t('status')}</dt>
              <dd>
                <StatusBadge status={detail.Status} />
                {detail.StatusMsg ? <span class="muted"> {detail.StatusMsg}</span> : null}
              </dd>
              <dt>{t('colDomain')}</dt>
              <dd>{detail.Domain || '—'}</dd>
              <dt>{t('sans')}</dt>
              <dd>{(detail.SubjectAltName as string[] | null)?.join(', ') || '—'}</dd>
              <dt>{t('product')}</dt>
              <dd>{detail.PackageTypeName || '—'}</dd>
              <dt>{t('verifyType')}</dt>
              <dd>{detail.VerifyType || '—'}</dd>
              <dt>{t('validFrom')}</dt>
              <dd>{detail.CertBeginTime || '—'}</dd>
              <dt>{t('validTo')}</dt>
              <dd>{detail.CertEndTime || '—'}</dd>
              <dt>{t('orderId')}</dt>
              <dd>{detail.OrderId || '—'}</dd>
              <dt>{t('created')}</dt>
              <dd>{detail.InsertTime}</dd>
            </dl>
            <div class="buttons">
              {canSubmit ? (
                <Link class="button primary" href={`/certificates/${props.id}/submit`}>
                  {t('submitInfo')}
                </Link>
              ) : null}
              {canValidate ? (
                <Link class="button primary" href={`/certificates/${props.id}/validation`}>
                  {t('validation')}
                </Link>
              ) : null}
            </div>
          </section>

          {s === 1 ? (
            <section class="card" aria-labelledby="download">
              <h2 id="download">{t('download')}</h2>
              <div class="inline-form">
                <div class="field">
                  <label for="serverType">{t('serverType')}</label>
                  <select
                    id="serverType"
                    value={serverType}
                    onChange={(e) => setServerType(e.currentTarget.value as ServerType)}
                  >
                    {SERVER_TYPES.map((v) => (
                      <option value={v} key={v}>
                        {t(`server_${v}` as MessageKey)}
                      </option>
                    ))}
                  </select>
                </div>
                <button type="button" class="primary" id="download-button" onClick={download} disabled={downloading}>
                  {downloading ? t('downloading') : t('download')}
                </button>
              </div>
            </section>
          ) : null}

          <section class="card" aria-labelledby="timeline">
            <h2 id="timeline">{t('timeline')}</h2>
            {logs.length === 0 ? (
              <p>{t('noLogs')}</p>
            ) : (
              <ol class="timeline">
                {logs.map((l, k) => (
                  <li key={k}>
                    <time>{l.CreatedOn}</time> <strong>{l.Action}</strong>{' '}
                    <span class="muted">{transition(l.Type, lang)}</span>
                  </li>
                ))}
              </ol>
            )}
          </section>

          {canRevoke || canCancel || canDelete ? (
            <section class="card" aria-labelledby="actions">
              <h2 id="actions">{t('actions')}</h2>
              <div class="buttons">
                {canRevoke ? (
                  <button type="button" class="danger" onClick={() => setPending('revoke')}>
                    {t('revoke')}
                  </button>
                ) : null}
                {canCancel ? (
                  <button type="button" class="danger" onClick={() => setPending('cancel')}>
                    {t('cancelOrder')}
                  </button>
                ) : null}
                {canDelete ? (
                  <button type="button" class="danger" onClick={() => setPending('delete')}>
                    {t('delete')}
                  </button>
                ) : null}
              </div>
            </section>
          ) : null}
          <ConfirmDialog
            open={pending !== null}
            title={pending ? t(actionName[pending]) : ''}
            message={pending ? t(confirmText[pending], { id: props.id }) : ''}
            withReason={pending === 'revoke'}
            busy={busy}
            onConfirm={act}
            onClose={() => setPending(null)}
          />
        </>
      ) : null}
    </main>
  );
}
