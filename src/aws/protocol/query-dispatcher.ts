import type { ServiceModel } from '../model/service-model.js';
import { commonErrors, ServiceError } from '../service-error.js';
import { serializeError, xmlContentType, type SerializedResponse } from './error-serializer.js';
import { parseQueryRequest, type QueryParams } from './query-parser.js';
import { serializeQueryResponse } from './query-serializer.js';

/** What every handler is given besides its input; services extend it with the caller's account and so on. */
export interface DispatchContext {
  /** Echoed in the response (`requestId`, `RequestId`) and in error documents. */
  requestId: string;
  /** Where a handler's unexpected failure is logged (a pino logger fits); the client only sees `InternalError`. */
  log?: { error(details: object, message: string): void };
}

/** A handler: typed input in, typed output out; it throws ServiceError for the client's mistakes. */
export type QueryHandler<Input, Output, Context> = (input: Input, context: Context) => Promise<Output>;

/** Handlers by wire action, typed by a generated operation map (`Ec2Operations`); any may be left out. */
export type QueryHandlers<Ops, Context> = {
  [K in keyof Ops]?: Ops[K] extends { input: infer Input; output: infer Output }
    ? QueryHandler<Input, Output, Context>
    : never;
};

export interface DispatchResult extends SerializedResponse {
  /** The operation the request named, once it is known to be one of the service's. */
  operation?: string;
}

export type QueryDispatcher<Context> = (params: QueryParams, context: Context) => Promise<DispatchResult>;

/**
 * Dispatch as data: the request's `Action` picks the handler from `handlers`; parsing, serialising and every error
 * are the protocol's. An operation of the model without a handler answers `UnsupportedOperation` (EC2) or
 * `InvalidAction` (IAM, STS); a handler that throws anything but a ServiceError answers `InternalError` (500) with no
 * detail. The returned promise never rejects.
 */
export function createQueryDispatcher<Ops, Context extends DispatchContext = DispatchContext>(
  service: ServiceModel<Ops>,
  handlers: QueryHandlers<Ops, Context>,
): QueryDispatcher<Context> {
  const { protocol, apiVersion, xmlNamespace } = service.metadata;
  const table = handlerTable(service, handlers);

  return async (params, context) => {
    let operation: string | undefined;
    try {
      const request = parseQueryRequest(service, params);
      operation = request.operation;
      const handler = table.get(operation);
      if (!handler) {
        throw protocol === 'ec2'
          ? commonErrors.unsupportedOperation(operation)
          : commonErrors.operationNotFound(operation, apiVersion);
      }
      const output = await handler(request.input, context);
      const body = serializeQueryResponse(service, operation, output ?? {}, context.requestId);
      return { status: 200, contentType: xmlContentType, body, operation };
    } catch (error) {
      const answer = error instanceof ServiceError ? error : unexpectedError(error, operation, context);
      return { ...serializeError(protocol, answer, context.requestId, xmlNamespace), ...(operation && { operation }) };
    }
  };
}

/** The handlers by operation, checked against the model; shared by every wire form of a service (EC2 SOAP). */
export function handlerTable<Ops, Context>(
  service: ServiceModel<Ops>,
  handlers: QueryHandlers<Ops, Context>,
): ReadonlyMap<string, QueryHandler<Record<string, unknown>, unknown, Context>> {
  const table = new Map<string, QueryHandler<Record<string, unknown>, unknown, Context>>();
  for (const [name, handler] of Object.entries(handlers)) {
    if (!service.operations.has(name)) throw new Error(`${service.metadata.serviceId} has no operation ${name}`);
    if (typeof handler === 'function')
      table.set(name, handler as QueryHandler<Record<string, unknown>, unknown, Context>);
  }
  return table;
}

/** A handler's failure that is not a ServiceError: logged with its details, answered as `InternalError`. */
export function unexpectedError(error: unknown, operation: string | undefined, context: DispatchContext): ServiceError {
  try {
    context.log?.error({ err: error, operation, requestId: context.requestId }, 'AWS request handler failed');
  } catch {
    // A broken logger must not turn an error answer into a crash.
  }
  return commonErrors.internalError();
}
