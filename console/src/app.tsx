// The console's shell: language, session, header with navigation and the language switch, and the page for the
// current path. Signed out, every page is the sign-in page.

import { useCallback, useMemo, useState } from 'preact/hooks';
import { type Credentials, callApi, clearCredentials, loadCredentials, saveCredentials } from './api.js';
import { Link, PageTitle } from './components.js';
import { detectLang, type Lang, LangContext, rememberLang, translator, useLang } from './i18n.js';
import { Buy } from './pages/buy.js';
import { Certificates } from './pages/certificates.js';
import { Detail } from './pages/detail.js';
import { SignIn } from './pages/sign-in.js';
import { Submit } from './pages/submit.js';
import { Validation } from './pages/validation.js';
import { navigate, useRoute } from './router.js';
import { type Session, SessionContext } from './session.js';

const CERT = /^\/certificates\/([A-Za-z0-9_-]{1,64})(\/submit|\/validation)?\/?$/;

function Page(props: { path: string }) {
  const { t } = useLang();
  const { path } = props;
  if (path === '/' || path === '/certificates' || path === '/certificates/') return <Certificates />;
  if (path === '/buy') return <Buy />;
  const m = CERT.exec(path);
  if (m) {
    if (m[2] === '/submit') return <Submit id={m[1]} key={m[1]} />;
    if (m[2] === '/validation') return <Validation id={m[1]} key={m[1]} />;
    return <Detail id={m[1]} key={m[1]} />;
  }
  return (
    <main id="main">
      <PageTitle>{t('notFound')}</PageTitle>
      <Link href="/certificates">{t('back')}</Link>
    </main>
  );
}

function Header(props: { session: Session | null }) {
  const { t, lang, setLang } = useLang();
  return (
    <header class="top">
      <a class="skip" href="#main">
        {t('skip')}
      </a>
      <span class="brand">{t('appName')}</span>
      {props.session ? (
        <nav aria-label={t('nav')}>
          <Link href="/certificates">{t('navCertificates')}</Link>
          <Link href="/buy">{t('navBuy')}</Link>
        </nav>
      ) : null}
      <div class="top-right">
        <label class="visually-hidden" for="lang-switch">
          {t('language')}
        </label>
        <select id="lang-switch" value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
          <option value="en" lang="en">
            English
          </option>
          <option value="zh" lang="zh-CN">
            中文
          </option>
        </select>
        {props.session ? (
          <button
            type="button"
            onClick={props.session.signOut}
            title={t('signedInAs', { id: props.session.creds.secretId })}
          >
            {t('signOut')}
          </button>
        ) : null}
      </div>
    </header>
  );
}

export function App() {
  const [lang, setLangState] = useState<Lang>(detectLang);
  const [creds, setCreds] = useState<Credentials | null>(loadCredentials);
  const { path } = useRoute();

  const setLang = useCallback((l: Lang) => {
    rememberLang(l);
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
    setLangState(l);
  }, []);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  const langValue = useMemo(() => ({ lang, t: translator(lang), setLang }), [lang, setLang]);

  const signOut = useCallback(() => {
    clearCredentials();
    setCreds(null);
    navigate('/', true);
  }, []);
  const call = useCallback(
    (action: string, params: Record<string, unknown> = {}) => {
      if (!creds) return Promise.reject(new Error('signed out'));
      return callApi(creds, action, params, lang);
    },
    [creds, lang],
  );
  const session = useMemo<Session | null>(() => (creds ? { creds, call, signOut } : null), [creds, call, signOut]);

  return (
    <LangContext.Provider value={langValue}>
      <Header session={session} />
      {session ? (
        <SessionContext.Provider value={session}>
          <Page path={path} key={path} />
        </SessionContext.Provider>
      ) : (
        <SignIn
          onSignedIn={(c) => {
            saveCredentials(c);
            setCreds(c);
            if (path === '/' || path === '/sign-in') navigate('/certificates', true);
          }}
        />
      )}
    </LangContext.Provider>
  );
}
