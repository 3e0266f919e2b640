#!/usr/bin/env node
/**
 * Fails when a file of the repository cites a document the repository does not hold: any `*.md` named in code,
 * comments or Markdown (a path is resolved from the citing file's folder, then from the repository root; a bare file
 * name must exist somewhere in the repository, e.g. PROTOCOL.md), any relative Markdown link whose target is missing,
 * and any citation of an issue instead of a file. Run by `npm run lint`; test/foundation/doc-links.test.ts runs it too.
 *
 * Usage: node scripts/check-doc-links.js [root]   (prints one line per broken citation, exit code 1 if any)
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { basename, dirname, join, normalize, relative, sep } = require('node:path');

const SCANNED = /\.(ts|js|mjs|cjs|md|html|css|sh|yml|yaml)$|^\.ci\/run$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'data', 'coverage', '.git', '.tmp']);
/** This checker and its test, which cite missing documents on purpose. */
const SELF = new Set(['scripts/check-doc-links.js', 'test/foundation/doc-links.test.ts']);
/** A file name ending in .md, possibly with a path (`*` and `<placeholder>` allowed as wildcards). */
const MD_CITATION = /(?<![\w.*<>/-])((?:[\w.*<>-]+\/)*[\w.*<>-]*[\w*>]\.md)\b/g;
const MD_LINK = /\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g;
/** `issue "Field layer" §7` and the like: an issue tracker is not part of the repository. */
const ISSUE_CITATION = /\bissue\s+["“][^"”\n]+["”]/gi;

/** Repository files (forward slashes, relative to root): git's list when there is one, else a walk of the tree. */
function listFiles(root) {
  try {
    const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\0').filter((f) => f !== '' && existsSync(join(root, f)));
  } catch {
    const files = [];
    const walk = (dir) => {
      for (const name of readdirSync(join(root, dir))) {
        if (SKIPPED_DIRS.has(name)) continue;
        const rel = dir === '' ? name : `${dir}/${name}`;
        if (statSync(join(root, rel)).isDirectory()) walk(rel);
        else files.push(rel);
      }
    };
    walk('');
    return files;
  }
}

function toPosix(p) {
  return p.split(sep).join('/');
}

function globToRegExp(pattern) {
  const body = pattern
    .split(/(\*|<[^>]*>)/)
    .map((part) => (part === '*' || /^<[^>]*>$/.test(part) ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`(^|/)${body}$`);
}

/**
 * The broken citations among `files` (paths relative to `root`), as `file:line: message` strings. Exported for the
 * test, which also feeds it files of its own.
 */
function findBrokenCitations(root, files = listFiles(root)) {
  const all = new Set(files.map(toPosix));
  const basenames = new Set([...all].map((f) => basename(f)));
  const exists = (rel) => {
    const p = toPosix(normalize(rel));
    return all.has(p) || existsSync(join(root, p));
  };
  const resolves = (from, target) => {
    if (/[*<]/.test(target)) {
      const re = globToRegExp(target);
      return [...all].some((f) => re.test(f));
    }
    if (!target.includes('/')) return exists(join(dirname(from), target)) || basenames.has(target);
    const trimmed = target.replace(/^\.\//, '');
    if (exists(join(dirname(from), trimmed)) || exists(trimmed.replace(/^\//, ''))) return true;
    // a partial path, as in `terminal-modbus/PROTOCOL.md §5`: the end of exactly the path of a file that exists
    return !trimmed.startsWith('.') && [...all].some((f) => f.endsWith(`/${trimmed.replace(/^\//, '')}`));
  };
  const problems = [];
  for (const file of [...all].sort()) {
    if (!SCANNED.test(file) || SELF.has(file)) continue;
    const text = readFileSync(join(root, file), 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const at = `${file}:${i + 1}`;
      for (const m of line.matchAll(MD_CITATION)) {
        const target = m[1];
        if (/^https?:/.test(line.slice(Math.max(0, m.index - 8), m.index + 1))) continue;
        if (line.slice(0, m.index).match(/https?:\/\/\S*$/)) continue;
        if (!resolves(file, target)) problems.push(`${at}: cites ${target}, which is not in the repository`);
      }
      for (const m of line.matchAll(ISSUE_CITATION)) {
        problems.push(`${at}: cites ${m[0]}; cite a file of the repository (docs/…) instead`);
      }
      if (file.endsWith('.md')) {
        for (const m of line.matchAll(MD_LINK)) {
          const target = m[1];
          if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.endsWith('.md')) continue; // URLs; .md checked above
          if (!resolves(file, target.replace(/\/$/, '')))
            problems.push(`${at}: links to ${target}, which does not exist`);
        }
      }
    });
  }
  return problems;
}

module.exports = { findBrokenCitations, listFiles };

if (require.main === module) {
  const root = process.argv[2] ?? join(__dirname, '..');
  const problems = findBrokenCitations(root);
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length > 0) {
    process.stderr.write(`${problems.length} citation(s) of documents that are not in the repository\n`);
    process.exit(1);
  }
  process.stdout.write(`doc links: every cited document exists (${relative(process.cwd(), root) || '.'})\n`);
}
