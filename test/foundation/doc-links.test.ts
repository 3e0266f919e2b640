/**
 * The documentation holds together: every document a comment or a Markdown file cites exists in the repository
 * (scripts/check-doc-links.js, also run by `npm run lint`), and the README's configuration tables list exactly the
 * variables the server reads, with the same secrets.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AUDIO_VARIABLES } from '../../src/audio/audio-config';
import { VARIABLES } from '../../src/config/variables';

// a plain Node script (it runs before any build in `npm run lint`)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findBrokenCitations } = require('../../scripts/check-doc-links.js') as {
  findBrokenCitations(root: string, files?: string[]): string[];
};

const ROOT = join(__dirname, '..', '..');

describe('documents cited in the repository', () => {
  it('exist, for every comment and Markdown link of the repository', () => {
    expect(findBrokenCitations(ROOT)).toEqual([]);
  });

  describe('the checker', () => {
    let dir: string;
    const write = (files: Record<string, string>): string[] => {
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      return Object.keys(files);
    };

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'dalaba-doc-links-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    // fixture documents of a made-up tree, named through `md` so that this file cites none of them itself
    const md = (name: string): string => `${name}.md`;

    it('names each comment or link that cites a document the repository lacks, and an issue cited instead of a file', () => {
      const files = write({
        'docs/domain.md': '# Domain\nSee [the layers](architecture.md) and [code](../src/missing.ts).\n',
        'proto/terminal/PROTOCOL.md': '# Protocol\n',
        'src/a.ts': [
          '/** Priorities (docs/domain.md), register map (terminal/PROTOCOL.md §3, PROTOCOL.md §5). */',
          `/** The scheduler (${md('STYLE')} 4, issue "Field layer" §7). */`,
          "const url = 'https://example.org/README.md';",
          '',
        ].join('\n'),
      });
      expect(findBrokenCitations(dir, files)).toEqual([
        'docs/domain.md:2: cites architecture.md, which is not in the repository',
        'docs/domain.md:2: links to ../src/missing.ts, which does not exist',
        `src/a.ts:2: cites ${md('STYLE')}, which is not in the repository`,
        'src/a.ts:2: cites issue "Field layer"; cite a file of the repository (docs/…) instead',
      ]);
    });

    it('accepts paths from the citing folder, from the root, and wildcards that match a file', () => {
      const files = write({
        'README.md': `See [docs](docs/${md('a')}), \`firmware/*/PROTOCOL.md\` and firmware/<protocol>/PROTOCOL.md.\n`,
        [`docs/${md('a')}`]: `Back to [the README](../README.md) and [b](./${md('b')}).\n`,
        [`docs/${md('b')}`]: '# B\n',
        'firmware/x/PROTOCOL.md': '# X\n',
      });
      expect(findBrokenCitations(dir, files)).toEqual([]);
    });
  });
});

describe("the README's configuration tables", () => {
  const rows = (): Map<string, string[]> => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('\n## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 5),
    );
    const out = new Map<string, string[]>();
    for (const line of section.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      const name = /^`([A-Z][A-Z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
      if (name) out.set(name, cells.slice(2, -1));
    }
    return out;
  };

  it('list exactly the variables the server and the audio library read', () => {
    const documented = [...rows().keys()].sort();
    const read = [...VARIABLES, ...AUDIO_VARIABLES].map((v) => v.name).sort();
    expect(documented).toEqual(read);
  });

  it('mark the same variables secret as the server does', () => {
    const table = rows();
    const secretInReadme = VARIABLES.filter((v) => table.get(v.name)?.[1] === 'yes').map((v) => v.name);
    expect(secretInReadme).toEqual(VARIABLES.filter((v) => v.secret).map((v) => v.name));
  });
});
