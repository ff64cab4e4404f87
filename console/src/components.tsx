// Small accessible building blocks shared by the pages: labelled fields with their error, status badges, copy
// buttons, a confirmation dialog (the native <dialog>: focus kept inside, Escape closes), and page headings that take
// focus after a navigation.

import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { STATUS_NAMES, type StatusCode } from '../../src/orders/status.js';
import { useLang } from './i18n.js';
import { onLinkClick } from './router.js';

export function Link(props: { href: string; class?: string; children: ComponentChildren; 'aria-label'?: string }) {
  return (
    <a
      href={`/console${props.href}`}
      class={props.class}
      aria-label={props['aria-label']}
      onClick={(e) => onLinkClick(e, props.href)}
    >
      {props.children}
    </a>
  );
}

/** The page's h1, focused when the page opens so keyboard and screen-reader users start there. */
export function PageTitle(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} id="page-title">
      {props.children}
    </h1>
  );
}

export interface FieldProps {
  id: string;
  label: string;
  value: string;
  onInput(value: string): void;
  error?: string;
  hint?: string;
  type?: string;
  required?: boolean;
  optional?: boolean;
  multiline?: boolean;
  autoComplete?: string;
  inputMode?: JSX.HTMLAttributes['inputMode'];
  placeholder?: string;
  onBlur?(): void;
}

/** A labelled input whose hint and error are tied to it with aria-describedby; the error is announced politely. */
export function Field(p: FieldProps) {
  const { t } = useLang();
  const described = [p.hint ? `${p.id}-hint` : '', p.error ? `${p.id}-error` : ''].filter(Boolean).join(' ');
  const common = {
    id: p.id,
    name: p.id,
    value: p.value,
    'aria-invalid': p.error ? true : undefined,
    'aria-describedby': described || undefined,
    'aria-required': p.required || undefined,
    onInput: (e: Event) => p.onInput((e.currentTarget as HTMLInputElement).value),
    onBlur: p.onBlur,
    placeholder: p.placeholder,
  };
  return (
    <div class={`field${p.error ? ' has-error' : ''}`}>
      <label for={p.id}>
        {p.label}
        {p.optional ? <span class="muted"> {t('optional')}</span> : null}
      </label>
      {p.multiline ? (
        <textarea {...common} rows={8} spellcheck={false} />
      ) : (
        <input {...common} type={p.type ?? 'text'} autoComplete={p.autoComplete ?? 'off'} inputMode={p.inputMode} />
      )}
      {p.hint ? (
        <p class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      ) : null}
      <p class="error" id={`${p.id}-error`} aria-live="polite" hidden={!p.error}>
        {p.error}
      </p>
    </div>
  );
}

const GOOD: ReadonlySet<number> = new Set([1]);
const BAD: ReadonlySet<number> = new Set([2, 3, 6, 7, 9, 10, 12, 14]);

export function StatusBadge(props: { status: number }) {
  const { lang } = useLang();
  const name = STATUS_NAMES[props.status as StatusCode]?.[lang] ?? String(props.status);
  const tone = GOOD.has(props.status) ? 'good' : BAD.has(props.status) ? 'bad' : 'pending';
  return (
    <span class={`badge badge-${tone}`} data-status={props.status}>
      {name}
    </span>
  );
}

export function statusName(status: number, lang: 'en' | 'zh'): string {
  return STATUS_NAMES[status as StatusCode]?.[lang] ?? String(status);
}

export function CopyButton(props: { value: string; what: string }) {
  const { t } = useLang();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <button type="button" class="small" onClick={copy} aria-label={t('copyNamed', { what: props.what })}>
      <span aria-live="polite">{copied ? t('copied') : t('copy')}</span>
    </button>
  );
}

export function Notice(props: { tone: 'error' | 'ok' | 'info'; children: ComponentChildren; id?: string }) {
  return (
    <div
      class={`notice notice-${props.tone}`}
      role={props.tone === 'error' ? 'alert' : 'status'}
      id={props.id}
      tabIndex={-1}
    >
      {props.children}
    </div>
  );
}

export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  message: string;
  withReason?: boolean;
  busy?: boolean;
  onConfirm(reason: string): void;
  onClose(): void;
}) {
  const { t } = useLang();
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onClose={props.onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          props.onConfirm(reason);
        }}
      >
        <h2 id="confirm-title">{props.title}</h2>
        <p>{props.message}</p>
        {props.withReason ? (
          <div class="field">
            <label for="confirm-reason">{t('reason')}</label>
            <textarea id="confirm-reason" rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </div>
        ) : null}
        <div class="buttons">
          <button type="button" onClick={props.onClose}>
            {t('close')}
          </button>
          <button type="submit" class="danger" disabled={props.busy}>
            {t('confirm')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
