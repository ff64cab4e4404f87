// CAM-style policy evaluation: one function answers "may this caller do this action on this project".
// An explicit deny wins over any allow; without a matching allow the answer is no; the root account may do
// everything. Knows nothing of HTTP or storage.

import type { Caller, PolicyStatement } from './caller.js';

export type Decision = 'allow' | 'deny-action' | 'deny-project';

/** `ssl:Describe*` matches `ssl:DescribeCertificates`; `*` and `ssl:*` match every ssl action. Case-sensitive
 * on the action name, as CAM is; the service prefix is case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  const [pService, pName] = splitAction(pattern);
  const [aService, aName] = splitAction(action);
  if (pService.toLowerCase() !== aService.toLowerCase()) return false;
  if (pName.endsWith('*')) return aName.startsWith(pName.slice(0, -1));
  return pName === aName;
}

function splitAction(s: string): [string, string] {
  const i = s.indexOf(':');
  return i < 0 ? ['', s] : [s.slice(0, i), s.slice(i + 1)];
}

function coversProject(st: PolicyStatement, projectId: number): boolean {
  return st.projects === null || st.projects.includes(projectId);
}

/**
 * The truth table:
 * - root: allow.
 * - a deny statement matching the action on every project, or on the given project: deny.
 * - no allow statement matching the action: deny-action.
 * - projectId given and no matching allow statement covers it: deny-project.
 * - otherwise allow. Without a projectId only the action is judged (the pre-check before a handler runs).
 */
export function evaluate(caller: Caller, action: string, projectId?: number): Decision {
  if (caller.subUin === null) return 'allow';
  const matching = caller.policies.filter((st) => st.actions.some((p) => actionMatches(p, action)));
  const denies = matching.filter((st) => st.effect === 'deny');
  if (denies.some((st) => st.projects === null)) return 'deny-action';
  const allows = matching.filter((st) => st.effect === 'allow');
  if (allows.length === 0) return 'deny-action';
  if (projectId === undefined) return 'allow';
  if (denies.some((st) => coversProject(st, projectId))) return 'deny-project';
  return allows.some((st) => coversProject(st, projectId)) ? 'allow' : 'deny-project';
}

/** Which projects a list action may show: `only` null means every project, minus the `except` ids. */
export interface ProjectScope {
  only: number[] | null;
  except: number[];
}

export function projectScope(caller: Caller, action: string): ProjectScope {
  if (caller.subUin === null) return { only: null, except: [] };
  const matching = caller.policies.filter((st) => st.actions.some((p) => actionMatches(p, action)));
  const denies = matching.filter((st) => st.effect === 'deny');
  if (denies.some((st) => st.projects === null)) return { only: [], except: [] };
  const except = [...new Set(denies.flatMap((st) => st.projects ?? []))].sort((a, b) => a - b);
  const allows = matching.filter((st) => st.effect === 'allow');
  if (allows.some((st) => st.projects === null)) return { only: null, except };
  const only = [...new Set(allows.flatMap((st) => st.projects ?? []))].filter((id) => !except.includes(id));
  return { only: only.sort((a, b) => a - b), except: [] };
}
