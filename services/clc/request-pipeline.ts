import type { Kysely } from 'kysely';
import { decodeParams, headerValue } from '../../src/aws/auth/canonical.js';
import {
  createRequestVerifier,
  serviceProfiles,
  type RequestVerifier,
  type SignedRequest,
} from '../../src/aws/auth/index.js';
import { ec2Model } from '../../src/aws/generated/ec2-model.js';
import type { Ec2Operations } from '../../src/aws/generated/ec2-types.js';
import { iamModel } from '../../src/aws/generated/iam-model.js';
import { stsModel } from '../../src/aws/generated/sts-model.js';
import type { ServiceModel } from '../../src/aws/model/service-model.js';
import { serializeError, type SerializedResponse } from '../../src/aws/protocol/error-serializer.js';
import {
  createQueryDispatcher,
  type QueryDispatcher,
  type QueryHandlers,
} from '../../src/aws/protocol/query-dispatcher.js';
import type { QueryParams } from '../../src/aws/protocol/query-parser.js';
import { ServiceError } from '../../src/aws/service-error.js';
import type { Database } from '../../src/db/schema.js';
import type { ClcContext, CloudTopology } from './handlers/context.js';
import { ec2Handlers } from './handlers/ec2/index.js';
import { iamHandlers } from './handlers/iam.js';
import { stsHandlers } from './handlers/sts.js';
import { lookupAccessKey, type Principal } from './models/accounts.js';
import { ec2Errors } from './models/ec2-errors.js';

/**
 * The clc's AWS request pipeline, one readable list of steps for every Query request (EC2, IAM and STS share the
 * endpoint, as on a Eucalyptus cloud controller):
 *   1. pick the service: the SigV4 credential scope names it; unsigned and SigV2 requests say it by `Version`;
 *   2. authenticate: the signature against the account database, answered in the service's own error dialect;
 *   3. parse, dispatch to the handler and serialise (the protocol layer, driven by the service model);
 * Handlers get typed input and a context scoped to the caller's account, never HTTP.
 */

export type ClcServiceName = 'ec2' | 'iam' | 'sts';

export interface ClcService {
  name: ClcServiceName;
  model: ServiceModel;
  verifier: RequestVerifier<Principal>;
  dispatch: QueryDispatcher<ClcContext>;
}

export interface AwsRequest {
  /** The request as it arrived, for the signature. */
  signed: SignedRequest;
  /** Its decoded parameters: the query string and the form body together. */
  params: QueryParams;
  requestId: string;
  log: ClcContext['log'];
  /** The public URL this request reached, which `DescribeRegions` reports. */
  endpoint: string;
}

export interface AwsAnswer extends SerializedResponse {
  service: ClcServiceName;
  operation?: string;
  accountId?: string;
}

export interface AwsPipeline {
  readonly services: Readonly<Record<ClcServiceName, ClcService>>;
  /** Steps 1 to 3 for a Query request; never rejects. */
  handleQuery(request: AwsRequest): Promise<AwsAnswer>;
  /** Step 2 alone, for other wire forms of the same services (EC2 SOAP): the caller, or an AuthError. */
  authenticate(service: ClcServiceName, signed: SignedRequest): Promise<Principal>;
  /** The context a handler runs in for this caller. */
  contextFor(caller: Principal, request: Omit<AwsRequest, 'signed' | 'params'>): ClcContext;
}

export interface AwsPipelineOptions {
  db: Kysely<Database>;
  cloud: Omit<CloudTopology, 'ec2Endpoint'> & { ec2Endpoint?: string };
}

/** API versions by service, for requests whose signature does not say which service they are for. */
const serviceByVersion: Readonly<Record<string, ClcServiceName>> = {
  [ec2Model.metadata.apiVersion]: 'ec2',
  [iamModel.metadata.apiVersion]: 'iam',
  [stsModel.metadata.apiVersion]: 'sts',
};

