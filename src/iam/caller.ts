// Who is calling: the identity the gateway establishes from a verified key, handed to every handler.
// Plain data; evaluation of what it may do lives in policy.ts.

export interface PolicyStatement {
  effect: 'allow' | 'deny';
  /** 'ssl:SubmitCertificateInformation', 'ssl:Describe*' or 'ssl:*' (and '*') */
  actions: string[];
  /** project ids the statement covers; null means every project */
  projects: number[] | null;
}

export interface Caller {
  /** the owning account (main account) */
  uin: string;
  appId: number;
  /** null when the root account itself calls */
  subUin: string | null;
  secretId: string;
  realNameVerified: boolean;
  /** a sub-user's policies; ignored for the root account, which may do everything */
  policies: PolicyStatement[];
}

/** The uin that acted: the sub-user's when a sub-user calls. */
export function actorOf(caller: Caller): string {
  return caller.subUin ?? caller.uin;
}
