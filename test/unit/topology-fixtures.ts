/** Where the topology fixtures live: test/fixtures/ in the source tree (tests run from dist/test/unit). */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixtures = resolve(fileURLToPath(import.meta.url), '../../../../test/fixtures');
