#!/usr/bin/env node
// Runs before the tests: the browser and end-to-end tests need a Chromium. On a fresh Debian
// machine, as root, it installs Debian's package; elsewhere it stops with a message that says
// what to do. (Playwright's own browser download is not used: these machines cannot fetch it.)
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const found = () => candidates.find((p) => p && existsSync(p));

if (process.env.CHROMIUM_PATH && !existsSync(process.env.CHROMIUM_PATH)) {
  console.error(`CHROMIUM_PATH is set to ${process.env.CHROMIUM_PATH}, which does not exist.`);
  process.exit(1);
}

if (!found()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let hasApt = false;
  try {
    execSync('command -v apt-get', { stdio: 'ignore', shell: '/bin/sh' });
    hasApt = true;
  } catch {
    // no apt-get: leave hasApt false
  }
  if (isRoot && hasApt) {
    console.log("No Chromium found: installing Debian's chromium package (apt-get install chromium)...");
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', {
      stdio: 'inherit',
      shell: '/bin/sh',
    });
  }
}

const path = found();
if (!path) {
  console.error(
    [
      'The browser tests need Chromium, and none was found.',
      'Install it (Debian: sudo apt-get install chromium) or point CHROMIUM_PATH at a Chromium or Chrome binary:',
      '  CHROMIUM_PATH=/path/to/chromium npm test',
    ].join('\n'),
  );
  process.exit(1);
}
console.log(`Chromium for the browser tests: ${path}`);
