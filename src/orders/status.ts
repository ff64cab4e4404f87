// Tencent's certificate status codes, defined once. Bare numbers appear nowhere else.

export const Status = {
  Reviewing: 0,
  Issued: 1,
  ReviewFailed: 2,
  Expired: 3,
  DnsAdded: 4,
  PaidInfoPending: 5,
  Cancelling: 6,
  Cancelled: 7,
  ConfirmationLetterPending: 8,
  Revoking: 9,
  Revoked: 10,
  Reissuing: 11,
  RevocationLetterPending: 12,
  FreeInfoPending: 13,
  Refunded: 14,
  Migrating: 15,
} as const;

export type StatusCode = (typeof Status)[keyof typeof Status];

/** StatusName as the console and the API show it (DescribeCertificates' StatusName). */
export const STATUS_NAMES: Record<StatusCode, { zh: string; en: string }> = {
  0: { zh: '审核中', en: 'Reviewing' },
  1: { zh: '已通过', en: 'Issued' },
  2: { zh: '审核失败', en: 'Review failed' },
  3: { zh: '已过期', en: 'Expired' },
  4: { zh: '已添加DNS记录', en: 'DNS record added' },
  5: { zh: '企业证书，待提交', en: 'Information to submit' },
  6: { zh: '订单取消中', en: 'Order being cancelled' },
  7: { zh: '已取消', en: 'Cancelled' },
  8: { zh: '已提交资料，待上传确认函', en: 'Confirmation letter to upload' },
  9: { zh: '证书吊销中', en: 'Being revoked' },
  10: { zh: '已吊销', en: 'Revoked' },
  11: { zh: '重颁发中', en: 'Being reissued' },
  12: { zh: '待上传吊销确认函', en: 'Revocation letter to upload' },
  13: { zh: '免费证书待提交资料', en: 'Free certificate, information to submit' },
  14: { zh: '已退款', en: 'Refunded' },
  15: { zh: '证书迁移中', en: 'Migrating' },
};

export const ALL_STATUSES = Object.values(Status) as StatusCode[];

export function isStatusCode(n: number): n is StatusCode {
  return Number.isInteger(n) && n >= 0 && n <= 15;
}

/** Orders that still wait for the customer's information. */
export const WAITING_FOR_INFORMATION: ReadonlySet<number> = new Set([Status.PaidInfoPending, Status.FreeInfoPending]);

/** Orders that CancelCertificateOrder accepts: nothing has been issued yet. */
export const CANCELLABLE_STATUSES: readonly StatusCode[] = [
  Status.PaidInfoPending,
  Status.FreeInfoPending,
  Status.Reviewing,
  Status.DnsAdded,
  Status.ReviewFailed,
  Status.ConfirmationLetterPending,
];

/**
 * Certificates that DeleteCertificate accepts (uploaded ones aside): finished one way or another, or never started
 * (free, unsubmitted).
 */
export const DELETABLE_STATUSES: readonly StatusCode[] = [
  Status.ReviewFailed,
  Status.Expired,
  Status.Cancelled,
  Status.Revoked,
  Status.FreeInfoPending,
  Status.Refunded,
];
