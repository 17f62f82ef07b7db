/**
 * A PostgreSQL URL split for the command line: the URL without its password (a process's arguments are readable by
 * every user of the host, through ps), and the password for PGPASSWORD (an environment only its own user reads) or a
 * passfile (mode 0600) named by PGPASSFILE.
 */
export interface PostgresCredentials {
  url: string;
  password?: string;
}

export function splitPostgresUrl(url: string): PostgresCredentials {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.password) return { url };
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString(), password };
}

/** A libpq passfile line that gives `password` to any server, database and user (the file is used for one call). */
export function passfileLine(password: string): string {
  return `*:*:*:*:${password.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`;
}
