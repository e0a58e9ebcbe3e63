'use strict';
/**
 * jest's module runtime (jest-runtime 30), with V8's code cache for the CommonJS modules it compiles
 * and one read of each dependency's source per worker.
 *
 * jest gives every test file its own module registry, so each file compiles cdktf, zod and the
 * provider's resource classes again (`vm.compileFunction`: some 9 MB of JavaScript for a file that
 * synthesizes a stack). Here the first compile of a source produces V8's code cache
 * (`produceCachedData`) and later compiles of the same source consume it (`cachedData`), which
 * skips parsing it again. A cache is used only for the very source (as jest transformed it) it was
 * made from, so a changed file is compiled afresh:
 * - in the worker's memory, for every module: by file name, with the source it was made from;
 * - on disk, in node_modules/.cache/jest-code-cache/, named by a SHA-1 of file name and source,
 *   for modules under node_modules only, so
 *   later runs start warm. `npm ci` empties it with node_modules; our own files, which change
 *   with every edit, never reach the disk. A file is written to a temporary name and renamed, so
 *   two workers never read half of one; an unreadable or rejected cache is compiled afresh.
 *
 * jest also reads every module's source again for each test file, and `stat`s it to look up its
 * transform; the sources of files under node_modules, which do not change during a run, and their
 * transforms are kept in the worker's memory instead.
 *
 * Core modules, and any source this compile rejects, go to jest-runtime's own compile, which
 * reports syntax errors its way. This wraps jest-runtime's internal `executor.compile(source,
 * filename)`, `fileCache.readFile(filename)` and `executor.transformCache.transform(filename,
 * options)` (whose `transforms` and `sourceMaps` it fills as jest does); when a jest upgrade
 * removes any of them, construction fails saying so, rather than silently losing the cache.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

const DISK_CACHE = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'jest-code-cache');
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** File name -> its source and V8 code cache, for this worker's lifetime. */
const codeCache = new Map();

/** File name under node_modules -> its source, for this worker's lifetime. */
const dependencySources = new Map();

/**
 * File name under node_modules and transform options -> jest's transformed file, for this worker's
 * lifetime: jest's own in-memory cache of transforms is keyed by the file's modification time, a
 * `stat` of every module for every test file (about 3% of `test:unit`'s CPU).
 */
const dependencyTransforms = new Map();

/** The disk cache's name for `source` of `filename`: a SHA-1 of both. */
const diskKey = (filename, source) => createHash('sha1').update(filename).update('\0').update(source).digest('hex');

/** The cached code of `source`: from memory, else from disk for a dependency, else undefined. */
function lookup(filename, source, persistent) {
  const inMemory = codeCache.get(filename);
  if (inMemory !== undefined && inMemory.source === source) return inMemory.data;
  if (!persistent) return undefined;
  try {
    const onDisk = fs.readFileSync(path.join(DISK_CACHE, diskKey(filename, source)));
    codeCache.set(filename, { source, data: onDisk });
    return onDisk;
  } catch {
    return undefined;
  }
}

/** Keeps `data` for `source` in memory and, for a dependency, on disk; a failed write only loses the cache. */
function store(filename, source, data, persistent) {
  codeCache.set(filename, { source, data });
  if (!persistent) return;
  const file = path.join(DISK_CACHE, diskKey(filename, source));
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
    const fileCache = this.fileCache;
    const transformCache = executor?.transformCache;
    if (
      typeof executor?.compile !== 'function' ||
      !Array.isArray(executor.injectedModuleParameters) ||
      typeof fileCache?.readFile !== 'function' ||
      typeof transformCache?.transform !== 'function' ||
      !(transformCache.transforms instanceof Map) ||
      !(transformCache.sourceMaps instanceof Map)
    ) {
      throw new Error(
        '__tests__/support/code-cache-runtime.js: jest-runtime no longer has executor.compile, fileCache.readFile or executor.transformCache.transform with its transforms and sourceMaps; update this runtime or remove `runtime` from jest.config.js',
      );
    }
    const jestTransform = transformCache.transform.bind(transformCache);
    transformCache.transform = (filename, options) => {
      if (options?.isInternalModule || !filename.includes(NODE_MODULES)) return jestTransform(filename, options);
      const key = `${filename}\0${JSON.stringify(options ?? {})}`;
      let transformed = dependencyTransforms.get(key);
      if (transformed === undefined) {
        const code = jestTransform(filename, options);
        transformed = transformCache.transforms.get(filename) ?? { code };
        dependencyTransforms.set(key, transformed);
        return code;
      }
      // What jest's transform records for the file, for its source maps and coverage.
      transformCache.transforms.set(filename, transformed);
      if (transformed.sourceMapPath) transformCache.sourceMaps.set(filename, transformed.sourceMapPath);
      return transformed.code;
    };
    const jestReadFile = fileCache.readFile.bind(fileCache);
    fileCache.readFile = (filename) => {
      if (!filename.includes(NODE_MODULES)) return jestReadFile(filename);
      let source = dependencySources.get(filename);
      if (source === undefined) {
        source = jestReadFile(filename);
        dependencySources.set(filename, source);
      }
      return source;
    };
    const jestCompile = executor.compile.bind(executor);
    executor.compile = (source, filename) => {
      const vmContext = executor.environment.getVmContext();
      if (vmContext == null || executor.resolution.isCoreModule(filename)) return jestCompile(source, filename);
      const persistent = filename.includes(NODE_MODULES);
      const cachedData = lookup(filename, source, persistent);
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
      if (cachedData === undefined && compiled.cachedData) store(filename, source, compiled.cachedData, persistent);
      else if (compiled.cachedDataRejected) codeCache.delete(filename);
      return compiled;
    };
  }
}

module.exports = CodeCacheRuntime;
