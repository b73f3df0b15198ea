import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/kernel.js';
import { loadTopology } from '../../src/lab/load.js';

const EXAMPLE = 'test/integration/docs-example.test.ts';

/** The lines between "docs/testing.md example: begin/end" markers, each region de-indented, regions joined by a blank line. */
export function exampleRegions(source: string): string {
  const regions: string[] = [];
  let current: string[] | undefined;
  for (const line of source.split('\n')) {
    if (line.trim() === '// docs/testing.md example: begin') { current = []; continue; }
    if (line.trim() === '// docs/testing.md example: end') {
      const indent = Math.min(...current!.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
      regions.push(current!.map((l) => l.slice(indent)).join('\n'));
      current = undefined;
      continue;
    }
    current?.push(line);
  }
  return regions.join('\n\n');
}

/** The ```ts block after `<!-- example: FILE -->` in a markdown text. */
function docBlock(markdown: string, file: string): string {
  const start = markdown.indexOf(`<!-- example: ${file} -->`);
  expect(start, `docs/testing.md has no <!-- example: ${file} --> marker`).to.be.greaterThan(-1);
  const m = /```ts\n([\s\S]*?)\n```/.exec(markdown.slice(start));
  return m![1]!;
}

describe('validate: docs/testing.md', () => {
  const doc = readFileSync(join(repoRoot, 'docs/testing.md'), 'utf8');

  it('shows the mocha example exactly as test/integration/docs-example.test.ts runs it', () => {
    const source = readFileSync(join(repoRoot, EXAMPLE), 'utf8');
    expect(docBlock(doc, EXAMPLE)).to.equal(exampleRegions(source));
  });

  it('has only YAML examples of tests that load against a lab with those nodes', () => {
    const nodes = ['r1', 'r2', 'r3', 'h1', 'h2', 'gw', 'web', 'outside', 's1', 'leaf1', 'spine1', 'spine2', 'b1'];
    const kinds: Record<string, string> = { r1: 'frr', r2: 'frr', r3: 'frr', s1: 'frr', leaf1: 'frr', spine1: 'frr', spine2: 'frr', b1: 'bird' };
    const links = [['r1:eth1', 'r2:eth1'], ['r1:eth2', 'h1:eth1'], ['r2:eth2', 'r3:eth1'], ['r3:eth2', 'h2:eth1'], ['leaf1:eth1', 'spine1:eth1'], ['leaf1:eth2', 'spine2:eth1']];
    const lab = `name: doc\naddressing: { ipv6: "2001:db8::/48" }\nnodes:\n${nodes.map((n) => `  ${n}: { kind: ${kinds[n] ?? 'linux'} }`).join('\n')}\nlinks:\n${links.map((l) => `  - [${l.join(', ')}]`).join('\n')}\n`;
    const items = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').filter((l) => /^- \{ (name: .*, )?(reach|route|exec|ospf_neighbors|bgp_sessions|bird_protocol):/.test(l)));
    expect(items.length).to.be.greaterThan(15);
    for (const item of items) {
      expect(() => loadTopology({ text: `${lab}tests:\n  ${item}\n` }, { checkFiles: false }), item).to.not.throw();
    }
  });
});
