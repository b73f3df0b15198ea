import { expect } from 'chai';
import { hostRootNotice } from '../../src/lab/up.js';
import { loadTopology } from '../../src/lab/load.js';

const lab = (extra: string, n = 3): ReturnType<typeof loadTopology> => loadTopology({
  text: `name: u\n${extra}nodes:\n${Array.from({ length: n }, (_, i) => `  n${i + 1}: {}`).join('\n')}\nlinks: []\n`,
}, { env: {} });

describe('lab: user namespaces by default', () => {
  it('runs nodes in user namespaces unless the file says userns: false', () => {
    expect(lab('').userns).to.equal(true);
    expect(lab('userns: true\n').userns).to.equal(true);
    expect(lab('userns: false\n').userns).to.equal(false);
  });
  it('says in one line which nodes\' root is host root with userns: false', () => {
    expect(hostRootNotice(lab('userns: false\n'))).to.equal('lab u has userns: false: root in all 3 nodes (n1, n2, n3) is the host\'s root (docs/nodes.md)');
    expect(hostRootNotice(lab('userns: false\n', 1))).to.equal('lab u has userns: false: root in node n1 is the host\'s root (docs/nodes.md)');
  });
  it('keeps the line short for a big lab', () => {
    expect(hostRootNotice(lab('userns: false\n', 20))).to.match(/root in all 20 nodes \(n1, n2, n3, n4, n5, n6, n7, n8 and 12 more\)/);
  });
});
