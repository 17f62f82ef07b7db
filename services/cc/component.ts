import { zoneComponent } from '../../src/runtime/zone-component.js';

export const ccComponent = zoneComponent(
  "Mallee cluster controller (cc): one per zone; places instances on the zone's nodes.",
);
