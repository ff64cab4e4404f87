// Submit information, the seed's form: CSR made online or pasted (with a preview of what it asks for), the domains
// (a list with add/remove for multi-domain products), organisation, administrator and contact, and the validation
// method. Every field is checked as it is typed with the server's own rules and words (rules.ts); an error the
// server answers is shown next to the field it names. Then CommitCertificateInformation starts validation.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { missingForLevel } from '../../../src/orders/contact-rules.js';
import { findProduct, freeProduct, type Product } from '../../../src/orders/products.js';
import { VERIFY_TYPES, type VerifyType } from '../../../src/orders/submit-rules.js';
import { ApiError, type ApiResponse } from '../api.js';
import { Field, Link, Notice, PageTitle, statusName } from '../components.js';
import { readCsr } from '../csr.js';
import { fieldsOfMessage } from '../field-errors.js';
import { type MessageKey, useLang } from '../i18n.js';
import { navigate } from '../router.js';
import {
  domainProblem,
  domainSetProblem,
  infoFieldProblem,
  keyPasswordProblem,
  ORDER_INFO_FIELDS,
  serverWording,
} from '../rules.js';
import { messageOf, useSession } from '../session.js';
import { productLabel } from './buy.js';

const SECTIONS: Array<{ legend: MessageKey; prefix: string; fields: string[] }> = [
  { legend: 'orgSection', prefix: 'Organization', fields: ORDER_INFO_FIELDS.slice(0, 9).map((f) => f.wire) },
  { legend: 'adminSection', prefix: 'Admin', fields: ORDER_INFO_FIELDS.slice(9, 14).map((f) => f.wire) },
  { legend: 'contactSection', prefix: 'Contact', fields: ORDER_INFO_FIELDS.slice(14).map((f) => f.wire) },
];
const INPUT_MODES: Record<string, 'tel' | 'email' | 'numeric' | undefined> = {
  PhoneAreaCode: 'numeric',
  PhoneNumber: 'tel',
  AdminPhoneNum: 'tel',
  ContactNumber: 'tel',
  AdminEmail: 'email',
  ContactEmail: 'email',
};
const AUTOCOMPLETE: Record<string, string> = {
  OrganizationName: 'organization',
  OrganizationAddress: 'street-address',
  OrganizationCountry: 'country',
  OrganizationCity: 'address-level2',
  OrganizationRegion: 'address-level1',
  PostalCode: 'postal-code',
  AdminEmail: 'email',
  ContactEmail: 'email',
};
const FORM_FIELDS = [
  'CsrType',
  'CsrContent',
  'KeyPassword',
  'CertificateDomain',
  'DomainList',
  'VerifyType',
  ...ORDER_INFO_FIELDS.map((f) => f.wire),
];
const MULTI = new Set(['multi', 'wildcard-multi']);

type Errors = Record<string, string | undefined>;

function productOf(detail: ApiResponse): Product | undefined {
  const id = Number(detail.PackageType);
  return findProduct(id) ?? (id === freeProduct.id || id === 2 ? freeProduct : undefined);
}

