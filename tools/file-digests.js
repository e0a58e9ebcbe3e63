'use strict';
/**
 * SHA-256 digests of files, remembered with each file's size and modification time as git's index
 * does: a file whose size and time are those recorded is not read again. The bundle caches of the
 * synth (synth.js) and of the Lambda (stacks/constructs/lambda-bundle.ts) key their bundles by the
 * content of every input, and with this checking 500 to 600 unchanged inputs costs a `stat` each
 * instead of reading and hashing a few MiB.
 *
 * Plain CommonJS, so synth.js can load it before any TypeScript tooling; `tsc` checks it (checkJs).
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/**
 * @typedef {object} FileDigest What is remembered of one file.
 * @property {number} size Size in bytes when it was hashed.
 * @property {number} mtimeMs Modification time when it was hashed, in milliseconds since the epoch.
 * @property {string} sha256 SHA-256 of its bytes, hex.
 */

/**
 * The digests of `files`, paths relative to `root`. A digest in `known` is reused when the file's
 * size and modification time still match it; any other file is read and hashed.
 *
 * @param {string} root The folder `files` are relative to.
 * @param {readonly string[]} files The files, relative to `root`.
 * @param {Readonly<Record<string, FileDigest>>} [known] Digests from an earlier call, by the same relative paths.
 * @returns {{ digests: Record<string, FileDigest>, hashed: number } | undefined} the digests by
 *   path and how many files had to be read; undefined when a file does not exist
 */
function digestFiles(root, files, known = {}) {
  /** @type {Record<string, FileDigest>} */
  const digests = {};
  let hashed = 0;
  for (const file of files) {
    const absolute = path.join(root, file);
    const stat = fs.statSync(absolute, { throwIfNoEntry: false });
    if (!stat) return undefined;
    const previous = Object.prototype.hasOwnProperty.call(known, file) ? known[file] : undefined;
    if (previous && previous.size === stat.size && previous.mtimeMs === stat.mtimeMs && typeof previous.sha256 === 'string') {
      digests[file] = previous;
      continue;
    }
    hashed += 1;
    digests[file] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: createHash('sha256').update(fs.readFileSync(absolute)).digest('hex') };
  }
  return { digests, hashed };
}

/**
 * The files that stand for everything installed in node_modules: the lock file, and the one npm
 * rewrites whenever it changes what is installed. Vite keys its pre-bundled dependencies the same
 * way; a hand edit inside node_modules is not seen (the caches' users say how to rebuild).
 */
const INSTALLED_PACKAGES_STATE = ['package-lock.json', path.join('node_modules', '.package-lock.json')];

/**
 * The files a bundle's key is computed from, given the inputs esbuild reports (relative to `root`):
 * the project's own inputs, with every file inside node_modules replaced by
 * {@link INSTALLED_PACKAGES_STATE} (those of them that exist). Checking two files instead of the
 * 500-odd package files of a bundle saves about a tenth of a synth.
 *
 * @param {string} root
 * @param {readonly string[]} inputs
 * @returns {string[]} sorted, without duplicates
 */
function keyInputs(root, inputs) {
  const own = inputs.filter((input) => !input.split(/[\\/]/).includes('node_modules'));
  const state = INSTALLED_PACKAGES_STATE.filter((file) => fs.existsSync(path.join(root, file)));
  return [...new Set([...own, ...state])].sort();
}

/**
 * A SHA-256 over every file's path and content digest, in path order, after `salt`: the same
 * contents give the same key wherever the files lie and whatever their times.
 *
 * @param {Readonly<Record<string, FileDigest>>} digests
 * @param {string} [salt] What else the key depends on (tool versions, options), hashed first.
 * @returns {string} hex
 */
function contentKey(digests, salt = '') {
  const hash = createHash('sha256').update(salt).update('\0');
  for (const file of Object.keys(digests).sort()) hash.update(`${file}\0${digests[file].sha256}\0`);
  return hash.digest('hex');
}

/**
 * Reads a JSON file as written by {@link writeFileAtomically}; undefined when it is missing or not JSON.
 * @param {string} file
 * @returns {unknown}
 */
function readJsonFile(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Writes `contents` to a file beside `file` named after this process, then renames it over
 * `file`, so a process running at the same time reads the old file or the new one, never half.
 * @param {string} file
 * @param {string | Uint8Array} contents
 */
function writeFileAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
}

module.exports = { digestFiles, keyInputs, contentKey, readJsonFile, writeFileAtomically, INSTALLED_PACKAGES_STATE };
