// The `signet` CLI from source, for the serve benchmark variants (bin/signet.js runs the built copy).
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
