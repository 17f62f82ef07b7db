import { loadServiceModel, type Protocol, type ServiceModelSource } from '../../../../src/aws/model/service-model.js';

/**
 * A small hand-made model with what the pinned `min.json` models leave out (enums, `min`/`max`) or barely use (maps,
 * flattened lists, every scalar type), so the generic machinery is tested on all of it. Same shapes for both
 * protocols; only the wire naming differs.
 */
export function testModel(protocol: Protocol) {
  const source: ServiceModelSource = {
    metadata: {
      apiVersion: '2020-01-01',
      protocol,
      endpointPrefix: 'widgets',
      serviceId: 'Widgets',
      xmlNamespace: 'https://widgets.example/doc/2020-01-01/',
    },
    operations: {
      PutWidget: { input: 'PutWidgetInput', output: 'PutWidgetOutput', resultWrapper: 'PutWidgetResult' },
      Ping: {},
    },
    structures: {
      PutWidgetInput: {
        members: {
          Name: { min: 1, max: 8 },
          Colour: { enum: ['red', 'green', 'blue'] },
          Count: { type: 'integer', min: 1, max: 10 },
          Big: { type: 'long' },
          Ratio: { type: 'double' },
          Weight: { type: 'float' },
          Enabled: { type: 'boolean', locationName: 'enabled' },
          Made: { type: 'timestamp' },
          Blob: { type: 'blob' },
          Labels: { type: 'list', member: {}, min: 1 },
          Flat: { type: 'list', member: { locationName: 'FlatItem' }, flattened: true },
          Attributes: { type: 'map', key: {}, value: {} },
          Named: { type: 'map', key: { locationName: 'K' }, value: { type: 'integer', locationName: 'V' } },
          FlatMap: { type: 'map', key: {}, value: {}, flattened: true },
          Parts: { type: 'list', member: { shape: 'Part' } },
          Nested: { shape: 'Part' },
        },
        required: ['Name'],
      },
      Part: { members: { Id: {}, Size: { type: 'integer' } }, required: ['Id'] },
      PutWidgetOutput: {
        members: {
          Widget: { shape: 'Part', locationName: 'widget' },
          Labels: { type: 'list', member: { locationName: 'label' } },
          Flat: { type: 'list', member: { locationName: 'flatItem' }, flattened: true },
          Attributes: { type: 'map', key: {}, value: {} },
          FlatMap: { type: 'map', key: { locationName: 'k' }, value: { locationName: 'v' }, flattened: true },
          Made: { type: 'timestamp' },
          Epoch: { type: 'timestamp', timestampFormat: 'unixTimestamp' },
          Blob: { type: 'blob' },
          Ok: { type: 'boolean' },
          Ratio: { type: 'double' },
          Text: {},
        },
      },
    },
  };
  return loadServiceModel<TestOperations>(source);
}

export interface TestPart {
  Id: string;
  Size?: number;
}

export interface TestOperations {
  PutWidget: {
    input: { Name: string; Count?: number; Labels?: string[]; Parts?: TestPart[] };
    output: {
      Widget?: TestPart;
      Labels?: string[];
      Flat?: string[];
      Attributes?: Record<string, string>;
      FlatMap?: Record<string, string>;
      Made?: Date;
      Epoch?: Date;
      Blob?: Uint8Array;
      Ok?: boolean;
      Ratio?: number;
      Text?: string;
    };
  };
  Ping: { input: Record<string, never>; output: void };
}
