/** Every word the installer's prompts say: questions, choices, the plan review and its headings. */

export const inventoryPrompts = {
  addresses: 'Servers to install on (addresses, names or ranges such as 10.0.0.5-7, separated by commas):',
  user: 'SSH user on the servers:',
  auth: 'How should the installer log in?',
  authChoices: {
    key: { name: 'With a private key file', description: 'e.g. ~/.ssh/id_ed25519' },
    agent: { name: 'With ssh-agent or my default keys', description: 'what `ssh HOST` would use' },
    password: { name: 'With a password', description: 'asked once, used for every server, never written down' },
  },
  keyPath: 'Path to the private key:',
  keyMissing: (path: string) => `There is no file at ${path}.`,
  password: 'SSH password:',
  passwordEmpty: 'Type the password (it is not shown).',
  sudo: (user: string) => `${user} is not root: use sudo on the servers to act as root?`,
  invalidHosts: (message: string, hint: string) => `${message} ${hint}`,
};

export const reviewPrompts = {
  title: (cloud: string, hosts: number, zones: number) =>
    `Plan for cloud "${cloud}": ${hosts} ${hosts === 1 ? 'host' : 'hosts'}, ${zones} ${zones === 1 ? 'zone' : 'zones'}`,
  hostHeaders: ['host', 'address', 'cores', 'memory', 'free disk', 'virtualization', 'components'],
  zoneHeaders: ['zone', 'subnet', 'cc', 'sc', 'nodes'],
  excludedLabel: '(excluded)',
  unreachableLabel: '(unreachable)',
  noneLabel: '-',
  virtualization: { kvm: 'KVM', emulation: 'emulation', none: 'none' },
  whyTitle: 'Why:',
  problemsTitle: (errors: number, warnings: number) =>
    `Problems: ${errors} ${errors === 1 ? 'error' : 'errors'}, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`,
  noProblems: 'No problems found.',
  problem: (severity: string, host: string | undefined, message: string) =>
    `  ${severity === 'error' ? 'error  ' : 'warning'}  ${host ? `${host}: ` : ''}${message}`,
  fix: (fix: string) => `           fix: ${fix}`,
  action: 'What now?',
  actions: {
    accept: 'Accept this plan',
    move: 'Move a component to another host',
    exclude: 'Exclude a host',
    rename: 'Rename a zone',
    abort: 'Abort (nothing has been changed on any server)',
  },
  acceptWithErrors: (errors: number) =>
    `The plan has ${errors} ${errors === 1 ? 'error' : 'errors'}; the install will stop on ${errors === 1 ? 'it' : 'them'}. Accept it anyway?`,
  whichComponent: 'Which component?',
  componentChoice: (component: string, zone: string | undefined, host: string) =>
    `${component}${zone ? ` of ${zone}` : ''} (on ${host})`,
  toWhichHost: (component: string) => `Move the ${component} to which host?`,
  whichHostToExclude: 'Exclude which host?',
  whichZone: 'Rename which zone?',
  newZoneName: (zone: string) => `New name for ${zone}:`,
  back: 'Back',
  refused: (message: string, hint: string) => `Not done: ${message}. ${hint}`,
  hostDescription: (zone: string | undefined, components: readonly string[]) =>
    `${zone ? `a host of ${zone}` : 'in no zone'}; runs ${components.length === 0 ? 'nothing yet' : components.join(', ')}`,
  unreachableDescription: 'unreachable',
};
