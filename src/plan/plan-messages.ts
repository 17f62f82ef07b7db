/** What the plan file and the host list say to a person. */

export const planComments = {
  header: (cloud: string) => [
    `Mallee cloud "${cloud}", as faststart planned it. Lines starting with # say why each choice was made.`,
    'Check it with `faststart validate cloud.yaml`; replay it unattended with `faststart install --config cloud.yaml --yes`.',
  ],
  problemsTitle: 'Problems found when this plan was made:',
  problem: (severity: string, host: string | undefined, message: string) =>
    `  ${severity}${host ? ` (${host})` : ''}: ${message}`,
  unusedHosts: 'Hosts left out of the plan:',
  unusedHost: (text: string) => `  ${text}`,
};

export const hostListErrors = {
  empty: {
    message: 'no host addresses given',
    hint: 'Give addresses or ranges separated by commas, e.g. 10.0.0.5-7,10.0.0.9 or node1.example.com.',
  },
  invalidEntry: (entry: string) => ({
    message: `"${entry}" is not an address, a host name or a range`,
    hint: 'Write IPv4 or IPv6 addresses, host names, or IPv4 ranges such as 10.0.0.5-7 or 10.0.0.5-10.0.0.20.',
  }),
  backwards: (entry: string) => ({
    message: `the range "${entry}" ends before it starts`,
    hint: 'Put the lower address first, e.g. 10.0.0.5-7.',
  }),
  tooMany: (entry: string, count: number, max: number) => ({
    message: `the range "${entry}" holds ${count} addresses; at most ${max} at once`,
    hint: 'Check the range, or list the hosts in several smaller ranges.',
  }),
  duplicate: (address: string) => ({
    message: `${address} is listed twice`,
    hint: 'List each host once.',
  }),
};
