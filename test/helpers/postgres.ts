import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/mallee` */
  url: string;
  /** Creates another empty database on the same server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (`pg_ctl stop -m fast`) and removes its directory. */
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries Debian installed, or those in `MALLEE_PG_BIN`. */
export function postgresBinDir(): string {
  const fromEnv = process.env.MALLEE_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) {
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql: install them (apt-get install postgresql) ' +
        'or set MALLEE_PG_BIN',
    );
  }
  return join(root, versions[0], 'bin');
}

/**
 * Starts a throwaway PostgreSQL server: a fresh cluster in a temp dir, listening on 127.0.0.1 on a free port and on
 * a socket in that dir, trusting local connections, with one database `mallee`. Durability is off (fsync), as
 * nothing here outlives the test. initdb refuses to run as root, so as root everything runs as the `postgres` user.
 * About 1.5 s in all, most of it initdb. With `password`, TCP connections need it (scram-sha-256) and the URLs carry it.
 */
export async function startPostgres(options: { password?: string } = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'mallee-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, Number(run('id', ['-u', 'postgres'])), Number(run('id', ['-g', 'postgres'])));
  const superuser = asRoot ? 'postgres' : userInfo().username;
  const asOwner = (command: string, args: string[]) =>
    asRoot ? runAsync('runuser', ['-u', 'postgres', '--', command, ...args]) : runAsync(command, args);
  const data = join(dir, 'data');
  const pgCtl = join(bin, 'pg_ctl');

  const stopNow = () => {
    // Last resort when the test process exits without calling stop(): no server left behind.
    const args = ['-D', data, '-m', 'immediate', '-s', 'stop'];
    spawnSync(asRoot ? 'runuser' : pgCtl, asRoot ? ['-u', 'postgres', '--', pgCtl, ...args] : args);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopNow);

  const passwordFile = join(dir, 'password');
  if (options.password !== undefined) {
    writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (asRoot) chownSync(passwordFile, Number(run('id', ['-u', 'postgres'])), Number(run('id', ['-g', 'postgres'])));
  }
  const auth =
    options.password === undefined
      ? ['--auth=trust']
      : ['--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${passwordFile}`];
  try {
    await asOwner(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      superuser,
      ...auth,
      '--no-sync',
      '--no-instructions',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      // A collation other than byte order, so tests catch queries whose order depends on the server's locale.
      '--locale-provider=icu',
      '--icu-locale=en-US',
    ]);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const options = [
        `-p ${port}`,
        `-k ${dir}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
      ].join(' ');
      try {
        // -w waits until the server accepts connections.
        await asOwner(pgCtl, ['-D', data, '-l', join(dir, 'server.log'), '-w', '-s', '-o', options, 'start']);
        break;
      } catch (error) {
        // Another process may have taken the port between freePort() and the server's bind.
        if (attempt >= 3) throw new Error(`${(error as Error).message}\n${serverLog(dir)}`);
      }
    }
    const secret = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}`;
    const serverUrl = (database: string) => `postgres://${superuser}${secret}@127.0.0.1:${port}/${database}`;
    const createDatabase = async (name: string) => {
      const client = new pg.Client({ connectionString: serverUrl('postgres') });
      await client.connect();
      try {
        await client.query(`create database ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return serverUrl(name);
    };
    const url = await createDatabase('mallee');
    return {
      url,
      createDatabase,
      async stop() {
        process.removeListener('exit', stopNow);
        try {
          await asOwner(pgCtl, ['-D', data, '-m', 'fast', '-s', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    process.removeListener('exit', stopNow);
    stopNow();
    throw error;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

function runAsync(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

function serverLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8');
  } catch {
    return '';
  }
}
