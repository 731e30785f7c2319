#!/usr/bin/env -S npx tsx
/**
 * `hlc`: the operator CLI (`npm run cli -- <command>` or `npx hlc <command>`). See bin/usage.ts.
 */
import { processIo, runCli } from './runCli.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
