import type { Protocol } from '../model/service-model.js';
import type { ServiceError } from '../service-error.js';
import { XmlWriter } from './xml-writer.js';

/** An HTTP answer, ready to send. */
export interface SerializedResponse {
  status: number;
  contentType: string;
  body: string;
}

export const xmlContentType = 'text/xml;charset=UTF-8';

/**
 * A ServiceError as each protocol writes it:
 * - ec2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`
 * - query: `<ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>`
 * - rest-xml: `<Error><Code/><Message/><RequestId/></Error>`
 *
 * @param xmlNamespace the service's namespace, which Query services put on `ErrorResponse`
 */
export function serializeError(
  protocol: Protocol,
  error: ServiceError,
  requestId: string,
  xmlNamespace?: string,
): SerializedResponse {
  const writer = new XmlWriter().declaration();
  if (protocol === 'ec2') {
    writer.open('Response').open('Errors').open('Error');
    writer.element('Code', error.code).element('Message', error.message);
    writer.close('Error').close('Errors').element('RequestID', requestId).close('Response');
  } else if (protocol === 'query') {
    writer.open('ErrorResponse', { xmlns: xmlNamespace }).open('Error');
    writer.element('Type', error.fault).element('Code', error.code).element('Message', error.message);
    writer.close('Error').element('RequestId', requestId).close('ErrorResponse');
  } else {
    writer.open('Error').element('Code', error.code).element('Message', error.message);
    writer.element('RequestId', requestId).close('Error');
  }
  return { status: error.status, contentType: xmlContentType, body: writer.toString() };
}
