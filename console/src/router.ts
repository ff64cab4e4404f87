// A small history router under /console: pages are real URLs (the server falls back to index.html for them), links
// are real anchors, and every navigation moves focus to the new page's heading for keyboard and screen readers.

import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';
const EVENT = 'tcssl:navigate';

export function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return p === '' ? '/' : p;
}

export function navigate(path: string, replace = false): void {
  const url = `${BASE}${path}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(EVENT));
}

export function useRoute(): { path: string; query: URLSearchParams } {
  const read = () => ({ path: currentPath(), query: new URLSearchParams(location.search) });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return route;
}

/** Plain left clicks stay in the app; modified clicks (new tab, new window) keep the browser's behaviour. */
export function onLinkClick(e: MouseEvent, path: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(path);
}
