// The `rmlab` command: train, eval and score reward models in Node, on the same core as the app.
// Exit codes: 0 done, 1 failed (the reason on stderr), 2 called wrongly (see --help).
import { namedInvisibles } from '../core/data/excerpt.ts';
import { evalHelp, evaluateFile, EVAL_USAGE } from './eval.ts';
import { UsageError } from './options.ts';
import { score, scoreHelp, SCORE_USAGE } from './score.ts';
import { train, trainHelp, TRAIN_USAGE } from './train.ts';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: () => string; usage: string }> = {
  train: { run: train, help: trainHelp, usage: TRAIN_USAGE },
  eval: { run: evaluateFile, help: evalHelp, usage: EVAL_USAGE },
  score: { run: score, help: scoreHelp, usage: SCORE_USAGE },
};

function overview(): string {
  return [
    'RM Lab: train small reward models on pairwise preference data.',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
    '',
    'rmlab <command> --help lists every option of a command.',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // `rmlab score ... | head`: the reader has gone, which is no failure of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const about = rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(about ? about.help() : overview());
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}": use one of ${Object.keys(COMMANDS).join(', ')}`);
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        `rmlab: ${error.message}\n${command ? `usage: ${command.usage}\n` : ''}(see rmlab ${command ? `${name} ` : ''}--help)\n`,
      );
      return 2;
    }
    // A message may quote the user's file: its control characters are named, not sent to the terminal.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`rmlab: ${message.split('\n').map(namedInvisibles).join('\n')}\n`);
    if (process.env.RMLAB_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
