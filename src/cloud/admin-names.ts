/**
 * The admin interface's names, apart from its SOAP client: the installer needs them on every run, and loading the
 * client (and its SOAP library) for two strings would slow each `faststart install` start by a second under load.
 */

/** The certificate (in the cloud's PKI) that cloudctl presents on the admin interface. */
export const adminCertificateName = 'admin';
/** Where the clc serves the admin interface. */
export const adminServicePath = '/services/admin';
