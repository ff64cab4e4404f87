// The wire vocabulary: every error code tcssl can answer with, and its message in both languages.
// Codes are Tencent's own (API 3.0 common codes and the SSL API's codes); no business rule lives here.

export interface CodeText {
  en: string;
  zh: string;
}

export const ERROR_CODES = {
  // Common codes of API 3.0.
  ActionOffline: { en: 'The action has been taken offline.', zh: '接口已下线。' },
  'AuthFailure.InvalidAuthorization': {
    en: 'The Authorization header is invalid.',
    zh: '请求头部的 Authorization 不符合腾讯云标准。',
  },
  'AuthFailure.InvalidSecretId': { en: 'The SecretId is invalid.', zh: '密钥非法（不是云 API 密钥类型）。' },
  'AuthFailure.MFAFailure': { en: 'MFA verification failed.', zh: 'MFA 错误。' },
  'AuthFailure.SecretIdNotFound': {
    en: 'The SecretId does not exist or is disabled.',
    zh: '密钥不存在或已被禁用。',
  },
  'AuthFailure.SignatureExpire': {
    en: 'The signature has expired: the request Timestamp differs from server time by more than the allowed skew.',
    zh: '签名过期。Timestamp 和服务器时间相差不得超过五分钟。',
  },
  'AuthFailure.SignatureFailure': { en: 'The signature is incorrect.', zh: '签名错误。' },
  'AuthFailure.TokenFailure': { en: 'The token is missing, invalid or expired.', zh: 'token 错误。' },
  'AuthFailure.UnauthorizedOperation': {
    en: 'The request is not authorized by CAM.',
    zh: '请求未授权。',
  },
  DryRunOperation: { en: 'The DryRun operation would have succeeded.', zh: 'DryRun 操作成功。' },
  FailedOperation: { en: 'The operation failed.', zh: '操作失败。' },
  InternalError: { en: 'An internal error occurred.', zh: '内部错误。' },
  InvalidAction: { en: 'The action does not exist.', zh: '接口不存在。' },
  InvalidParameter: { en: 'A parameter is invalid.', zh: '参数错误。' },
  InvalidParameterValue: { en: 'A parameter value is invalid.', zh: '参数取值错误。' },
  InvalidRequest: { en: 'The request is malformed.', zh: '请求 body 的 multipart 格式错误。' },
  IpInBlacklist: { en: 'The IP address is in the blacklist.', zh: 'IP 地址在黑名单中。' },
  IpNotInWhitelist: { en: 'The IP address is not in the whitelist.', zh: 'IP 地址不在白名单中。' },
  LimitExceeded: { en: 'A quota limit is exceeded.', zh: '超过配额限制。' },
  MissingParameter: { en: 'A required parameter is missing.', zh: '缺少参数错误。' },
  NoSuchProduct: { en: 'The product does not exist.', zh: '产品不存在。' },
  NoSuchVersion: { en: 'The API version does not exist.', zh: '接口版本不存在。' },
  RequestLimitExceeded: { en: 'The request rate limit is exceeded.', zh: '请求的次数超过了频率限制。' },
  RequestSizeLimitExceeded: { en: 'The request is too large.', zh: '请求包超过限制大小。' },
  ResourceInUse: { en: 'The resource is in use.', zh: '资源被占用。' },
  ResourceInsufficient: { en: 'The resource is insufficient.', zh: '资源不足。' },
  ResourceNotFound: { en: 'The resource does not exist.', zh: '资源不存在。' },
  ResourceUnavailable: { en: 'The resource is unavailable.', zh: '资源不可用。' },
  ResponseSizeLimitExceeded: { en: 'The response is too large.', zh: '返回包超过限制大小。' },
  ServiceUnavailable: {
    en: 'The service is temporarily unavailable; retry later.',
    zh: '当前服务暂时不可用，请稍后重试。',
  },
  UnauthorizedOperation: { en: 'The operation is not authorized.', zh: '未授权操作。' },
  UnknownParameter: { en: 'An unknown parameter was sent.', zh: '未知参数错误。' },
  UnsupportedOperation: { en: 'The operation is not supported.', zh: '操作不支持。' },
  UnsupportedProtocol: {
    en: 'The protocol is not supported.',
    zh: 'http(s) 请求协议错误，只支持 GET 和 POST 请求。',
  },
  UnsupportedRegion: { en: 'The region is not supported.', zh: '接口不支持所传地域。' },

  // SSL business codes.
  'FailedOperation.AuthError': {
    en: 'You do not have permission to perform this operation.',
    zh: '没有权限执行此操作。',
  },
  'FailedOperation.CannotBeDeletedIssued': {
    en: 'An issued certificate cannot be deleted.',
    zh: '已签发的证书不能删除。',
  },
  'FailedOperation.CertificateCsrParseFailed': {
    en: 'The CSR could not be parsed.',
    zh: 'CSR 解析失败。',
  },
  'FailedOperation.CertificateExists': { en: 'The certificate already exists.', zh: '证书已存在。' },
  'FailedOperation.CertificateInvalid': { en: 'The certificate is invalid.', zh: '证书不符合要求。' },
  'FailedOperation.CertificateMismatch': {
    en: 'The certificate and the private key do not match.',
    zh: '证书与私钥对不匹配。',
  },
  'FailedOperation.CertificateNotFound': { en: 'The certificate does not exist.', zh: '证书不存在。' },
  'FailedOperation.CertificateNotFoundOrCantCancel': {
    en: 'The certificate does not exist or its order cannot be cancelled.',
    zh: '证书不存在或不可撤销。',
  },
  'FailedOperation.CertificateParseError': {
    en: 'The certificate could not be parsed.',
    zh: '证书解析失败。',
  },
  'FailedOperation.CertificateStatusNotAllowDownload': {
    en: 'The certificate status does not allow download.',
    zh: '当前证书状态不允许下载。',
  },
  'FailedOperation.CertificateStatusNotAllowVerify': {
    en: 'The certificate status does not allow domain verification.',
    zh: '当前证书状态不允许验证。',
  },
  'FailedOperation.ExceedsFreeLimit': {
    en: 'The number of free certificates exceeds the maximum value.',
    zh: '免费证书申请数量已达上限。',
  },
  'FailedOperation.InvalidCertificateStatusCode': {
    en: 'The certificate status is incorrect.',
    zh: '证书状态不正确。',
  },
  'FailedOperation.InvalidParam': { en: 'Incorrect parameters.', zh: '参数有误。' },
  'FailedOperation.NoProjectPermission': {
    en: 'You do not have the permission to operate on this project.',
    zh: '您没有该项目的操作权限。',
  },
  'FailedOperation.NoRealNameAuth': {
    en: 'You have not completed the identity verification.',
    zh: '您尚未完成实名认证。',
  },
} as const satisfies Record<string, CodeText>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
