import type { Argv } from 'yargs';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('server', { type: 'string', describe: 'registry host (default docker.io)' })
    .option('username', { alias: 'u', type: 'string', describe: 'Username' })
    .option('password', { alias: 'p', type: 'string', describe: 'Password' })
    .option('password-stdin', { type: 'boolean', describe: 'Take the password from stdin' });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function handler(argv: GlobalArgs & { server?: string; username?: string; password?: string; passwordStdin?: boolean }): Promise<void> {
  const password = argv.passwordStdin ? await readStdin() : argv.password;
  if (!argv.username || !password) throw new ClientError('Must provide --username with --password or --password-stdin');
  await engine(argv).login(argv.server ?? 'docker.io', argv.username, password);
  process.stdout.write('Login Succeeded\n');
}
