// The seed's example request (shared/seed: the SubmitCertificateInformation page), exactly as the page gives it.

export const SEED_EXAMPLE = {
  CertificateId: 'abcb1234',
  CsrType: 'online',
  CertificateDomain: '*.test-dq342da.com',
  OrganizationName: 'Tencent',
  OrganizationDivision: 'Qcloud',
  OrganizationAddress: 'Tencent Building, No.10000 Shennan Avenue, Nanshan District',
  OrganizationCountry: 'CN',
  OrganizationCity: 'Shenzhen',
  OrganizationRegion: 'Guangdong',
  PhoneAreaCode: '0755',
  PhoneNumber: '86013388',
  AdminFirstName: 'test',
  AdminLastName: 'test',
  AdminPhoneNum: '12345678901',
  AdminEmail: 'test@tencent.com',
  AdminPosition: 'developer',
  ContactFirstName: 'test',
  ContactLastName: 'test',
  ContactEmail: 'test@tencent.com',
  ContactNumber: '12345678901',
  ContactPosition: 'developer',
};

/** The organisation, administrator and contact part of the example: what an OV/EV order needs. */
export const SEED_ORGANISATION = (() => {
  const { CertificateId: _id, CsrType: _type, CertificateDomain: _domain, ...rest } = SEED_EXAMPLE;
  return rest;
})();
