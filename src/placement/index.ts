export { placeComponents } from './place-components.js';
export { excludeHost, moveComponent, renameZone, usableHosts, PlacementEditError } from './edit-placement.js';
export * from './placement-types.js';
