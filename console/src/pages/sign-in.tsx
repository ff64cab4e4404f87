// Sign-in: a SecretId/SecretKey pair, proven by one signed DescribeCertificates call before it is kept (in
// sessionStorage, for this tab only).

import { useState } from 'preact/hooks';
import { ApiError, type Credentials, callApi } from '../api.js';
import { Field, Notice, PageTitle } from '../components.js';
import { useLang } from '../i18n.js';

export function SignIn(props: { onSignedIn(creds: Credentials): void }) {
  const { t, lang } = useLang();
  const [secretId, setSecretId] = useState('');
  const [secretKey, setSecretKey] = useState('');
  const [errors, setErrors] = useState<{ secretId?: string; secretKey?: string }>({});
  const [failure, setFailure] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const next = {
      secretId: secretId.trim() ? undefined : t('required', { field: t('secretId') }),
      secretKey: secretKey.trim() ? undefined : t('required', { field: t('secretKey') }),
    };
    setErrors(next);
    setFailure('');
    if (next.secretId || next.secretKey) {
      document.getElementById(next.secretId ? 'secretId' : 'secretKey')?.focus();
      return;
    }
    const creds = { secretId: secretId.trim(), secretKey: secretKey.trim() };
    setBusy(true);
    try {
      await callApi(creds, 'DescribeCertificates', { Limit: 1 }, lang);
      props.onSignedIn(creds);
    } catch (err) {
      setFailure(err instanceof ApiError ? `${err.message} (${err.code})` : String((err as Error).message ?? err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="narrow">
      <PageTitle>{t('signInTitle')}</PageTitle>
      <p>{t('signInLead')}</p>
      {failure ? <Notice tone="error">{failure}</Notice> : null}
      <form onSubmit={submit} noValidate aria-labelledby="page-title">
        <Field
          id="secretId"
          label={t('secretId')}
          value={secretId}
          onInput={setSecretId}
          error={errors.secretId}
          required
          autoComplete="username"
        />
        <Field
          id="secretKey"
          label={t('secretKey')}
          value={secretKey}
          onInput={setSecretKey}
          error={errors.secretKey}
          type="password"
          required
          autoComplete="current-password"
        />
        <p class="hint">{t('keyNote')}</p>
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t('signingIn') : t('signIn')}
          </button>
        </div>
      </form>
    </main>
  );
}
