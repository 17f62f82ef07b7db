import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Router } from 'express';
import type { Logger } from 'pino';
import { listen } from 'soap';
import { ServiceError } from '../aws/service-error.js';

/** What a SOAP operation handler gets besides its input: the message's ids, and a logger carrying them. */
export interface SoapContext {
  correlationId: string;
  userId: string;
  log: Logger;
}

/** One operation of a WSDL: plain input in, plain output out (the `correlationId` is added to every response). */
export type SoapOperation = (input: Record<string, unknown>, context: SoapContext) => Promise<Record<string, unknown>>;

export interface SoapServiceOptions {
  /** The WSDL file: the contract the server is built from, and what `?wsdl` serves. */
  wsdlFile: string;
  service: string;
  port: string;
  /** Dispatch as data: wire operation name to handler. */
  operations: Record<string, SoapOperation>;
  log: Logger;
  /** The WSDL's fault element, which carries `correlationId`, `code` and `message` (default `AdminFault`). */
  faultElement?: string;
}

/**
 * Serves a WSDL-described SOAP 1.1 service at the root of `router` (mount the router where the service lives,
 * behind whatever authentication it needs). Every response echoes the request's `correlationId`; a `ServiceError`
 * becomes a SOAP fault whose detail carries its code, anything else a fault with code `InternalError`.
 */
export function mountSoapService(router: Router, options: SoapServiceOptions): void {
  const wsdlXml = readFileSync(options.wsdlFile, 'utf8');
  const namespace = /targetNamespace="([^"]+)"/.exec(wsdlXml)?.[1];
  const port: Record<string, (input: Record<string, unknown>) => Promise<Record<string, unknown>>> = {};
  for (const [name, operation] of Object.entries(options.operations)) {
    port[name] = async (input) => {
      const correlationId = typeof input.correlationId === 'string' ? input.correlationId : randomUUID();
      const userId = typeof input.userId === 'string' ? input.userId : '';
      const log = options.log.child({ correlationId, soapOperation: name });
      try {
        const output = await operation(input, { correlationId, userId, log });
        return { correlationId, ...(toWire(output) as Record<string, unknown>) };
      } catch (error) {
        throw soapFault(error, correlationId, log, options.faultElement ?? 'AdminFault', namespace);
      }
    };
  }
  listen(router as never, { path: '/', services: { [options.service]: { [options.port]: port } }, xml: wsdlXml });
}

function soapFault(error: unknown, correlationId: string, log: Logger, faultElement: string, namespace?: string) {
  const known = error instanceof ServiceError;
  if (!known) log.error({ err: error }, 'SOAP operation failed');
  const code = known ? error.code : 'InternalError';
  const message = known ? error.message : 'An internal error has occurred';
  return {
    Fault: {
      faultcode: known && error.fault === 'Sender' ? 'soap:Client' : 'soap:Server',
      faultstring: `${code}: ${message}`,
      // In the WSDL's namespace (as a default one, so its children are too): the detail validates against the schema.
      detail: {
        [faultElement]: { ...(namespace && { attributes: { xmlns: namespace } }), correlationId, code, message },
      },
      statusCode: 500,
    },
  };
}

/** Dates go out as xsd:dateTime text; node-soap would otherwise write them with Date#toString. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toWire(item)]));
  }
  return value;
}
