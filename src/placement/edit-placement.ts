import type { ComponentName } from '../config/types.js';
import { dnsLabelName } from '../config/schema.js';
import { profileHost, unknownSubnetKey } from './host-profile.js';
import { editErrors, type EditErrorText } from './placement-messages.js';
import type { ComponentRef, Placement, PlacementEdits } from './placement-types.js';
import { computePlacement, slotKey } from './place-components.js';

/** An edit the plan cannot take, with what to do instead; the placement it was asked of is unchanged. */
export class PlacementEditError extends Error {
  readonly hint: string;

  constructor(text: EditErrorText) {
    super(text.message);
    this.name = 'PlacementEditError';
    this.hint = text.hint;
  }
}

/** Moves the clc, the walrus, or a zone's cc or sc to another host; every other choice is kept and recomputed. */
export function moveComponent(placement: Placement, ref: ComponentRef, toHost: string): Placement {
  const { options, edits } = placement.basis;
  if (ref.component === 'nc') throw new PlacementEditError(editErrors.ncNotMovable());
  const zoneName = zoneOf(placement, ref);
  const current = placement.cloud.components.find(
    (entry) => entry.component === ref.component && (zoneName === undefined || entry.zone === zoneName),
  );
  if (!current) throw new PlacementEditError(editErrors.unknownComponent(ref.component, zoneName));
  const target = usableHost(placement, toHost);
  if (current.host === toHost) throw new PlacementEditError(editErrors.alreadyThere(ref.component, toHost));
  let zoneKey: string | undefined;
  if (zoneName !== undefined) {
    zoneKey = zoneKeyOf(placement, zoneName);
    const profile = profileHost(target, 0, undefined, options.dataDir);
    if (profile.zoneKey !== zoneKey)
      throw new PlacementEditError(editErrors.offZoneSubnet(ref.component, zoneName, toHost));
  }
  const moves = { ...edits.moves, [slotKey(ref.component, zoneKey)]: toHost };
  return recompute(placement, { ...edits, moves });
}

/** Leaves a host out (unreachable, too small, or simply not wanted) and places everything again without it. */
export function excludeHost(placement: Placement, host: string): Placement {
  const { facts, edits } = placement.basis;
  if (!facts.some((entry) => entry.name === host)) {
    throw new PlacementEditError(
      editErrors.unknownHost(
        host,
        facts.map((entry) => entry.name),
      ),
    );
  }
  if (edits.excludedHosts.includes(host)) throw new PlacementEditError(editErrors.alreadyExcluded(host));
  const excludedHosts = [...edits.excludedHosts, host];
  const usable = usableHosts(placement);
  if (usable.length === 1 && usable[0] === host) throw new PlacementEditError(editErrors.lastHost(host));
  const moves = Object.fromEntries(Object.entries(edits.moves).filter(([, target]) => target !== host));
  return recompute(placement, { ...edits, excludedHosts, moves });
}

/** Gives a zone another name; zones are keyed by subnet, so the name survives later edits. */
export function renameZone(placement: Placement, from: string, to: string): Placement {
  const { edits } = placement.basis;
  const key = zoneKeyOf(placement, from);
  if (to === from) return placement;
  if (!dnsLabelName.test(to)) throw new PlacementEditError(editErrors.invalidZoneName(to));
  if (placement.cloud.zones.some((zone) => zone.name === to))
    throw new PlacementEditError(editErrors.duplicateZone(to));
  return recompute(placement, { ...edits, zoneNames: { ...pinnedZoneNames(placement), [key]: to } });
}

/** After an edit every zone keeps the name the user last saw, even when an earlier zone disappears. */
function recompute(placement: Placement, edits: PlacementEdits): Placement {
  const { facts, options } = placement.basis;
  return computePlacement(facts, options, {
    ...edits,
    zoneNames: { ...pinnedZoneNames(placement), ...edits.zoneNames },
  });
}

function pinnedZoneNames(placement: Placement): Record<string, string> {
  return Object.fromEntries(placement.cloud.zones.map((zone) => [zone.subnet ?? unknownSubnetKey, zone.name]));
}

/** Hosts an edit may pick: in the inventory, reachable and not excluded. */
export function usableHosts(placement: Placement): string[] {
  const { facts, edits } = placement.basis;
  return facts.filter((host) => host.reachable && !edits.excludedHosts.includes(host.name)).map((host) => host.name);
}

function usableHost(placement: Placement, name: string) {
  const { facts } = placement.basis;
  const host = facts.find((entry) => entry.name === name);
  if (!host)
    throw new PlacementEditError(
      editErrors.unknownHost(
        name,
        facts.map((entry) => entry.name),
      ),
    );
  if (!usableHosts(placement).includes(name)) throw new PlacementEditError(editErrors.hostNotUsable(name));
  return host;
}

function zoneOf(placement: Placement, ref: ComponentRef): string | undefined {
  const zoned: ComponentName[] = ['cc', 'sc'];
  if (!zoned.includes(ref.component)) return undefined;
  const zones = placement.cloud.zones.map((zone) => zone.name);
  if (ref.zone !== undefined) return ref.zone;
  if (zones.length === 1) return zones[0];
  throw new PlacementEditError(editErrors.zoneNeeded(ref.component, zones));
}

function zoneKeyOf(placement: Placement, name: string): string {
  const zone = placement.cloud.zones.find((entry) => entry.name === name);
  if (!zone) {
    throw new PlacementEditError(
      editErrors.unknownZone(
        name,
        placement.cloud.zones.map((entry) => entry.name),
      ),
    );
  }
  return zone.subnet ?? unknownSubnetKey;
}
