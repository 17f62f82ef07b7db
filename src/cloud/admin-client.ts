import { join } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import type { ExitCodeName } from '../cli/exit-codes.js';
import { PkiStore } from '../pki/pki-store.js';
import { malleePackage } from '../runtime/package-root.js';
import { SoapFaultError, SoapServiceClient } from '../soap/soap-client.js';
import type { CloudFile } from './cloud-file.js';
import { adminCertificateName } from './admin-names.js';

export { adminCertificateName, adminServicePath } from './admin-names.js';

export function adminWsdlFile(): string {
  return join(malleePackage().root, 'wsdl', 'admin.wsdl');
}

/** A client for the clc's admin SOAP interface, authenticated by the cloud's `admin` certificate. */
export function connectAdmin(cloud: CloudFile, operator = process.env.USER ?? 'cloudctl'): Promise<SoapServiceClient> {
  const tls = PkiStore.open(cloud.pkiDir).hostCredentials(adminCertificateName);
  return SoapServiceClient.connect(adminWsdlFile(), cloud.endpoints.admin, tls, operator);
}

export interface AdminAccount {
  accountId: string;
  accountName: string;
  status: string;
  createdAt: Date;
}

const faultKinds: Record<string, ExitCodeName> = {
  EntityAlreadyExists: 'conflict',
  DeleteConflict: 'conflict',
  LimitExceeded: 'conflict',
  NoSuchEntity: 'notFound',
  NoSuchProperty: 'notFound',
  ValidationError: 'usage',
  InvalidPropertyValue: 'usage',
};

/** What to do next, for the faults an operator meets most. */
const faultHints: Record<string, string> = {
  NoSuchProperty: 'See every property with `cloudctl properties list`.',
  InvalidPropertyValue: 'See its type and default with `cloudctl properties get NAME`.',
  DeleteConflict: 'Pass --force to delete what it still holds too.',
  LimitExceeded: 'Raise the quota with `cloudctl properties set`, or delete what is no longer needed.',
};

/** One admin call as cloudctl makes it: faults and unreachable endpoints become errors with a hint. */
export async function adminCall<T>(
  cloud: CloudFile,
  operation: string,
  input: Record<string, unknown> = {},
): Promise<T> {
  try {
    const client = await connectAdmin(cloud);
    return await client.call<T>(operation, input);
  } catch (error) {
    if (error instanceof SoapFaultError) {
      throw new CliError(
        faultKinds[error.code] ?? 'failure',
        `${error.code}: ${error.message}`,
        faultHints[error.code],
        {
          correlationId: error.correlationId,
        },
      );
    }
    if (error instanceof CliError) throw error;
    throw new CliError(
      'unhealthy',
      `Cannot reach the cloud controller's admin interface at ${cloud.endpoints.admin}: ${(error as Error).message}`,
      'Check it with `cloudctl local status` (or `cloudctl status`).',
    );
  }
}

/** SOAP gives a list of one as an object and a list of none as nothing. */
export function asList<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
