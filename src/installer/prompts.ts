import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { confirm, input, password, select } from '@inquirer/prompts';
import { CliError } from '../cli/cli-error.js';
import type { ComponentName, HostYaml, ZonedComponentName } from '../config/types.js';
import {
  excludeHost,
  moveComponent,
  PlacementEditError,
  renameZone,
  usableHosts,
  type ComponentRef,
  type Placement,
} from '../placement/index.js';
import { parseHostList } from '../plan/host-list.js';
import { formatPlacement } from './format-placement.js';
import { inventoryPrompts, reviewPrompts } from './prompt-messages.js';

/** Where prompts read and write; the terminal by default. */
export interface PromptIo {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** The hosts to install on and how to log in to them. The password, if any, is kept out of `hosts` (and cloud.yaml). */
export interface Inventory {
  hosts: HostYaml[];
  ssh: { user: string; key?: string; password?: string; sudo: boolean };
}

/** Asks for the servers and how to reach them; each answer is checked before the next question. */
export async function askInventory(io: PromptIo = {}): Promise<Inventory> {
  const addresses = await input(
    {
      message: inventoryPrompts.addresses,
      required: true,
      validate: (text) => {
        try {
          parseHostList(text);
          return true;
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          return inventoryPrompts.invalidHosts(error.message, error.hint ?? '');
        }
      },
    },
    io,
  );
  const user = (await input({ message: inventoryPrompts.user, default: 'root', required: true }, io)).trim();
  const auth = await select(
    {
      message: inventoryPrompts.auth,
      choices: (['key', 'agent', 'password'] as const).map((value) => ({
        value,
        ...inventoryPrompts.authChoices[value],
      })),
    },
    io,
  );
  const ssh: Inventory['ssh'] = { user, sudo: false };
  if (auth === 'key') {
    // The SSH operator reads the key path as written: a `~` must be expanded here.
    ssh.key = expandHome(
      (
        await input(
          {
            message: inventoryPrompts.keyPath,
            default: defaultKeyPath(),
            validate: (path) => existsSync(expandHome(path.trim())) || inventoryPrompts.keyMissing(path.trim()),
          },
          io,
        )
      ).trim(),
    );
  }
  if (auth === 'password') {
    ssh.password = await password(
      {
        message: inventoryPrompts.password,
        mask: '*',
        validate: (text) => text !== '' || inventoryPrompts.passwordEmpty,
      },
      io,
    );
  }
  if (user !== 'root') ssh.sudo = await confirm({ message: inventoryPrompts.sudo(user), default: true }, io);
  const hosts = parseHostList(addresses, {
    user,
    ...(ssh.key !== undefined && { key: ssh.key }),
    ...(ssh.sudo && { sudo: true }),
  });
  return { hosts, ssh };
}

export type ReviewOutcome = { accepted: true; placement: Placement } | { accepted: false; placement: Placement };

type Action = 'accept' | 'move' | 'exclude' | 'rename' | 'abort';

/**
 * Shows the plan (hosts, zones, reasons, problems) and lets the user edit it until they accept or abort. Each edit
 * recomputes the plan and shows it again; an edit the plan cannot take is explained and the plan stays as it was.
 */
export async function reviewPlacement(placement: Placement, io: PromptIo = {}): Promise<ReviewOutcome> {
  const output = io.output ?? process.stdout;
  const say = (text: string) => output.write(`${text}\n`);
  let current = placement;
  say(formatPlacement(current));
  for (;;) {
    const action = await select<Action>(
      {
        message: reviewPrompts.action,
        choices: (['accept', 'move', 'exclude', 'rename', 'abort'] as const).map((value) => ({
          value,
          name: reviewPrompts.actions[value],
        })),
        loop: false,
      },
      io,
    );
    if (action === 'abort') return { accepted: false, placement: current };
    if (action === 'accept') {
      const errors = current.problems.filter((problem) => problem.severity === 'error').length;
      if (errors === 0 || (await confirm({ message: reviewPrompts.acceptWithErrors(errors), default: false }, io))) {
        return { accepted: true, placement: current };
      }
      continue;
    }
    try {
      const edited = await editOnce(action, current, io);
      if (!edited) continue;
      current = edited;
      say(formatPlacement(current));
    } catch (error) {
      if (!(error instanceof PlacementEditError)) throw error;
      say(reviewPrompts.refused(error.message, error.hint));
    }
  }
}

const back: unique symbol = Symbol('back');
type Back = typeof back;

async function editOnce(action: 'move' | 'exclude' | 'rename', placement: Placement, io: PromptIo) {
  const backChoice: { value: Back; name: string } = { value: back, name: reviewPrompts.back };
  if (action === 'move') {
    const movable = placement.cloud.components.filter((entry) => entry.component !== 'nc');
    const picked = await select<ComponentRef | Back>(
      {
        message: reviewPrompts.whichComponent,
        choices: [
          ...movable.map((entry) => ({
            value: { component: entry.component, ...(entry.zone !== undefined && { zone: entry.zone }) },
            name: reviewPrompts.componentChoice(entry.component, entry.zone, entry.host),
          })),
          backChoice,
        ],
        loop: false,
      },
      io,
    );
    if (picked === back) return undefined;
    const from = movable.find((entry) => entry.component === picked.component && entry.zone === picked.zone)?.host;
    const host = await pickHost(
      reviewPrompts.toWhichHost(componentLabel(picked.component, picked.zone)),
      usableHosts(placement).filter((name) => name !== from),
      placement,
      io,
    );
    return host === back ? undefined : moveComponent(placement, picked, host);
  }
  if (action === 'exclude') {
    const excluded = placement.basis.edits.excludedHosts;
    const candidates = placement.basis.facts.map((host) => host.name).filter((name) => !excluded.includes(name));
    const host = await pickHost(reviewPrompts.whichHostToExclude, candidates, placement, io);
    return host === back ? undefined : excludeHost(placement, host);
  }
  const zone = await select<string | Back>(
    {
      message: reviewPrompts.whichZone,
      choices: [...placement.cloud.zones.map((entry) => ({ value: entry.name, name: entry.name })), backChoice],
      loop: false,
    },
    io,
  );
  if (zone === back) return undefined;
  const name = await input(
    {
      message: reviewPrompts.newZoneName(zone),
      required: true,
      validate: (text) => {
        try {
          renameZone(placement, zone, text.trim());
          return true;
        } catch (error) {
          if (!(error instanceof PlacementEditError)) throw error;
          return reviewPrompts.refused(error.message, error.hint);
        }
      },
    },
    io,
  );
  return renameZone(placement, zone, name.trim());
}

async function pickHost(message: string, hosts: string[], placement: Placement, io: PromptIo) {
  const { cloud, basis } = placement;
  const describe = (name: string) => {
    if (!basis.facts.find((host) => host.name === name)?.reachable) return reviewPrompts.unreachableDescription;
    const components = cloud.components.filter((entry) => entry.host === name);
    const zone = components.find((entry) => entry.component === 'nc')?.zone;
    return reviewPrompts.hostDescription(
      zone,
      components.map((entry) => entry.component),
    );
  };
  return select<string | Back>(
    {
      message,
      choices: [
        ...hosts.map((name) => ({ value: name, name, description: describe(name) })),
        { value: back, name: reviewPrompts.back },
      ],
      loop: false,
    },
    io,
  );
}

function componentLabel(component: ComponentName, zone: string | undefined): string {
  return zone === undefined ? component : `${component as ZonedComponentName} of ${zone}`;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

function defaultKeyPath(): string {
  const candidates = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
  return candidates.find((path) => existsSync(expandHome(path))) ?? candidates[0]!;
}
