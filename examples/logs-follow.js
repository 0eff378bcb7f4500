// Follows a container's output as it prints it, until it exits (or 30 s pass: the signal
// aborts the follow). Usage: node examples/logs-follow.js [image]
'use strict';
const { Gocker } = require('gocker');

async function main() {
  const gocker = new Gocker();
  const image = process.argv[2] || 'busybox';
  const container = await gocker.run(image, ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done'], { rm: true });
  for await (const chunk of container.logs({ follow: true, timestamps: false, signal: AbortSignal.timeout(30_000) })) {
    process.stdout.write(`> ${chunk}`);
  }
  const { exitCode } = await container.wait();
  console.log(`done, exit code ${exitCode}`);
}

main().catch((e) => {
  console.error(`${e.name} (${e.code}): ${e.message}`);
  process.exitCode = 1;
});
