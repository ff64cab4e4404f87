// What to publish for domain validation (DescribeCertificateDetail's DvAuthDetail): the TXT record's name and value,
// or the file's URL, path and content, each with a copy button; "check now" runs CheckCertificateDomainVerification.
// While the order is under review the page asks again every few seconds, and says when the certificate is issued.

import { useEffect, useState } from 'preact/hooks';
import type { ApiResponse } from '../api.js';
import { CopyButton, Link, Notice, PageTitle, StatusBadge, statusName } from '../components.js';
import { useLang } from '../i18n.js';
import { messageOf, useSession } from '../session.js';

const POLL_MS = 2000;
const UNDER_REVIEW = new Set([0, 4]);

function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

export function Validation(props: { id: string }) {
  const { t, lang } = useLang();
  const { call } = useSession();
  const [detail, setDetail] = useState<ApiResponse | null>(null);
  const [error, setError] = useState('');
  const [results, setResults] = useState<ApiResponse[] | null>(null);
  const [checking, setChecking] = useState(false);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const d = await call('DescribeCertificateDetail', { CertificateId: props.id });
        if (!live) return;
        setDetail(d);
        if (UNDER_REVIEW.has(d.Status)) timer = setTimeout(load, POLL_MS);
      } catch (e) {
        if (live) setError(messageOf(e));
      }
    };
    load();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [props.id, call]);

  const check = async () => {
    setChecking(true);
    setError('');
    try {
      const r = await call('CheckCertificateDomainVerification', { CertificateId: props.id });
      setResults(r.VerificationResults as ApiResponse[]);
      const d = await call('DescribeCertificateDetail', { CertificateId: props.id });
      setDetail(d);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setChecking(false);
    }
  };

  const auths = (detail?.DvAuthDetail?.DvAuths ?? []) as ApiResponse[];
  return (
    <main id="main">
      <PageTitle>{t('validationTitle')}</PageTitle>
      <p class="muted">
        {props.id} {detail ? <StatusBadge status={detail.Status} /> : null}
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {!detail && !error ? <p aria-busy="true">{t('loading')}</p> : null}
      {detail?.Status === 1 ? (
        <Notice tone="ok" id="issued">
          {t('issuedNotice')} <Link href={`/certificates/${props.id}`}>{t('viewCertificate')}</Link>
        </Notice>
      ) : null}
      {detail && UNDER_REVIEW.has(detail.Status) ? <p class="hint">{t('waitingIssue')}</p> : null}
      {detail && auths.length === 0 ? (
        <Notice tone="info">{t('noValidation', { status: statusName(detail.Status, lang) })}</Notice>
      ) : null}
      {auths.length > 0 ? <p>{t('validationLead')}</p> : null}
      {auths.map((a) =>
        a.DvAuthVerifyType === 'FILE' ? (
          <section class="card dv" key={a.DvAuthDomain} aria-label={`${t('fileRecord')} ${a.DvAuthDomain}`}>
            <h2>
              {t('fileRecord')}: {a.DvAuthDomain}
            </h2>
            <dl class="facts copyable">
              <dt>{t('fileUrl')}</dt>
              <dd>
                <code data-dv="url">{`http://${a.DvAuthDomain}${joinPath(a.DvAuthPath, a.DvAuthKey)}`}</code>
              </dd>
              <dt>{t('filePath')}</dt>
              <dd>
                <code data-dv="path">{joinPath(a.DvAuthPath, a.DvAuthKey)}</code>
                <CopyButton value={joinPath(a.DvAuthPath, a.DvAuthKey)} what={t('filePath')} />
              </dd>
              <dt>{t('fileContent')}</dt>
              <dd>
                <code data-dv="value">{a.DvAuthValue}</code>
                <CopyButton value={a.DvAuthValue} what={t('fileContent')} />
              </dd>
            </dl>
          </section>
        ) : (
          <section class="card dv" key={a.DvAuthDomain} aria-label={`${t('dnsRecord')} ${a.DvAuthDomain}`}>
            <h2>
              {t('dnsRecord')}: {a.DvAuthDomain}
            </h2>
            <dl class="facts copyable">
              <dt>{t('recordType')}</dt>
              <dd>TXT</dd>
              <dt>{t('host')}</dt>
              <dd>
                <code data-dv="host">{a.DvAuthSubDomain || a.DvAuthKey}</code>
                <CopyButton value={a.DvAuthSubDomain || a.DvAuthKey} what={t('host')} />
              </dd>
              <dt>{t('fullName')}</dt>
              <dd>
                <code data-dv="name">{`${a.DvAuthSubDomain || a.DvAuthKey}.${a.DvAuthDomain}`}</code>
                <CopyButton value={`${a.DvAuthSubDomain || a.DvAuthKey}.${a.DvAuthDomain}`} what={t('fullName')} />
              </dd>
              <dt>{t('value')}</dt>
              <dd>
                <code data-dv="value">{a.DvAuthValue}</code>
                <CopyButton value={a.DvAuthValue} what={t('value')} />
              </dd>
            </dl>
          </section>
        ),
      )}
      {detail && (UNDER_REVIEW.has(detail.Status) || detail.Status === 1) && auths.length > 0 ? (
        <div class="buttons">
          <button type="button" class="primary" onClick={check} disabled={checking}>
            {checking ? t('checking') : t('checkNow')}
          </button>
        </div>
      ) : null}
      {results ? (
        <section aria-live="polite">
          <h2>{t('checkResults')}</h2>
          <ul class="results">
            {results.map((r) => (
              <li key={r.Domain} class={r.LocalCheck === 1 ? 'ok' : 'not-yet'} data-domain={r.Domain}>
                <strong>{r.Domain}</strong> ({r.VerifyType}):{' '}
                {r.LocalCheck === 1 ? t('passed') : t('failed', { reason: r.LocalCheckFailReason || '—' })}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </main>
  );
}
