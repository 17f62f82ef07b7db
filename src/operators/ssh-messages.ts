import { knownHostsName, type PresentedKey } from './known-hosts.js';

/** What the SSH operator tells the user: every failure says what happened and what to do next. */

function target(host: string, port: number): string {
  return port === 22 ? host : `${host} port ${port}`;
}

function removeKeyCommand(host: string, port: number, knownHostsFile: string): string {
  const name = knownHostsName(host, port);
  return `ssh-keygen -R ${name.includes('[') ? `'${name}'` : name} -f ${knownHostsFile}`;
}

export const hostKeyMessages = {
  changed: (key: PresentedKey, file: string, line: number, knownKeyType: string, knownFingerprint: string) => ({
    message:
      `The host key of ${target(key.host, key.port)} has CHANGED: ${file} line ${line} holds ` +
      `${knownKeyType} ${knownFingerprint}, but the host now presents ${key.keyType} ${key.fingerprint}. ` +
      'Someone may be intercepting the connection, or the host was reinstalled; the connection was refused.',
    hint:
      'Check the new fingerprint on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). If it matches, ' +
      `remove the old key with \`${removeKeyCommand(key.host, key.port, file)}\` and connect again.`,
  }),
  revoked: (key: PresentedKey, file: string, line: number) => ({
    message: `${target(key.host, key.port)} presents ${key.keyType} ${key.fingerprint}, which ${file} line ${line} marks @revoked.`,
    hint: 'Give the host a new host key; a revoked key is never accepted.',
  }),
  unknownRefused: (key: PresentedKey, file: string, why: 'declined' | 'noTerminal') => ({
    message:
      `The host key of ${target(key.host, key.port)} is not in ${file}: ${key.keyType} ${key.fingerprint}. ` +
      (why === 'declined' ? 'It was not accepted.' : 'There is no terminal to confirm it on.'),
    hint:
      'Compare the fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the host, then run again ' +
      `with --accept-new-host-keys (or add it to ${file} yourself, e.g. with ssh-keyscan).`,
  }),
  confirmQuestion: (key: PresentedKey, otherKeyTypes: string[]) =>
    `The authenticity of host ${target(key.host, key.port)} can't be established.` +
    (otherKeyTypes.length ? ` (known_hosts has keys of other types for it: ${otherKeyTypes.join(', ')}.)` : '') +
    ` Its ${key.keyType} key fingerprint is ${key.fingerprint}. Trust it and add it to known_hosts?`,
};

export const connectMessages = {
  refused: (host: string, port: number) => ({
    message: `Could not connect to ${target(host, port)}: the connection was refused (nothing listens there).`,
    hint: `Check the address and that sshd runs on the host and listens on port ${port}.`,
  }),
  timedOut: (host: string, port: number, seconds: number) => ({
    message: `Could not connect to ${target(host, port)}: no SSH answer within ${seconds} s.`,
    hint: 'Check that the address is right, the host is up, and no firewall drops port ' + `${port}.`,
  }),
  unreachable: (host: string, port: number, code: string) => ({
    message: `Could not connect to ${target(host, port)}: the host is unreachable (${code}).`,
    hint: 'Check the address, that the host is up, and that this machine has a route to it.',
  }),
  unresolved: (host: string) => ({
    message: `Could not connect to ${host}: the name does not resolve.`,
    hint: 'Check the spelling, or give the IP address.',
  }),
  authFailed: (host: string, port: number, user: string, methods: string) => ({
    message: `${target(host, port)} refused the login of user ${user} (tried ${methods}).`,
    hint:
      `Check --ssh-user, and that the public key of --ssh-key is in ~${user}/.ssh/authorized_keys on the host ` +
      '(ssh-copy-id does it).',
  }),
  keyUnreadable: (file: string, reason: string) => ({
    message: `Could not read the SSH key ${file}: ${reason}.`,
    hint: 'Give the path of a private key with --ssh-key (a passphrase-protected key needs ssh-agent).',
  }),
  other: (host: string, port: number, reason: string) => ({
    message: `SSH to ${target(host, port)} failed: ${reason}.`,
    hint: 'Check that the host is up and that `ssh` to it works from this machine.',
  }),
  lost: (host: string, reason: string) => ({
    message: `The SSH connection to ${host} was lost: ${reason}.`,
    hint: 'Check that the host is up and reachable, then run again: finished steps are not redone.',
  }),
};

export const sudoMessages = {
  needsPassword: (host: string, user: string) => ({
    message: `sudo on ${host} asks ${user} for a password, and the installer never types one.`,
    hint:
      `Let ${user} use sudo without a password: on the host run \`visudo -f /etc/sudoers.d/mallee\` and add the ` +
      `line \`${user} ALL=(ALL) NOPASSWD: ALL\`, or connect as root.`,
  }),
  needsTerminal: (host: string, user: string) => ({
    message: `sudo on ${host} wants a terminal (requiretty) for ${user}.`,
    hint:
      `Add \`Defaults:${user} !requiretty\` and \`${user} ALL=(ALL) NOPASSWD: ALL\` with ` +
      '`visudo -f /etc/sudoers.d/mallee` on the host, or connect as root.',
  }),
  missing: (host: string, user: string) => ({
    message: `${user} is not root on ${host} and sudo is not installed there.`,
    hint: 'Install sudo on the host and let the user use it without a password, or connect as root.',
  }),
  notAllowed: (host: string, user: string, output: string) => ({
    message: `${user} may not use sudo on ${host}: ${output}`,
    hint: `Add \`${user} ALL=(ALL) NOPASSWD: ALL\` with \`visudo -f /etc/sudoers.d/mallee\` on the host, or connect as root.`,
  }),
};
