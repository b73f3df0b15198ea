/**
 * The `netlab` command. Each command lives in its own file and registers itself
 * on the program; this file only wires them and turns errors into the
 * `error: … / hint: …` lines and exit codes of docs/cli.md
 * (0 success, 1 failure, 2 bad input).
 */
import { Command, CommanderError } from 'commander';
import { isNetlabError } from '../errors.js';
import { printError } from './output.js';
import { commandsFor } from './commands.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('netlab')
    .description('Network labs from YAML: containers, veth links, tc shaping, FRR/BIRD routers, tests')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run netlab --help for usage)')
    .exitOverride();
  // The first word that is no option names the command: only its file is loaded (commands.ts).
  for (const register of await commandsFor(argv.find((a) => !a.startsWith('-')))) register(program);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander printed its message already; help/version are not errors.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    printError(err, debug);
    return isNetlabError(err) ? err.exitCode : 1;
  }
}

// `netlab status | head`: a closed pipe ends the command quietly, as it does for ls or grep.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { printError(err, true); process.exitCode = 1; },
);
