/**
 * Checks that every pointer into the documentation resolves, for `npm run docs` and
 * __tests__/tools/doc-links.test.ts:
 *
 * - in README.md and docs/*.md, every relative Markdown link and image: the target exists inside the
 *   repository, and an `#anchor` names a heading of the target by GitHub's slug rules
 *   (`github-slugger`, the package GitHub's own Markdown pipeline uses); and every inline-code path
 *   into the repository, such as `config/environments.ts`;
 * - in the code, its messages, the workflows and `help`, every pointer to a Markdown file of the
 *   repository: `README.md` or `docs/<name>.md`, optionally with `#anchor` or followed by a quoted
 *   heading (`docs/team-setup.md, "Team setup"`). The front page's name without `.md` is reported
 *   too: the sections such pointers named now live in docs/, so each must say which file;
 * - in every file of the repository (docs, code, comments, workflows, tests), no pointer to a place
 *   that only the authors' machine has: the folder next to the repository, or an absolute path into
 *   it ({@link outsidePointers}).
 */
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import * as path from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';

/** One pointer that does not resolve. */
export interface BrokenLink {
  /** The file the pointer is in, relative to the root. */
  readonly file: string;
  /** 1-based line of the pointer (of its paragraph, for Markdown). */
  readonly line: number;
  /** The pointer as written. */
  readonly target: string;
  /** Why it does not resolve. */
  readonly reason: string;
}

/** `file:line: target: reason`, the form editors and CI logs link. */
export function formatBrokenLink(link: BrokenLink): string {
  return `${link.file}:${link.line}: ${link.target}: ${link.reason}`;
}

/** The front page; pointers name it with its extension. */
export const FRONT_PAGE = 'README.md';

/** Where pointers in code are looked for: folders (every `.ts` below them) and single files. */
export const POINTER_SOURCES = {
  folders: ['config', 'stacks', 'policy', 'tools', 'lambda-src', 'bench'],
  files: ['main.ts', 'help'],
  workflows: '.github/workflows',
} as const;

// `html: true` so that HTML comments (the generated-region markers) are not read as text.
const markdown = new MarkdownIt({ html: true });
type Token = MarkdownIt.Token;

/** The anchors GitHub gives the headings of a Markdown document, in order. */
export function headingAnchors(source: string): string[] {
  const slugger = new GithubSlugger();
  const tokens = markdown.parse(source, {});
  return tokens.flatMap((token, i) => (token.type === 'heading_open' ? [slugger.slug(plainText(tokens[i + 1]))] : []));
}

/** The text a heading shows: its text and code spans, without Markdown syntax. */
function plainText(inline: Token): string {
  return (inline.children ?? []).map((c) => (c.type === 'text' || c.type === 'code_inline' ? c.content : '')).join('');
}

/** Checks pointers of every kind under `root`; an empty list means everything resolves. */
export function brokenLinks(root: string): BrokenLink[] {
  const resolver = new Resolver(root);
  return [
    ...markdownFiles(root).flatMap((f) => checkMarkdown(resolver, f)),
    ...pointerFiles(root).flatMap((f) => checkPointers(resolver, f)),
    ...outsidePointers(root),
  ];
}

/**
 * Places a clone does not have: the `shared` folder next to the repository, absolute paths under
 * `/work`, the folder of the machine the project was written on, and the style guide that lived
 * there (`STYLE` and `.md`). The expression is written with escapes, and this comment without the
 * paths themselves, so that this file does not match it.
 */
