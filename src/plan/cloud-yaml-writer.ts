import { renameSync, writeFileSync } from 'node:fs';
import { Document, isMap, isSeq } from 'yaml';
import type { HostFacts } from '../discovery/host-facts.js';
import { placeComponents } from '../placement/place-components.js';
import type { Placement, PlacementOptions } from '../placement/placement-types.js';
import { planComments } from './plan-messages.js';

/**
 * cloud.yaml text for a placement: the cloud exactly as `faststart validate` and `loadCloudConfig` read it, with
 * each reason as a comment above its zone or component and the problems and unused hosts in the header.
 */
export function renderCloudYaml(placement: Placement): string {
  const { cloud, reasons, problems } = placement;
  const doc = new Document(cloud);
  const header = [...planComments.header(cloud.name)];
  if (problems.length > 0) {
    header.push('', planComments.problemsTitle);
    for (const problem of problems) header.push(planComments.problem(problem.severity, problem.host, problem.message));
  }
  const unused = reasons.flatMap((reason) => ('unusedHost' in reason.subject ? [reason.text] : []));
  if (unused.length > 0) header.push('', planComments.unusedHosts, ...unused.map(planComments.unusedHost));
  doc.commentBefore = asComment(header);

  const zones = doc.get('zones');
  if (isSeq(zones)) {
    zones.items.forEach((node, index) => {
      const zone = cloud.zones[index];
      const reason = reasons.find(
        (entry) => 'zone' in entry.subject && !('component' in entry.subject) && entry.subject.zone === zone?.name,
      );
      if (reason && isMap(node)) node.commentBefore = asComment([reason.text]);
    });
  }
  const components = doc.get('components');
  if (isSeq(components)) {
    components.items.forEach((node, index) => {
      const entry = cloud.components[index];
      const reason = reasons.find(
        ({ subject }) =>
          'component' in subject &&
          subject.component === entry?.component &&
          subject.host === entry.host &&
          subject.zone === entry.zone,
      );
      if (reason && isMap(node)) node.commentBefore = asComment([reason.text]);
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/** Writes the plan atomically (temp file, then rename), so a re-run never finds half a cloud.yaml. */
export function writeCloudYaml(path: string, placement: Placement): string {
  const text = renderCloudYaml(placement);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o644 });
  renameSync(temporary, path);
  return text;
}

/** The one call the installer needs: placement from facts, and the cloud.yaml text that records it. */
export function planFromFacts(
  facts: HostFacts[],
  options: PlacementOptions = {},
): { placement: Placement; yamlText: string } {
  const placement = placeComponents(facts, options);
  return { placement, yamlText: renderCloudYaml(placement) };
}

/**
 * yaml prints `#` then each line as given: a leading space keeps `# text` readable; blank lines stay blank. Messages
 * may span lines (an SSH error quoting the server), so each of their lines is a comment line of its own.
 */
function asComment(lines: string[]): string {
  return lines
    .flatMap((line) => line.split('\n'))
    .map((line) => (line === '' ? '' : ` ${line}`))
    .join('\n');
}
