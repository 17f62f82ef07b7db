/**
 * Who sent an AWS request: SigV4 (Authorization header or presigned), SigV2 (EC2 and Query) and S3's legacy
 * signatures, verified against an injected credential lookup, refused with the error code the real service gives.
 *
 *   const verifier = createRequestVerifier({ credentials, profile: serviceProfiles.ec2 });
 *   const caller = await verifier.verify(fromIncomingMessage(req, body)); // throws AuthError (a ServiceError)
 */
export { AuthError, type SigV4Location } from './auth-errors.js';
export { serviceProfiles } from './profiles.js';
export { fromIncomingMessage } from './node-request.js';
export {
  createRequestVerifier,
  hasAuthentication,
  type RequestVerifier,
  type RequestVerifierOptions,
} from './verifier.js';
export { PAYLOAD_MARKERS } from './sigv4.js';
export type {
  Authenticated,
  AuthMethod,
  Credential,
  CredentialLookup,
  ErrorDialect,
  ServiceProfile,
  SignedRequest,
} from './types.js';
