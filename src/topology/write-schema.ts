/**
 * Writes schema/topology.schema.json from src/topology/schema-def.ts.
 * Run after changing the schema: `npm run build && node dist/src/topology/write-schema.js`.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaJson } from './schema-def.js';

const out = resolve(dirname(fileURLToPath(import.meta.url)), '../../../schema/topology.schema.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, schemaJson());
process.stdout.write(`wrote ${out}\n`);