export function createAwsPipeline(options: AwsPipelineOptions): AwsPipeline {
  const { db, cloud } = options;
  const credentials = { lookup: (accessKeyId: string) => lookupAccessKey(db, accessKeyId) };
  const regions = [cloud.region];
  const service = <Ops>(
    name: ClcServiceName,
    model: ServiceModel<Ops>,
    handlers: QueryHandlers<Ops, ClcContext>,
  ): ClcService => ({
    name,
    model,
    verifier: createRequestVerifier({ credentials, profile: serviceProfiles[name], regions }),
    dispatch: createQueryDispatcher(model, handlers),
  });
  const services: Record<ClcServiceName, ClcService> = {
    ec2: service('ec2', ec2Model, withDryRun(ec2Handlers)),
    iam: service('iam', iamModel, iamHandlers),
    sts: service('sts', stsModel, stsHandlers),
  };

  const contextFor: AwsPipeline['contextFor'] = (caller, request) => ({
    requestId: request.requestId,
    log: request.log,
    caller,
    db,
    cloud: { ...cloud, ec2Endpoint: cloud.ec2Endpoint ?? request.endpoint },
  });

  const authenticate: AwsPipeline['authenticate'] = async (name, signed) => {
    const authenticated = await services[name].verifier.verify(signed);
    return authenticated.principal;
  };

  return {
    services,
    authenticate,
    contextFor,
    async handleQuery(request) {
      const target = services[serviceOf(request)];
      let caller: Principal;
      try {
        caller = await authenticate(target.name, request.signed);
      } catch (error) {
        if (!(error instanceof ServiceError)) {
          request.log?.error({ err: error, requestId: request.requestId }, 'authentication failed unexpectedly');
        }
        const answer =
          error instanceof ServiceError
            ? error
            : new ServiceError('InternalError', 'An internal error has occurred', 500);
        const { protocol, xmlNamespace } = target.model.metadata;
        return { ...serializeError(protocol, answer, request.requestId, xmlNamespace), service: target.name };
      }
      const result = await target.dispatch(request.params, contextFor(caller, request));
      return { ...result, service: target.name, accountId: caller.accountId };
    },
  };
}

/** Step 1: the SigV4 scope's service when it is one of ours, else the API version's, else EC2. */
function serviceOf(request: AwsRequest): ClcServiceName {
  const scoped = scopeService(request.signed, request.params);
  if (scoped === 'ec2' || scoped === 'iam' || scoped === 'sts') return scoped;
  return serviceByVersion[request.params.Version ?? ''] ?? 'ec2';
}

function scopeService(signed: SignedRequest, params: QueryParams): string | undefined {
  const authorization = headerValue(signed, 'authorization');
  const credential = (authorization && /Credential=([^,\s]+)/.exec(authorization)?.[1]) ?? params['X-Amz-Credential'];
  // AKID/DATE/REGION/SERVICE/aws4_request
  return typeof credential === 'string' ? credential.split('/')[3] : undefined;
}

/** The query string and a form body's parameters as one record; a repeated name keeps every value, for the parser to refuse. */
export function requestParams(rawQuery: string, formBody: string | undefined): QueryParams {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of [...decodeParams(rawQuery), ...(formBody ? decodeParams(formBody) : [])]) {
    const existing = params[key];
    params[key] = existing === undefined ? value : [existing, value].flat();
  }
  return params as QueryParams;
}

/**
 * EC2's `DryRun`: once the caller is authenticated and the input parsed, a dry run answers `DryRunOperation`
 * instead of acting. Every caller may do everything in its own account, so the answer needs no further check.
 */
export function withDryRun(
  handlers: QueryHandlers<Ec2Operations, ClcContext>,
): QueryHandlers<Ec2Operations, ClcContext> {
  const wrapped: Record<string, unknown> = {};
  for (const [action, handler] of Object.entries(handlers)) {
    const run = handler as (input: { DryRun?: boolean }, context: ClcContext) => Promise<unknown>;
    wrapped[action] = (input: { DryRun?: boolean }, context: ClcContext) => {
      if (input.DryRun === true) throw ec2Errors.dryRun();
      return run(input, context);
    };
  }
  return wrapped as QueryHandlers<Ec2Operations, ClcContext>;
}
