/**
 * A request as it arrived, before any framework decoded it: the verifier needs the bytes the client signed, so the
 * path and query stay raw (percent-encoded exactly as on the wire).
 */
export interface SignedRequest {
  /** HTTP method, e.g. `GET`. */
  method: string;
  /** Raw path as on the wire, before percent-decoding, e.g. `/my%20bucket/a+b`. */
  path: string;
  /** Raw query string without the leading `?` (empty when there is none). */
  query: string;
  /**
   * Header names lower-cased. Pass repeated headers as arrays (Node's `req.headersDistinct`): SigV4 joins repeated
   * values with `,`, which a header already joined with `, ` (Node's `req.headers`) no longer matches.
   */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * The body when it is in memory. Non-S3 services must pass it: SigV4 signs its SHA-256, and form-encoded Query/EC2
   * bodies may carry the SigV2 or presigned SigV4 parameters. S3 usually streams its body and passes none.
   */
  body?: Buffer | string;
  /** Hex SHA-256 of the body when the caller already computed it; used instead of hashing `body`. */
  payloadHash?: string;
  /**
   * The bucket named by the Host header of a virtual-hosted S3 request: S3's legacy (v2) signatures sign the path
   * with the bucket in front of it.
   */
  virtualHostBucket?: string;
}

/** What the verifier needs to know about an access key. */
export interface Credential<P> {
  secretAccessKey: string;
  /** Whoever owns the key, in the caller's terms; handed back untouched on success. */
  principal: P;
}

/** Finds the secret of an access key; `undefined` when the key is unknown (or disabled). */
export interface CredentialLookup<P> {
  lookup(accessKeyId: string): Promise<Credential<P> | undefined>;
}

/** Which dialect of errors a service answers with: EC2's, the Query services' (IAM, STS) or S3's. */
export type ErrorDialect = 'ec2' | 'query' | 's3';

/** The service an endpoint verifies for. */
export interface ServiceProfile {
  dialect: ErrorDialect;
  /** SigV4 service names accepted in the credential scope (`ec2`, `iam`, `sts`, `s3`). */
  signingNames: readonly string[];
}

export type AuthMethod = 'sigv4-header' | 'sigv4-query' | 'sigv2' | 's3-v2-header' | 's3-v2-query';

/** Who sent a request, and what their signature covered. */
export interface Authenticated<P> {
  principal: P;
  accessKeyId: string;
  method: AuthMethod;
  /** Region of the SigV4 credential scope. */
  region?: string;
  /** Service name of the SigV4 credential scope: lets one endpoint serving IAM and STS tell them apart. */
  service?: string;
  /**
   * What the signature says about the body: its hex SHA-256, or the marker the client sent in
   * `x-amz-content-sha256` (`UNSIGNED-PAYLOAD`, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` ...), which the caller must then
   * honour (decode and verify the chunks, or check the hash while streaming). `UNSIGNED-PAYLOAD` for the legacy
   * signatures: SigV2 signs the decoded parameters and S3's v2 signs `Content-MD5` at most, never the body bytes.
   */
  signedPayload: string;
  /** SigV4 only: `X-Amz-Date` of the request (`YYYYMMDDTHHMMSSZ`), the timestamp every chunk signature repeats. */
  requestTime?: string;
  /** SigV4 only: the credential scope (`20150830/us-east-1/s3/aws4_request`). */
  scope?: string;
  /** SigV4 only: the derived signing key, for verifying the chunks of a streaming upload. */
  signingKey?: Buffer;
  /** SigV4 only: the request's own signature, the seed the first chunk signature chains from. */
  seedSignature?: string;
}