export function Submit(props: { id: string }) {
  const { t, lang } = useLang();
  const { call } = useSession();
  const [detail, setDetail] = useState<ApiResponse | null>(null);
  const [loadError, setLoadError] = useState('');
  const [csrType, setCsrType] = useState<'online' | 'parse'>('online');
  const [csrContent, setCsrContent] = useState('');
  const [keyPassword, setKeyPassword] = useState('');
  const [primary, setPrimary] = useState('');
  const [list, setList] = useState<string[]>([]);
  const [info, setInfo] = useState<Record<string, string>>({});
  const [verifyType, setVerifyType] = useState<VerifyType>('DNS');
  const [errors, setErrors] = useState<Errors>({});
  const [notice, setNotice] = useState<{ tone: 'error' | 'ok'; text: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  // The form is filled from what was submitted before once; a reload (a language switch) keeps what is typed.
  const prefilled = useRef(false);

  useEffect(() => {
    call('DescribeCertificateDetail', { CertificateId: props.id })
      .then((d) => {
        setDetail(d);
        const s = d.SubmittedData as ApiResponse | null;
        if (!s || prefilled.current) return;
        prefilled.current = true;
        setCsrType(s.CsrType === 'parse' ? 'parse' : 'online');
        if (s.CsrType === 'parse') setCsrContent(s.CsrContent ?? '');
        setPrimary(s.CertificateDomain ?? '');
        setList(s.DomainList ?? []);
        setInfo(Object.fromEntries(ORDER_INFO_FIELDS.map((f) => [f.wire, String(s[f.wire] ?? '')])));
        if (VERIFY_TYPES.includes(s.VerifyType)) setVerifyType(s.VerifyType);
      })
      .catch((e) => setLoadError(messageOf(e)));
  }, [props.id, call]);

  if (loadError) return <Page id={props.id} notice={<Notice tone="error">{loadError}</Notice>} />;
  if (!detail) return <Page id={props.id} notice={<p aria-busy="true">{t('loading')}</p>} />;
  const product = productOf(detail);
  if (!(detail.Status === 5 || detail.Status === 13) || !product) {
    return (
      <Page
        id={props.id}
        notice={
          <Notice tone="info">
            {t('notWaiting', { status: statusName(detail.Status, lang) })}{' '}
            <Link href={`/certificates/${props.id}`}>{t('details')}</Link>
          </Notice>
        }
      />
    );
  }
  const multi = MULTI.has(product.kind);
  const domainNum = Number(detail.CertificateExtra?.DomainNumber ?? 1) || 1;
  const required = new Set(missingForLevel(product.level, {}, false));
  const words = (m: string | undefined) => (m === undefined ? undefined : serverWording(m, lang));

  /** Edits clear the server's error on that field and re-run the client check. */
  const edit = (field: string, problem: string | undefined) => {
    setSaved(false);
    setErrors((prev) => ({ ...prev, [field]: words(problem) }));
  };
  const setInfoField = (wire: string, value: string) => {
    setInfo({ ...info, [wire]: value });
    edit(wire, infoFieldProblem(wire, value));
  };
  const setListAt = (k: number, value: string) => {
    const next = list.map((d, j) => (j === k ? value : d));
    setList(next);
    edit(`DomainList-${k}`, domainProblem(value, 'DomainList'));
    setErrors((prev) => ({ ...prev, DomainList: undefined }));
  };

  const clientErrors = (): Errors => {
    const out: Errors = {};
    for (const f of ORDER_INFO_FIELDS) out[f.wire] = words(infoFieldProblem(f.wire, info[f.wire] ?? ''));
    out.KeyPassword = words(keyPasswordProblem(keyPassword));
    if (csrType === 'parse' && csrContent.trim() === '') {
      out.CsrContent = words('CsrContent is required when CsrType is parse');
    }
    out.CertificateDomain = words(domainProblem(primary, 'CertificateDomain'));
    list.forEach((d, k) => {
      out[`DomainList-${k}`] = words(domainProblem(d, 'DomainList'));
    });
    const anyDomainError = Object.entries(out).some(
      ([k, v]) => v && (k.startsWith('Domain') || k === 'CertificateDomain'),
    );
    if (!anyDomainError && !(csrType === 'parse' && primary.trim() === '' && list.length === 0)) {
      const set = domainSetProblem({ primary, list, kind: product.kind, domainNum });
      if (set) out[set.field] = words(set.message);
    }
    return out;
  };

  const focusFirst = (errs: Errors) => {
    const order = [
      'CsrContent',
      'KeyPassword',
      'CertificateDomain',
      'DomainList',
      ...list.map((_, k) => `DomainList-${k}`),
    ];
    const first = [...order, ...ORDER_INFO_FIELDS.map((f) => f.wire), 'VerifyType'].find((f) => errs[f]);
    const target = first === 'DomainList' ? (list.length ? 'DomainList-0' : 'add-domain') : first;
    if (target) document.getElementById(target)?.focus();
  };

  const showServerError = (e: unknown) => {
    if (e instanceof ApiError) {
      const fields = fieldsOfMessage(e.message, FORM_FIELDS);
      if (fields.length > 0) {
        const next: Errors = { ...errors };
        for (const f of fields) next[f] = e.message;
        setErrors(next);
        setNotice({ tone: 'error', text: `${e.code}: ${t('fixErrors', { n: fields.length })}` });
        setTimeout(() => focusFirst(next), 0);
        return;
      }
    }
    setNotice({ tone: 'error', text: messageOf(e) });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setNotice(null);
    const errs = clientErrors();
    const count = Object.values(errs).filter(Boolean).length;
    setErrors(errs);
    if (count > 0) {
      setNotice({ tone: 'error', text: t('fixErrors', { n: count }) });
      focusFirst(errs);
      return;
    }
    const params: Record<string, unknown> = { CertificateId: props.id, CsrType: csrType, VerifyType: verifyType };
    if (csrType === 'parse') params.CsrContent = csrContent.trim();
    if (primary.trim()) params.CertificateDomain = primary.trim();
    const domains = list.map((d) => d.trim()).filter(Boolean);
    if (domains.length) params.DomainList = domains;
    if (keyPassword) params.KeyPassword = keyPassword;
    for (const f of ORDER_INFO_FIELDS) if (info[f.wire]?.trim()) params[f.wire] = info[f.wire].trim();
    setBusy(true);
    try {
      await call('SubmitCertificateInformation', params);
      setSaved(true);
      setNotice({ tone: 'ok', text: t('saved') });
      setTimeout(() => document.getElementById('commit')?.focus(), 0);
    } catch (err) {
      showServerError(err);
    } finally {
      setBusy(false);
    }
  };

  const commit = async () => {
    setBusy(true);
    setNotice(null);
    try {
      await call('CommitCertificateInformation', { CertificateId: props.id, VerifyType: verifyType });
      navigate(`/certificates/${props.id}/validation`);
    } catch (err) {
      setSaved(false);
      showServerError(err);
      setBusy(false);
    }
  };

  const parsed = csrType === 'parse' && csrContent.trim() ? readCsr(csrContent) : null;
  const infoLabel = (wire: string) => t(wire as MessageKey);

  return (
    <main id="main">
      <PageTitle>{t('submitTitle')}</PageTitle>
      <p class="muted">{t('orderOf', { id: props.id, product: productLabel(product, lang) })}</p>
      {notice ? (
        <Notice tone={notice.tone} id="form-notice">
          {notice.text}
        </Notice>
      ) : null}
      <form onSubmit={submit} noValidate class="submit-form">
        <fieldset>
          <legend>{t('csrSection')}</legend>
          <div class="radios" role="radiogroup" aria-label={t('csrType')}>
            {(['online', 'parse'] as const).map((v) => (
              <label key={v}>
                <input
                  type="radio"
                  name="CsrType"
                  value={v}
                  checked={csrType === v}
                  onChange={() => {
                    setCsrType(v);
                    edit('CsrContent', undefined);
                  }}
                />{' '}
                {v === 'online' ? t('csrOnline') : t('csrParse')}
              </label>
            ))}
          </div>
          {csrType === 'parse' ? (
            <>
              <Field
                id="CsrContent"
                label={t('csrContent')}
                value={csrContent}
                multiline
                hint={t('csrHint')}
                error={errors.CsrContent}
                onInput={(v) => {
                  setCsrContent(v);
                  edit('CsrContent', undefined);
                }}
              />
              {parsed ? (
                'error' in parsed ? (
                  <Notice tone="error">{t('csrUnreadable', { reason: parsed.error })}</Notice>
                ) : (
                  <section class="csr-preview" aria-label={t('csrParsed')}>
                    <h3>{t('csrParsed')}</h3>
                    <dl class="facts">
                      <dt>{t('csrCommonName')}</dt>
                      <dd data-csr="cn">{parsed.commonName ?? t('none')}</dd>
                      <dt>{t('csrSans')}</dt>
                      <dd data-csr="sans">{parsed.dnsNames.length ? parsed.dnsNames.join(', ') : t('none')}</dd>
                      <dt>{t('csrKey')}</dt>
                      <dd data-csr="key">{parsed.key}</dd>
                      <dt>{t('csrSignature')}</dt>
                      <dd>{parsed.signatureAlgorithm}</dd>
                    </dl>
                    <p class="hint">{t('csrVerifiedOnSubmit')}</p>
                  </section>
                )
              ) : null}
            </>
          ) : (
            <Field
              id="KeyPassword"
              label={t('keyPassword')}
              value={keyPassword}
              type="password"
              autoComplete="new-password"
              hint={t('keyPasswordHint')}
              error={errors.KeyPassword}
              onInput={(v) => {
                setKeyPassword(v);
                edit('KeyPassword', keyPasswordProblem(v));
              }}
            />
          )}
        </fieldset>

        <fieldset>
          <legend>{t('domainsSection')}</legend>
          <Field
            id="CertificateDomain"
            label={t('certificateDomain')}
            value={primary}
            required={csrType === 'online'}
            error={errors.CertificateDomain}
            placeholder={product.kind.startsWith('wildcard') ? '*.example.com' : 'www.example.com'}
            onInput={(v) => {
              setPrimary(v);
              edit('CertificateDomain', domainProblem(v, 'CertificateDomain'));
              setErrors((prev) => ({ ...prev, DomainList: undefined }));
            }}
          />
          {multi ? (
            <fieldset class="domain-list">
              <legend id="domain-list-label" class="label">
                {t('domainList')}{' '}
                <span class="muted">{t('domainsLeft', { used: 1 + list.length, max: domainNum })}</span>
              </legend>
              {list.map((d, k) => (
                <div class="domain-row" key={k}>
                  <Field
                    id={`DomainList-${k}`}
                    label={t('domainN', { n: k + 2 })}
                    value={d}
                    error={errors[`DomainList-${k}`]}
                    onInput={(v) => setListAt(k, v)}
                  />
                  <button
                    type="button"
                    class="small"
                    aria-label={t('removeDomain', { n: k + 2 })}
                    onClick={() => {
                      setList(list.filter((_, j) => j !== k));
                      setErrors((prev) => ({ ...prev, DomainList: undefined, [`DomainList-${k}`]: undefined }));
                    }}
                  >
                    ×
                  </button>
                </div>
              ))}
              <p class="error" id="DomainList-error" aria-live="polite" hidden={!errors.DomainList}>
                {errors.DomainList}
              </p>
              <button
                type="button"
                id="add-domain"
                disabled={1 + list.length >= domainNum}
                onClick={() => {
                  setList([...list, '']);
                  setTimeout(() => document.getElementById(`DomainList-${list.length}`)?.focus(), 0);
                }}
              >
                {t('addDomain')}
              </button>
            </fieldset>
          ) : (
            <p class="error" id="DomainList-error" aria-live="polite" hidden={!errors.DomainList}>
              {errors.DomainList}
            </p>
          )}
        </fieldset>

        {SECTIONS.map((s) => (
          <fieldset key={s.legend}>
            <legend>{t(s.legend)}</legend>
            <div class="grid">
              {s.fields.map((wire) => (
                <Field
                  key={wire}
                  id={wire}
                  label={infoLabel(wire)}
                  value={info[wire] ?? ''}
                  required={required.has(wire)}
                  optional={!required.has(wire)}
                  error={errors[wire]}
                  inputMode={INPUT_MODES[wire]}
                  autoComplete={AUTOCOMPLETE[wire]}
                  type={wire.endsWith('Email') ? 'email' : 'text'}
                  onInput={(v) => setInfoField(wire, v)}
                />
              ))}
            </div>
          </fieldset>
        ))}

        <fieldset>
          <legend>{t('verifySection')}</legend>
          <div class="radios" role="radiogroup" aria-label={t('verifyType')} id="VerifyType">
            {VERIFY_TYPES.map((v) => (
              <label key={v}>
                <input
                  type="radio"
                  name="VerifyType"
                  value={v}
                  checked={verifyType === v}
                  onChange={() => {
                    setVerifyType(v);
                    edit('VerifyType', undefined);
                  }}
                />{' '}
                {t(`verify_${v}` as MessageKey)}
              </label>
            ))}
          </div>
          <p class="error" id="VerifyType-error" aria-live="polite" hidden={!errors.VerifyType}>
            {errors.VerifyType}
          </p>
        </fieldset>

        <div class="buttons sticky">
          <button type="submit" class={saved ? '' : 'primary'} disabled={busy}>
            {busy && !saved ? t('saving') : t('save')}
          </button>
          {saved ? (
            <button type="button" id="commit" class="primary" disabled={busy} onClick={commit}>
              {busy ? t('committing') : t('commit')}
            </button>
          ) : null}
        </div>
      </form>
    </main>
  );
}

function Page(props: { id: string; notice: ComponentChildren }) {
  const { t } = useLang();
  return (
    <main id="main">
      <PageTitle>{t('submitTitle')}</PageTitle>
      <p class="muted">{props.id}</p>
      {props.notice}
    </main>
  );
}
