import type { ComponentDefinition } from '../../src/runtime/service.js';

const xmlEscape = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Walrus, the S3-compatible object store. The S3 operations arrive with the rest-xml protocol layer; until then
 * every request gets S3's own `NotImplemented` error (501), as S3 answers functionality it does not offer.
 */
export const walrusComponent: ComponentDefinition = {
  describe: 'Mallee object storage (walrus): the S3 REST API.',
  async mount({ app }) {
    app.use((request, response) => {
      response
        .status(501)
        .type('application/xml')
        .send(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code>` +
            `<Message>A header you provided implies functionality that is not implemented</Message>` +
            `<Resource>${xmlEscape(request.path)}</Resource><RequestId>${response.locals.requestId}</RequestId></Error>`,
        );
    });
    return {};
  },
};