const OUTSIDE_POINTER = /(?:\.\.\/shared|\/work\/)[^\s`'"()<>[\]]*|\bSTYLE\.md\b/g;

/**
 * Every pointer, in any file of the repository (see {@link repositoryFiles}), to a place outside it
 * that only the authors' machine has. Describe what it held in the repository (the seed is
 * docs/seed.md) or name a file inside the repository instead.
 */
export function outsidePointers(root: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const file of repositoryFiles(root)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    if (text.search(OUTSIDE_POINTER) < 0) continue;
    text.split('\n').forEach((line, i) => {
      for (const [match] of line.matchAll(OUTSIDE_POINTER)) {
        // A path that ends a sentence or a clause keeps its punctuation out of the message.
        const target = match.replace(/[.,;:]+$/, '');
        broken.push({ file, line: i + 1, target, reason: 'points outside the repository, which a clone does not have; describe it in docs/ or name a file of the repository' });
      }
    });
  }
  return broken;
}

/**
 * The files of the repository under `root`, relative to it and sorted: every file except `.git` and
 * what `.gitignore` ignores. Read without git (no child process): each pattern of `.gitignore` is
 * matched against the name of a file or folder at any depth, which is what git does for a pattern
 * without an inner slash, and an ignored folder is not entered. Negated patterns (`!`) are not read,
 * so at worst a file git ignores is checked too.
 */
export function repositoryFiles(root: string): string[] {
  const gitignore = existsSync(path.join(root, '.gitignore')) ? readFileSync(path.join(root, '.gitignore'), 'utf8') : '';
  const patterns = gitignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map((l) => l.replace(/^\//, '').replace(/\/$/, ''))
    .map((l) => new RegExp(`^${l.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`));
  const ignored = (name: string) => name === '.git' || patterns.some((p) => p.test(name));
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true }) as Dirent[]) {
      if (ignored(entry.name)) continue;
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.isFile()) files.push(relative);
    }
  };
  walk('');
  return files.sort();
}

/** README.md and docs/*.md, relative to `root`. */
export function markdownFiles(root: string): string[] {
  const docs = existsSync(path.join(root, 'docs')) ? readdirSync(path.join(root, 'docs')).filter((n) => n.endsWith('.md')) : [];
  return [FRONT_PAGE, ...docs.sort().map((n) => `docs/${n}`)];
}

/** The files of {@link POINTER_SOURCES} that exist under `root`, relative to it. */
export function pointerFiles(root: string): string[] {
  const below = (dir: string, ext: RegExp): string[] =>
    existsSync(path.join(root, dir))
      ? readdirSync(path.join(root, dir), { recursive: true })
          .map(String)
          .filter((f) => ext.test(f))
          .map((f) => path.join(dir, f))
      : [];
  return [
    ...POINTER_SOURCES.folders.flatMap((d) => below(d, /\.ts$/)),
    ...POINTER_SOURCES.files.filter((f) => existsSync(path.join(root, f))),
    ...below(POINTER_SOURCES.workflows, /\.ya?ml$/),
  ].sort();
}

/** Links, images and inline-code paths of one Markdown file. */
function checkMarkdown(resolver: Resolver, file: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  let line = 1;
  for (const block of markdown.parse(resolver.read(file), {})) {
    // Inline tokens in table cells carry no line map; the row or table before them does.
    if (block.map) line = block.map[0] + 1;
    if (block.type !== 'inline') continue;
    for (const child of block.children ?? []) {
      const attribute = child.type === 'link_open' ? child.attrGet('href') : child.type === 'image' ? child.attrGet('src') : null;
      const href = attribute === null ? null : String(attribute);
      if (href !== null && !/^[a-z][a-z0-9+.-]*:/i.test(href)) {
        const reason = resolver.problem(file, href);
        if (reason) broken.push({ file, line, target: href, reason });
      }
      if (child.type === 'code_inline' && resolver.isRepositoryPath(child.content)) {
        const reason = resolver.problem(FRONT_PAGE, child.content);
        if (reason) broken.push({ file, line, target: `\`${child.content}\``, reason });
      }
    }
  }
  return broken;
}

const DOC_POINTER = new RegExp(`(${FRONT_PAGE.replace('.', '\\.')}|docs/[A-Za-z0-9._-]+\\.md)(#[A-Za-z0-9_-]+)?(?:,?[ \\t]+"([^"\\n]+)")?`, 'g');
const BARE_FRONT_PAGE = new RegExp(`\\b${FRONT_PAGE.replace('.md', '')}\\b(?!\\.md)`, 'g');

