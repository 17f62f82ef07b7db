/** What `cloudctl nodes` says to people. */
export const nodeMessages = {
  noSuchNode: (host: string) => `No node controller on "${host}" is registered with any cc.`,
  knownNodes: (nodes: string[]) =>
    nodes.length > 0 ? `Registered nodes: ${nodes.join(', ')}.` : 'No node is registered.',
  busy: (node: string, instances: string[]) =>
    `${node} still runs ${instances.length} instance(s): ${instances.join(', ')}.`,
  busyHint: 'Terminate them, or pass --force to terminate them as part of the removal.',
  stillBusy: (node: string, instances: string[]) =>
    `${node} still has ${instances.length} instance(s) after waiting: ${instances.join(', ')}.`,
  stillBusyHint: 'New instances go elsewhere already; wait longer (--wait), or remove it with --force.',
  confirmRemove: (node: string, instances: string[]) =>
    instances.length > 0
      ? `Terminate ${instances.join(', ')} and remove ${node} from its zone?`
      : `Remove ${node} from its zone and stop its node controller?`,
  notRegisteredHint: 'No cc has it registered: `cloudctl nodes add` it again, or `cloudctl nodes remove` it for good.',
  unknownZone: (zone: string) => `There is no zone "${zone}" in this cloud.`,
  zonesHint: (zones: string[]) => `Zones: ${zones.join(', ')}. Name one with --zone.`,
  whichZone: (address: string) => `No zone's subnet holds ${address}, and the cloud has several zones.`,
  nameTaken: (host: string, address: string) => `The cloud already has a host "${host}", at ${address}.`,
  nameTakenHint: (address: string) => `Give ${address} another name with --name.`,
  addressTaken: (address: string, host: string) => `${address} is the cloud's host "${host}".`,
  addressTakenHint: (host: string) => `Leave out --name (or pass --name ${host}) to run a node on that host.`,
  loopbackCloud: (address: string) =>
    `This cloud's components listen on this machine's loopback address, which ${address} cannot reach.`,
  loopbackCloudHint: 'Install the cloud on addresses its nodes can reach (faststart install --config cloud.yaml).',
  hostUnfit: (host: string, address: string, problems: string[]) =>
    `${host} (${address}) cannot run a node controller:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
  planInvalid: (problems: string[]) =>
    `The cloud's plan with this change would not be valid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
  planInvalidHint: 'Nothing was changed. Fix the cause (see each problem), then run the command again.',
  confirmAdd: (node: string, host: string, address: string, zone: string, hypervisor: string, cc: string) =>
    `Deploy ${node} on ${host} (${address}) into ${zone} (${hypervisor}) and restart ${cc} with it?`,
  deployFailedHint: 'The plan already has the node: fix the cause and run the same `cloudctl nodes add` again.',
  notReachable: (node: string, zone: string, error?: string) =>
    `${node} is deployed, but the cc of ${zone} does not reach it${error ? `: ${error}` : ''}.`,
  interruptedWaiting: (signal: string, node: string) =>
    `Interrupted by ${signal} while waiting for the cc to reach ${node}; the node is deployed and in the plan.`,
  notReachableHint: "Check the node's log (cloudctl logs NODE) and that the cc host can reach its port.",
  simulatedReason: (host: string, zone: string) => `nc of ${zone} on ${host}: libvirt's simulated hypervisor`,
  added: (node: string, zone: string) => `${node} joined ${zone}.`,
  planNote: (files: string[], created: boolean) =>
    `The cloud's plan is updated: ${files.join(', ')}.` +
    (created ? ' If you install again from a cloud.yaml of your own, update it the same way first.' : ''),
  interruptedTerminating: (signal: string, node: string) =>
    `Interrupted by ${signal} while the instances on ${node} were terminating; ${node} is still registered and in the plan.`,
  interruptedTerminatingHint: 'Run the same command again to finish removing it.',
  removeInterruptedHint: (planFile: string) =>
    `The plan no longer has the node, and its host is done with: run \`faststart install --config ${planFile} --yes\` (with the SSH options of the install) to bring the other hosts to the plan.`,
  removeDeployFailedHint:
    'The plan no longer has the node: fix the cause and run `faststart install` with the updated plan, or this command again.',
  emptiedZone: (zone: string) =>
    `${zone} has no node left: its cc (and sc) keep running and it has no capacity until \`cloudctl nodes add HOST --zone ${zone}\`.`,
  uninstalled: (host: string, purge: boolean) =>
    `${host} ran nothing else of the cloud: Mallee was removed from it${purge ? ', with its data' : ' (its data is kept; --purge removes it)'}.`,
  releaseMissing: (version: string, hash: string, tarball: string) =>
    `The cloud runs release ${version} (${hash}) since its last upgrade, and its bundle ${tarball} is gone.`,
  releaseMissingHint: 'Run cloudctl upgrade --bundle with that build (or another) first; nodes then get that release.',
};

/** The header of a cloud.yaml `nodes add` or `nodes remove` writes where the install left none. */
export const planComments = {
  written: (cloud: string, path: string) =>
    `# The plan of cloud ${cloud} as cloudctl nodes add/remove left it (install.json holds the same).\n` +
    `# Install again from this file: faststart install --config ${path}\n`,
};
