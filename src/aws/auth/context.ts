import type { SigningKeyCache } from './signing-key-cache.js';
import type { Credential, CredentialLookup, ServiceProfile, SignedRequest } from './types.js';

/** Everything one verification needs; built per request by the verifier. */
export interface VerifyContext<P> {
  request: SignedRequest;
  now: Date;
  profile: ServiceProfile;
  /** Regions a SigV4 scope may name; `undefined` accepts any. */
  regions: readonly string[] | undefined;
  credentials: CredentialLookup<P>;
  signingKeys: SigningKeyCache;
}

/** The verifier's clock window for signed timestamps, either side of now. */
export const CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Looks a key up, or throws the dialect's unknown-key error. */
export async function requireCredential<P>(
  context: VerifyContext<P>,
  accessKeyId: string,
  unknown: (accessKeyId: string) => Error,
): Promise<Credential<P>> {
  const credential = await context.credentials.lookup(accessKeyId);
  if (!credential) throw unknown(accessKeyId);
  return credential;
}
