// The signed-in key for the pages: a context holding the credentials and a `call` bound to them and the language.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiResponse, Credentials } from './api.js';

export interface Session {
  creds: Credentials;
  call(action: string, params?: Record<string, unknown>): Promise<ApiResponse>;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** The message of anything a call threw, for a notice. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return 'code' in e ? `${e.message} (${String((e as { code: string }).code)})` : e.message;
  return String(e);
}
