// Every action tcssl answers, alphabetically, one line each: the registry the gateway dispatches on.

import { applyCertificate } from './apply-certificate.js';
import { cancelCertificateOrder } from './cancel-certificate-order.js';
import { checkCertificateChain } from './check-certificate-chain.js';
import { checkCertificateDomainVerification } from './check-certificate-domain-verification.js';
import { commitCertificateInformation } from './commit-certificate-information.js';
import { createCertificate } from './create-certificate.js';
import type { ActionDefinition } from './define-action.js';
import { deleteCertificate } from './delete-certificate.js';
import { describeCertificate } from './describe-certificate.js';
import { describeCertificateDetail } from './describe-certificate-detail.js';
import { describeCertificateOperateLogs } from './describe-certificate-operate-logs.js';
import { describeCertificates } from './describe-certificates.js';
import { downloadCertificate } from './download-certificate.js';
import { modifyCertificateAlias } from './modify-certificate-alias.js';
import { modifyCertificateProject } from './modify-certificate-project.js';
import { revokeCertificate } from './revoke-certificate.js';
import { submitCertificateInformation } from './submit-certificate-information.js';
import { uploadCertificate } from './upload-certificate.js';

const all: ActionDefinition[] = [
  applyCertificate,
  cancelCertificateOrder,
  checkCertificateChain,
  checkCertificateDomainVerification,
  commitCertificateInformation,
  createCertificate,
  deleteCertificate,
  describeCertificate,
  describeCertificateDetail,
  describeCertificateOperateLogs,
  describeCertificates,
  downloadCertificate,
  modifyCertificateAlias,
  modifyCertificateProject,
  revokeCertificate,
  submitCertificateInformation,
  uploadCertificate,
] as ActionDefinition[];

export const ACTIONS: ReadonlyMap<string, ActionDefinition> = new Map(all.map((a) => [a.name, a]));
