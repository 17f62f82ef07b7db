import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ec2WsdlDefaultLocation } from '../../src/aws/codegen/ec2-wsdl.js';
import { fromIncomingMessage, type RequestVerifier } from '../../src/aws/auth/index.js';
import { ec2Model } from '../../src/aws/generated/ec2-model.js';
import type { Ec2Operations } from '../../src/aws/generated/ec2-types.js';
import { createEc2SoapDispatcher, serializeEc2SoapFault, soapErrors } from '../../src/aws/protocol/ec2-soap.js';
import type { QueryHandlers } from '../../src/aws/protocol/query-dispatcher.js';
import { commonErrors, ServiceError } from '../../src/aws/service-error.js';
import { malleePackage } from '../../src/runtime/package-root.js';
import type { ClcContext } from './handlers/context.js';
import type { Principal } from './models/accounts.js';
import type { AwsPipeline } from './request-pipeline.js';

/** Where EC2 over SOAP lives, as on Eucalyptus. */
export const ec2SoapPath = '/services/compute';

export interface Ec2SoapOptions {
  /** The verifier the Query API uses for EC2: the same keys, regions and error codes. */
  verifier: RequestVerifier<Principal>;
  /** The handler context for a caller, as the Query API builds it (scoped to the caller's account). */
  contextFor: AwsPipeline['contextFor'];
  /** The EC2 handlers the Query API dispatches to (with its `DryRun` handling). */
  handlers: QueryHandlers<Ec2Operations, ClcContext>;
  /** The public URL of the clc, when clients reach it through a name or proxy; else the URL each request reached. */
  publicEndpoint?: string;
  /** `wsdl/ec2.wsdl` of the installed package when absent. */
  wsdlFile?: string;
}

/** EC2's own limit on user data is 16 KiB; a SOAP request is a little larger than its Query twin. */
const soapBodyLimit = '2mb';

// A Host header is echoed into the WSDL's address only when it looks like one.
const hostHeader = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * Mounts EC2 over SOAP: `POST /services/compute` takes a SOAP 1.1 envelope (wsdl/ec2.wsdl), `GET
 * /services/compute?wsdl` serves the WSDL with its address pointing back here. The steps are the Query API's:
 *   1. authenticate: a SigV4 signature on the HTTP POST (service `ec2`), payload included, by the same verifier;
 *      SigV2 signs form parameters only, never a SOAP body, so it is refused here;
 *   2. parse the envelope, dispatch to the same handlers in the caller's account, serialise (src/aws/protocol);
 *   3. every error is a SOAP fault carrying the EC2 code, with the HTTP status EC2 gives it.
 */
export function mountEc2Soap(app: Express, options: Ec2SoapOptions): void {
  const dispatch = createEc2SoapDispatcher(ec2Model, options.handlers);
  const wsdl = readFileSync(options.wsdlFile ?? join(malleePackage().root, 'wsdl', 'ec2.wsdl'), 'utf8');
  const addressAttribute = `location="${ec2WsdlDefaultLocation}"`;
  if (!wsdl.includes(addressAttribute)) throw new Error(`the EC2 WSDL has no ${addressAttribute}`);
  const endpointOf = (request: Request): string => {
    if (options.publicEndpoint) return options.publicEndpoint.replace(/\/$/, '');
    const host = request.get('host') ?? '';
    return `https://${hostHeader.test(host) ? host : 'localhost'}`;
  };
  const fault = (response: Response, error: ServiceError): void => {
    const answer = serializeEc2SoapFault(error, response.locals.requestId as string);
    response.status(answer.status).type(answer.contentType).send(answer.body);
  };

  const router = express.Router();
  app.use(ec2SoapPath, router);

  router.get('/', (request: Request, response: Response) => {
    if (!/[?&]wsdl(?:[=&]|$)/i.test(request.originalUrl)) {
      response.setHeader('allow', 'POST');
      fault(response, new ServiceError('InvalidRequest', `Send EC2 SOAP requests by POST; the WSDL is at ?wsdl.`, 405));
      return;
    }
    const location = `location="${`${endpointOf(request)}${ec2SoapPath}`.replace(/[&<>"]/g, '')}"`;
    response.type('text/xml;charset=UTF-8').send(wsdl.replace(addressAttribute, location));
  });

  router.post(
    '/',
    express.raw({ type: () => true, limit: soapBodyLimit }),
    async (request: Request, response: Response) => {
      const log = response.locals.log as Logger;
      const requestId = response.locals.requestId as string;
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let caller: Principal;
      try {
        const authenticated = await options.verifier.verify(
          fromIncomingMessage(request, body, { url: request.originalUrl }),
        );
        if (authenticated.method === 'sigv2') {
          throw new ServiceError(
            'AuthFailure',
            'AWS was not able to validate the provided access credentials: SOAP requests are signed with SigV4, ' +
              'whose signature covers the body.',
            401,
          );
        }
        caller = authenticated.principal;
      } catch (error) {
        if (!(error instanceof ServiceError)) log.error({ err: error }, 'SOAP authentication failed unexpectedly');
        fault(response, error instanceof ServiceError ? error : commonErrors.internalError());
        return;
      }
      const context = options.contextFor(caller, { requestId, log, endpoint: endpointOf(request) });
      const answer = await dispatch(body, context);
      log.debug(
        { service: 'ec2', protocol: 'soap', operation: answer.operation, accountId: caller.accountId },
        'aws request',
      );
      response.status(answer.status).type(answer.contentType).send(answer.body);
    },
  );

  // A body too large (or unreadable) is still answered as a fault, not the runtime's JSON error.
  router.use((error: Error & { status?: number }, _request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) return next(error);
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 400;
    const refused = soapErrors.invalidRequest(error.message);
    fault(response, new ServiceError(refused.code, refused.message, status));
  });
}
