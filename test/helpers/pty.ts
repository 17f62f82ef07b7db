import { runCommand } from './cli.js';

/** One exchange with a program on a terminal: wait until `expect` appears on screen, then type `send`. */
export interface PtyStep {
  expect: string;
  send: string;
}

export interface PtyResult {
  ok: boolean;
  /** Why the run failed: which text never appeared before its deadline, or the program did not exit. */
  error?: string;
  /** Everything the program printed, with terminal escape sequences removed. */
  transcript: string;
  exitCode?: number;
}

/** Keys as a terminal sends them. */
export const keys = { up: '\x1b[A', down: '\x1b[B', enter: '\r', backspace: '\x7f' };

/**
 * Runs `argv` on a real pseudo-terminal (Python's pty module: the program sees a TTY, as a user's shell gives it) and
 * plays the steps: each waits, up to `stepTimeoutMs`, for its text to appear after the previous step's match. No
 * sleeps: every wait ends as soon as the text is on screen.
 */
export async function runInPty(
  argv: string[],
  steps: PtyStep[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; stepTimeoutMs?: number; exitTimeoutMs?: number } = {},
): Promise<PtyResult> {
  const spec = JSON.stringify({
    argv,
    steps,
    env: { TERM: 'xterm-256color', ...options.env },
    cwd: options.cwd ?? process.cwd(),
    stepTimeout: (options.stepTimeoutMs ?? 30_000) / 1000,
    exitTimeout: (options.exitTimeoutMs ?? 30_000) / 1000,
  });
  const budget = (options.stepTimeoutMs ?? 30_000) * (steps.length + 1) + (options.exitTimeoutMs ?? 30_000);
  const result = await runCommand('/usr/bin/python3', ['-c', driver, spec], { timeoutMs: budget + 10_000 });
  if (result.code !== 0) return { ok: false, error: `pty driver failed: ${result.stderr}`, transcript: '' };
  return JSON.parse(result.stdout) as PtyResult;
}

const driver = String.raw`
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time
spec = json.loads(sys.argv[1])
ansi = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>78]')
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec['cwd'])
    os.environ.update(spec['env'])
    os.execvp(spec['argv'][0], spec['argv'])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 60, 220, 0, 0))
raw = b''
eof = False
def screen():
    return ansi.sub('', raw.decode('utf-8', 'replace')).replace('\r\n', '\n')
def pump(deadline):
    global raw, eof
    if eof:
        return False
    ready, _, _ = select.select([fd], [], [], max(0, min(0.5, deadline - time.monotonic())))
    if ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b''
        if not chunk:
            eof = True
        raw += chunk
    return True
def finish(ok, error=None):
    code = None
    try:
        wpid, status = os.waitpid(pid, os.WNOHANG)
        if wpid == 0:
            os.kill(pid, signal.SIGKILL)
            wpid, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        pass
    out = {'ok': ok, 'transcript': screen(), 'exitCode': code}
    if error:
        out['error'] = error
    print(json.dumps(out))
    sys.exit(0)
cursor = 0
for step in spec['steps']:
    deadline = time.monotonic() + spec['stepTimeout']
    while True:
        found = screen().find(step['expect'], cursor)
        if found >= 0:
            cursor = found + len(step['expect'])
            break
        if eof or time.monotonic() > deadline:
            finish(False, 'never saw %r (%s)' % (step['expect'], 'program ended' if eof else 'timed out'))
        pump(deadline)
    os.write(fd, step['send'].encode())
deadline = time.monotonic() + spec['exitTimeout']
while not eof and time.monotonic() < deadline:
    pump(deadline)
finish(eof, None if eof else 'the program did not exit')
`;
