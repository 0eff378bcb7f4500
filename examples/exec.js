// Runs a command in a running container: its stdin written from here, its stdout and stderr
// read here, its exit code awaited. Usage: node examples/exec.js [image]
'use strict';
const { finished } = require('node:stream/promises');
const { Gocker } = require('gocker');

async function main() {
  const gocker = new Gocker();
  const image = process.argv[2] || 'busybox';
  const container = await gocker.run(image, ['sleep', '300'], { network: 'none' });
  try {
    const proc = container.exec(['sh', '-c', 'tr a-z A-Z; echo done >&2; exit 5'], { stdin: true });
    proc.stdout.pipe(process.stdout);
    proc.stderr.pipe(process.stderr);
    proc.stdin.end('hello from exec\n');
    const [exitCode] = await Promise.all([proc.exitCode, finished(proc.stdout), finished(proc.stderr)]);
    console.log(`exit code ${exitCode}`);
  } finally {
    await container.remove({ force: true });
  }
}

main().catch((e) => {
  console.error(`${e.name} (${e.code}): ${e.message}`);
  process.exitCode = 1;
});
