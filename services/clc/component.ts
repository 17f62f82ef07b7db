import express from 'express';
import type { ComponentDefinition } from '../../src/runtime/service.js';
import { peerTlsFromConfig } from '../../src/runtime/peer-client.js';
import { probePeers } from '../../src/runtime/peer-health.js';

const xmlEscape = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Cloud controller. Serves the EC2, IAM and STS endpoint; the actions themselves arrive with the protocol layer
 * generated from the AWS service model. Until then every action is answered as AWS answers an action it does not
 * offer: `InvalidAction` in EC2's error XML, never a 500.
 */
export const clcComponent: ComponentDefinition = {
  describe: 'Mallee cloud controller (clc): EC2 Query and SOAP, accounts, state.',
  async mount({ app }, { config }) {
    const tls = peerTlsFromConfig(config);
    app.use(express.urlencoded({ extended: false, limit: '1mb' }));
    app.all('/', (request, response) => {
      const body = (request.body ?? {}) as Record<string, string>;
      const action = String(body.Action ?? request.query.Action ?? '');
      const message = action
        ? `The action ${action} is not valid for this web service.`
        : 'The request must contain the parameter Action.';
      const code = action ? 'InvalidAction' : 'MissingAction';
      response
        .status(400)
        .type('text/xml')
        .send(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code>` +
            `<Message>${xmlEscape(message)}</Message></Error></Errors>` +
            `<RequestID>${response.locals.requestId}</RequestID></Response>`,
        );
    });
    return { health: async () => ({ peers: await probePeers(config, tls) }) };
  },
};
