// Runs the `signet` CLI from source (bin/signet.js runs the built copy), for subprocess tests.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
