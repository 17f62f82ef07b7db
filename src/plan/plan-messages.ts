/** What the plan file says to a person, as YAML comments. */

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
