import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';

/** The component at the other end of an mTLS connection, as its certificate names it. */
export interface CloudPeer {
  commonName: string;
  serialNumber: string;
  fingerprint256: string;
  validTo: string;
}

/** Why a request did not prove it comes from a component of this cloud; `undefined` when it did. */
export function peerRefusal(socket: TLSSocket): string | undefined {
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) {
    return 'no client certificate: component endpoints need a certificate signed by the cloud CA';
  }
  if (socket.authorized) return undefined;
  const reason = String(socket.authorizationError ?? 'unknown reason');
  const explained: Record<string, string> = {
    CERT_HAS_EXPIRED: 'the client certificate has expired: issue a new one with `cloudctl certs issue`',
    CERT_NOT_YET_VALID: 'the client certificate is not valid yet: check the clocks of both hosts',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the client certificate is not signed by this cloud CA',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the client certificate is not signed by this cloud CA',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'the client certificate is self-signed, not signed by this cloud CA',
    SELF_SIGNED_CERT_IN_CHAIN: 'the client certificate chains to a CA other than this cloud CA',
    CERT_SIGNATURE_FAILURE: 'the client certificate signature does not verify against this cloud CA',
    CERT_REVOKED: 'the client certificate has been revoked: its host was removed from the cloud',
  };
  return `${explained[reason] ?? 'the client certificate was refused'} (${reason})`;
}

export function describePeer(socket: TLSSocket): CloudPeer {
  const certificate = socket.getPeerCertificate();
  return {
    commonName: String(certificate.subject?.CN ?? ''),
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
    validTo: certificate.valid_to,
  };
}

/**
 * Express middleware for component-to-component routes: lets through only connections whose client certificate
 * verified against the cloud CA; anything else gets 403 with the reason, and the refusal is logged.
 */
export function requireCloudPeer(request: Request, response: Response, next: NextFunction): void {
  const refusal = peerRefusal(request.socket as TLSSocket);
  if (refusal === undefined) {
    response.locals.peer = describePeer(request.socket as TLSSocket);
    next();
    return;
  }
  response.locals.log?.warn({ refusal }, 'refused a component request');
  response.status(403).json({ error: 'PeerNotTrusted', message: refusal, requestId: response.locals.requestId });
}

/**
 * For routes only some peers may use (the admin interface: the `admin` certificate cloudctl presents). Goes after
 * `requireCloudPeer`, which has verified the certificate chain.
 */
export function requirePeerNamed(...commonNames: string[]) {
  return (_request: Request, response: Response, next: NextFunction): void => {
    const peer = response.locals.peer as CloudPeer | undefined;
    if (peer && commonNames.includes(peer.commonName)) {
      next();
      return;
    }
    const message = `this interface is for ${commonNames.join(', ')} only; the certificate presented is "${peer?.commonName ?? 'none'}"`;
    response.locals.log?.warn({ peer: peer?.commonName }, 'refused a peer on a restricted route');
    response.status(403).json({ error: 'PeerNotAllowed', message, requestId: response.locals.requestId });
  };
}
