#!/usr/bin/env -S node --min-semi-space-size=16
import { buildCli } from './platform/index.js';

// The one place that reads the process environment: it is handed to the configuration loader.
await buildCli(process.env).parseAsync(process.argv);
