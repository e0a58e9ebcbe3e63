'use strict';
/**
 * jest's `node` test environment, with one change that saves about a sixth of the time of a test
 * that synthesizes stacks.
 *
 * cdktf records a full stack trace for every token it creates (`Intrinsic` and `Lazy` keep a
 * `creationStack` for the message of a token that fails to resolve) by reading the stack of a plain
 * object (`Error.captureStackTrace(object)` with an unlimited depth). Under jest every such read goes
 * through jest's source-map support, which maps each frame through the source maps of the test's
 * files and of cdktf's own. Here the test file's realm gets:
 * - an `Error.prepareStackTrace` that keeps jest's mapping for errors, so failure messages still
 *   name TypeScript lines, and formats the stacks of plain objects as V8 does, without mapping;
 * - an `Error.captureStackTrace` that records at most {@link CREATION_STACK_FRAMES} frames of a
 *   plain object's stack, whatever `Error.stackTraceLimit` the caller set. Errors keep theirs.
 */
// jest-environment-node is jest's own `node` environment, a declared dev dependency at jest's version.
const { TestEnvironment } = require('jest-environment-node');
const { isNativeError } = require('node:util').types;

/**
 * How many frames of a plain object's stack are recorded. A cdktf token's creation stack is some
 * 25 frames deep under jest, the lower half jest's own; the top ten reach from cdktf into the
 * construct and the test that made the token. Recording and formatting every frame cost about a
 * tenth of the CPU of `npm run test:unit` (1.6 of 18.7 s, measured in band).
 */
const CREATION_STACK_FRAMES = 10;

class NodeEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    const workerError = Error;
    const testError = this.global.Error;
    testError.prepareStackTrace = (target, frames) => {
      // jest installs its formatter on the worker's Error after the environment is set up: look it up per call.
      const map = workerError.prepareStackTrace;
      if (isNativeError(target) && typeof map === 'function') return map(target, frames);
      return [String(target), ...frames.map((frame) => `    at ${frame}`)].join('\n');
    };
    const captureStackTrace = testError.captureStackTrace;
    testError.captureStackTrace = function captureStackTraceOfPlainObject(target, below) {
      if (isNativeError(target)) return captureStackTrace(target, below ?? captureStackTraceOfPlainObject);
      const limit = testError.stackTraceLimit;
      testError.stackTraceLimit = Math.min(limit, CREATION_STACK_FRAMES);
      try {
        return captureStackTrace(target, below ?? captureStackTraceOfPlainObject);
      } finally {
        testError.stackTraceLimit = limit;
      }
    };
  }
}

module.exports = NodeEnvironment;
