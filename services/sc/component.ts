import { zoneComponent } from '../../src/runtime/zone-component.js';

export const scComponent = zoneComponent('Mallee storage controller (sc): one per zone; volumes and snapshots.');
