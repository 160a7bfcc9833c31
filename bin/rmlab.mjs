#!/usr/bin/env node
// Launcher for `npx rmlab`: the CLI is TypeScript (src/cli/main.ts), run through tsx's loader,
// which the project already uses for its scripts, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