/** Pointers to Markdown files in one code, workflow or text file. */
function checkPointers(resolver: Resolver, file: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  resolver
    .read(file)
    .split('\n')
    .forEach((text, i) => {
      const line = i + 1;
      for (const [pointer, target, anchor, heading] of text.matchAll(DOC_POINTER)) {
        const reason = resolver.problem(FRONT_PAGE, `${target}${anchor ?? ''}`) ?? (heading === undefined ? undefined : resolver.headingProblem(target, heading));
        if (reason) broken.push({ file, line, target: pointer, reason });
      }
      for (const match of text.matchAll(BARE_FRONT_PAGE)) {
        broken.push({ file, line, target: match[0], reason: `name the file that holds the section: ${FRONT_PAGE}, or docs/<name>.md, with #anchor or "Heading"` });
      }
    });
  return broken;
}

/** Reads files and headings under one root, once each. */
class Resolver {
  private readonly texts = new Map<string, string>();
  private readonly anchors = new Map<string, Set<string>>();
  private readonly topLevel: ReadonlySet<string>;

  constructor(private readonly root: string) {
    // Top-level entries that belong to the repository: not git-ignored (node_modules/, cdktf.out/).
    const gitignore = existsSync(path.join(root, '.gitignore')) ? readFileSync(path.join(root, '.gitignore'), 'utf8') : '';
    const ignored = new Set(gitignore.split('\n').map((l) => l.trim().replace(/^\//, '').replace(/\/$/, '')));
    this.topLevel = new Set(readdirSync(root).filter((n) => n !== '.git' && !ignored.has(n)));
  }

  read(file: string): string {
    let text = this.texts.get(file);
    if (text === undefined) {
      text = readFileSync(path.join(this.root, file), 'utf8');
      this.texts.set(file, text);
    }
    return text;
  }

  /**
   * True for inline code that reads as a path into the repository: `stacks/constructs/network.ts`,
   * `lambda-src/`; not a placeholder (`policy/rules/<service>/*.ts`), a command or an ignored folder.
   */
  isRepositoryPath(code: string): boolean {
    return /^[\w.-]+\/[\w./#-]*$/.test(code) && !code.includes('..') && this.topLevel.has(code.split('/')[0]);
  }

  /** Why `href`, written in `from`, does not resolve; undefined when it does. */
  problem(from: string, href: string): string | undefined {
    const hash = href.indexOf('#');
    const target = hash < 0 ? href : href.slice(0, hash);
    const anchor = hash < 0 ? undefined : href.slice(hash + 1);
    const resolved = target === '' ? from : path.relative(this.root, path.resolve(this.root, path.dirname(from), decodeURIComponent(target)));
    if (resolved.startsWith('..') || path.isAbsolute(resolved)) return 'points outside the repository, where GitHub cannot follow it';
    if (!existsSync(path.join(this.root, resolved))) return `no such file or folder (${resolved})`;
    if (anchor === undefined || !resolved.endsWith('.md') || statSync(path.join(this.root, resolved)).isDirectory()) return undefined;
    return this.anchorsOf(resolved).has(anchor) ? undefined : `${resolved} has no heading with anchor #${anchor}`;
  }

  /** Why `heading` is not a heading of the Markdown file `file`; undefined when it is. */
  headingProblem(file: string, heading: string): string | undefined {
    const anchor = new GithubSlugger().slug(heading);
    return this.anchorsOf(file).has(anchor) ? undefined : `${file} has no heading "${heading}"`;
  }

  private anchorsOf(file: string): Set<string> {
    let set = this.anchors.get(file);
    if (set === undefined) {
      set = new Set(headingAnchors(this.read(file)));
      this.anchors.set(file, set);
    }
    return set;
  }
}
