import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { brokenLinks, formatBrokenLink, headingAnchors, outsidePointers, repositoryFiles } from '../../tools/doc-links';
import { PROJECT_ROOT } from '../../tools/docs';
import { scratchDir } from '../support/scratch';

/** A project folder with the given files (paths relative to it). */
function project(files: Record<string, string>): string {
  const root = scratchDir('links-');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const DOCS = {
  '.gitignore': 'node_modules/\ncdktf.out/\n',
  'README.md': [
    '# Front',
    '',
    '## Deploy',
    '',
    'See [Security](docs/security.md), [suppressions](docs/security.md#suppressing-a-finding), [below](#deploy),',
    '[a folder](config/), [the web](https://example.com/x#y) and `config/environments.ts`.',
    'Placeholders and ignored folders are not paths: `policy/rules/<service>/*.ts`, `cdktf.out/stacks/dev`.',
    '',
  ].join('\n'),
  'docs/security.md': '# Security\n\n## Suppressing a finding\n\n```sh\n# Not a heading\n```\n',
  'config/environments.ts': '// docs/security.md, "Suppressing a finding", and README.md#deploy resolve.\n',
};

describe('documentation links', () => {
  it('finds every link, anchor and pointer of this repository resolving', () => {
    expect(brokenLinks(PROJECT_ROOT).map(formatBrokenLink)).toEqual([]);
  });

  it('gives headings the anchors GitHub gives them', () => {
    const markdown = [
      '# Team setup',
      '### 1. Configure the backend',
      '## Current result (`npm run policy`)',
      '## Security, "Environments"',
      '## Deploy',
      '## Deploy',
      '```sh',
      '# a comment in a code block',
      '```',
    ].join('\n');
    expect(headingAnchors(markdown)).toEqual([
      'team-setup',
      '1-configure-the-backend',
      'current-result-npm-run-policy',
      'security-environments',
      'deploy',
      'deploy-1',
    ]);
  });

  it('reports nothing when every link, anchor and pointer resolves', () => {
    expect(brokenLinks(project(DOCS))).toEqual([]);
  });

  it('fails for a link to a missing file or heading, one that leaves the repository, and a missing path in code', () => {
    const root = project({
      ...DOCS,
      'docs/guide.md': [
        '# Guide',
        '',
        '[gone](missing.md) [no heading](security.md#no-such-heading) [no anchor here](#nowhere)',
        '[outside](../../elsewhere.md) ![image](img/none.png)',
        '',
        'The schema is in `config/schema.ts`.',
      ].join('\n'),
    });
    expect(brokenLinks(root).map(formatBrokenLink)).toEqual([
      'docs/guide.md:3: missing.md: no such file or folder (docs/missing.md)',
      'docs/guide.md:3: security.md#no-such-heading: docs/security.md has no heading with anchor #no-such-heading',
      'docs/guide.md:3: #nowhere: docs/guide.md has no heading with anchor #nowhere',
      'docs/guide.md:3: ../../elsewhere.md: points outside the repository, where GitHub cannot follow it',
      'docs/guide.md:3: img/none.png: no such file or folder (docs/img/none.png)',
      'docs/guide.md:6: `config/schema.ts`: no such file or folder (config/schema.ts)',
    ]);
  });

  it('fails for a pointer in code, a workflow or help to a missing file or heading, or to a section of the front page without its file', () => {
    const root = project({
      ...DOCS,
      'stacks/stack.ts': [
        "// The pack runs on every synth (README, \"Security\").",
        "const fix = 'see docs/team-setup.md';",
        "const why = 'docs/security.md#no-such-anchor';",
        "const where = '(docs/security.md, \"No such heading\")';",
      ].join('\n'),
      '.github/workflows/plan.yml': '# skipped checks: README, Security\n',
      help: '  npm run docs   see docs/architecture.md\n',
    });
    expect(brokenLinks(root).map(formatBrokenLink)).toEqual([
      '.github/workflows/plan.yml:1: README: name the file that holds the section: README.md, or docs/<name>.md, with #anchor or "Heading"',
      'help:1: docs/architecture.md: no such file or folder (docs/architecture.md)',
      'stacks/stack.ts:1: README: name the file that holds the section: README.md, or docs/<name>.md, with #anchor or "Heading"',
      'stacks/stack.ts:2: docs/team-setup.md: no such file or folder (docs/team-setup.md)',
      'stacks/stack.ts:3: docs/security.md#no-such-anchor: docs/security.md has no heading with anchor #no-such-anchor',
      'stacks/stack.ts:4: docs/security.md, "No such heading": docs/security.md has no heading "No such heading"',
    ]);
  });

  describe('pointers outside the repository', () => {
    // Joined at run time, so that this file does not point outside the repository itself.
    const SHARED = ['..', 'shared'].join('/');
    const WORK = ['', 'work', ''].join('/');
    const STYLE = ['STYLE', 'md'].join('.');

    it('finds no file of this repository pointing to a place a clone does not have', () => {
      expect(outsidePointers(PROJECT_ROOT).map(formatBrokenLink)).toEqual([]);
    });

    it('reads every file of the repository, and none that git ignores', () => {
      const files = repositoryFiles(PROJECT_ROOT);
      expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/seed.md', 'config/names.ts', '.gitignore', '.github/workflows/plan.yml']));
      expect(files.filter((f) => /^(node_modules|cdktf\.out|\.git)(\/|$)/.test(f))).toEqual([]);
    });

    it('names the file, line and pointer in any file: Markdown, code, comments, tests, workflows; not in ignored folders', () => {
      const root = project({
        ...DOCS,
        '.gitignore': 'node_modules/\ncdktf.out/\n*.tfstate\n',
        'README.md': `# Front\n\nThe chapter is kept in \`${SHARED}/seed/chapter.md\`.\n`,
        'docs/guide.md': `# Guide\n\nSee [the style guide](${SHARED}/${STYLE}).\n`,
        'stacks/stack.ts': `const a = 1;\n// ids are a contract, see ${STYLE}, guideline 7.\n`,
        '__tests__/x.test.ts': `// docs: ${WORK}shared/seed/chapter.md, "Costs".\n`,
        '.github/workflows/plan.yml': `run: cat ${WORK}shared/notes\n`,
        'node_modules/pkg/index.js': `// ${WORK}ignored\n`,
        'cdktf.out/stacks/dev/cdk.tf.json': `"${WORK}ignored"\n`,
        'terraform.dev.tfstate': `"${WORK}ignored"\n`,
      });
      const reason = 'points outside the repository, which a clone does not have; describe it in docs/ or name a file of the repository';
      expect(outsidePointers(root).map(formatBrokenLink)).toEqual([
        `.github/workflows/plan.yml:1: ${WORK}shared/notes: ${reason}`,
        `README.md:3: ${SHARED}/seed/chapter.md: ${reason}`,
        `__tests__/x.test.ts:1: ${WORK}shared/seed/chapter.md: ${reason}`,
        `docs/guide.md:3: ${SHARED}/${STYLE}: ${reason}`,
        `stacks/stack.ts:2: ${STYLE}: ${reason}`,
      ]);
      // npm run docs reports them with the other broken pointers.
      expect(brokenLinks(root).map(formatBrokenLink)).toEqual(expect.arrayContaining([`stacks/stack.ts:2: ${STYLE}: ${reason}`]));
    });
  });
});
