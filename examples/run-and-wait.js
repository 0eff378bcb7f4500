// Runs a command in a container with a memory limit, waits for its end, then prints what it
// wrote (from its log) and how it ended. Usage: node examples/run-and-wait.js [image]
// (the store is GOCKER_ROOT's, else /var/lib/gocker; the image must be in it: gocker pull).
'use strict';
const { Gocker } = require('gocker');

async function main() {
  const gocker = new Gocker();
  const image = process.argv[2] || 'busybox';
  const container = await gocker.run(image, ['sh', '-c', 'echo hello from $(hostname); echo to stderr >&2; exit 3'], { memory: '64m' });
  try {
    const { exitCode, oomKilled } = await container.wait();
    for await (const chunk of container.logs()) process.stdout.write(chunk);
    console.log(`exit code ${exitCode}, OOM-killed: ${oomKilled}`);
  } finally {
    await container.remove({ force: true });
  }
}

main().catch((e) => {
  console.error(`${e.name} (${e.code}): ${e.message}`);
  process.exitCode = 1;
});
