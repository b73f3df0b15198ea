/**
 * `netlab ui [LAB] [--listen ADDR] [--port N] [--all-users]`: the running lab
 * in a browser (src/ui). Prints the URL with its access token and serves until
 * Ctrl-C; stopping it never stops a lab. `--all-users` (root): every user's
 * labs too, read-only unless root acts (the teacher's view, docs/ui.md).
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { requireHostRoot } from '../lab/all-users.js';
import { Lab } from '../lab/lab.js';
// The one import of src/cli beyond the library: the web UI is a client of the
// library itself (src/ui imports only src/index.ts), so the library cannot
// offer it without a cycle (docs/architecture.md, "Deviations"). Its code
// (with ws) loads when `netlab ui` runs, not at every start.
import type * as UiServer from '../ui/server.js';
import type * as UiBackend from '../ui/backend.js';
import { colors, warn } from './output.js';

interface UiFlags { listen: string; port: string; allUsers?: boolean }

/** The port flag as a number (pure). @throws UsageError unless 0–65535. */
export function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`--port ${v}`, 'is not a port number', 'a number from 1 to 65535, e.g. --port 8080 (0: any free port)');
  return n;
}

/** The listen flag (pure): an IPv4 or IPv6 address, or localhost. @throws UsageError otherwise. */
export function parseListen(v: string): string {
  if (v === 'localhost') return '127.0.0.1';
  if (!isIP(v)) throw new UsageError(`--listen ${v}`, 'is not an IP address', 'e.g. --listen 127.0.0.1 (this machine only, the default) or --listen 0.0.0.0 (every address)');
  return v;
}

/** Whether `addr` is reachable from this machine only. */
function loopback(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.');
}

export function register(program: Command): void {
  program
    .command('ui')
    .description('the running lab in a browser: live topology, counters, link actions, a terminal per node, tests')
    .argument('[lab]', 'lab to open first (default: the list of running labs)')
    .option('--listen <addr>', 'address to listen on (another machine can connect only when you say so)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option('--all-users', 'as root: every user\'s labs too (rootless labs, docs/rootless.md), read-only unless root acts; LAB may be USER/LAB')
    .action(async (labName: string | undefined, flags: UiFlags) => {
      const host = parseListen(flags.listen);
      const port = parsePort(flags.port);
      if (flags.allUsers) requireHostRoot('--all-users');
      const [{ startUiServer }, { libraryBackend, teacherBackend }] = await Promise.all([
        import('../ui/server.js') as Promise<typeof UiServer>, import('../ui/backend.js') as Promise<typeof UiBackend>,
      ]);
      const backend = flags.allUsers ? teacherBackend() : libraryBackend();
      const lab = labName === undefined ? undefined : flags.allUsers ? backend.open(labName).name : Lab.open(labName).name; // an unknown lab fails here, exit 2
      const server = await startUiServer({ backend, host, port, ...(lab ? { lab } : {}) });
      const wildcard = host === '0.0.0.0' || host === '::';
      const shown = wildcard ? server.url.replace(`//${host.includes(':') ? `[${host}]` : host}:`, `//${hostname()}:`) : server.url;
      process.stdout.write(`netlab ui: ${lab ? `lab ${colors.bold(lab)}` : flags.allUsers ? 'every user\'s running labs' : 'running labs'} at\n\n    ${shown}\n\n`);
      if (loopback(host)) {
        process.stdout.write(`From another machine: ssh -L ${server.port}:localhost:${server.port} ${hostname()}, then open the URL above there.\n`);
      } else {
        warn(`listening on ${host}: anyone who can reach port ${server.port} and has the token can run commands in your nodes; the token travels unencrypted over HTTP — prefer ssh -L on a network you do not trust`);
      }
      process.stdout.write('Ctrl-C stops the server; the labs keep running.\n');
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stderr.write('\nnetlab ui: stopping (the labs keep running)\n');
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
