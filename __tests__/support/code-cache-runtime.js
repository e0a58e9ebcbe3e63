'use strict';
/**
 * jest's module runtime (jest-runtime 30), with V8's code cache for the CommonJS modules it compiles.
 *
 * jest gives every test file its own module registry, so each file compiles cdktf, zod and the
 * provider's resource classes again (`vm.compileFunction`: some 9 MB of JavaScript for a file that
 * synthesizes a stack). Here the first compile of a source produces V8's code cache
 * (`produceCachedData`) and later compiles of the same source consume it (`cachedData`), which
 * skips parsing it again. The cache is keyed by file name and a SHA-1 of the source as jest
 * transformed it, so a changed file is compiled afresh:
 * - in the worker's memory, for every module;
 * - on disk, in node_modules/.cache/jest-code-cache/, for modules under node_modules only, so
 *   later runs start warm. `npm ci` empties it with node_modules; our own files, which change
 *   with every edit, never reach the disk. A file is written to a temporary name and renamed, so
 *   two workers never read half of one; an unreadable or rejected cache is compiled afresh.
 *
 * Core modules, and any source this compile rejects, go to jest-runtime's own compile, which
 * reports syntax errors its way. This wraps jest-runtime's internal `executor.compile(source,
 * filename)`; when a jest upgrade removes it, construction fails saying so, rather than silently
 * losing the cache.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

const DISK_CACHE = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'jest-code-cache');
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** SHA-1 of file name and source -> V8 code cache, for this worker's lifetime. */
const codeCache = new Map();

/** The cached code of `key`: from memory, else from disk for a dependency, else undefined. */
function lookup(key, persistent) {
  const inMemory = codeCache.get(key);
  if (inMemory !== undefined || !persistent) return inMemory;
  try {
    const onDisk = fs.readFileSync(path.join(DISK_CACHE, key));
    codeCache.set(key, onDisk);
    return onDisk;
  } catch {
    return undefined;
  }
}

/** Keeps `data` for `key` in memory and, for a dependency, on disk; a failed write only loses the cache. */
function store(key, data, persistent) {
  codeCache.set(key, data);
  if (!persistent) return;
  const file = path.join(DISK_CACHE, key);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(DISK_CACHE, { recursive: true });
    fs.writeFileSync(temporary, data);
    fs.renameSync(temporary, file);
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

class CodeCacheRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    const executor = this.executor;
    if (typeof executor?.compile !== 'function' || !Array.isArray(executor.injectedModuleParameters)) {
      throw new Error('__tests__/support/code-cache-runtime.js: jest-runtime no longer has executor.compile; update this runtime or remove `runtime` from jest.config.js');
    }
    const jestCompile = executor.compile.bind(executor);
    executor.compile = (source, filename) => {
      const vmContext = executor.environment.getVmContext();
      if (vmContext == null || executor.resolution.isCoreModule(filename)) return jestCompile(source, filename);
      const key = createHash('sha1').update(filename).update('\0').update(source).digest('hex');
      const persistent = filename.includes(NODE_MODULES);
      const cachedData = lookup(key, persistent);
      let compiled;
      try {
        compiled = vm.compileFunction(source, executor.injectedModuleParameters, {
          filename,
          parsingContext: vmContext,
          importModuleDynamically: (specifier, _function, importAttributes, phase) =>
            executor.dynamicImport(specifier, filename, vmContext, importAttributes, phase),
          ...(cachedData ? { cachedData } : { produceCachedData: true }),
        });
      } catch {
        return jestCompile(source, filename);
      }
      if (cachedData === undefined && compiled.cachedData) store(key, compiled.cachedData, persistent);
      else if (compiled.cachedDataRejected) codeCache.delete(key);
      return compiled;
    };
  }
}

module.exports = CodeCacheRuntime;
