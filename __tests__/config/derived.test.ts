import { FREEABLE_MEMORY_FLOOR_BYTES, alarmThresholds } from '../../config/derived';
import { dev, prod } from '../support/environments';
import type { DatabaseConfig, FunctionConfig } from '../../config/types';

const GiB = 1024 ** 3;

describe('alarmThresholds', () => {
  it('derives the prod thresholds from the timeout, the reserved concurrency, the connection budget, storage and memory', () => {
    expect(alarmThresholds(prod.database, prod.functions[0])).toEqual({
      lambdaErrors: 1,
      lambdaThrottles: 1,
      lambdaDurationP99Millis: 8000, // 80% of 10 s
      lambdaConcurrentExecutions: 80, // 80% of the 100 reserved
      dbCpuUtilizationPercent: 80,
      dbFreeStorageBytes: Math.floor(0.1 * 20 * GiB),
      dbFreeableMemoryBytes: Math.floor(0.1 * 4 * GiB), // db.t4g.medium
      dbConnections: 312, // 80% of 400 - 10
    });
  });

  it('watches unreserved concurrency against the connection budget, since each container holds a connection', () => {
    // dev: maxConnections 80, 10 kept for operators, 70 for the Lambda.
    expect(alarmThresholds(dev.database, dev.functions[0])).toMatchObject({ lambdaConcurrentExecutions: 56, dbConnections: 56 });
  });

  it('follows the configuration: a longer timeout raises the duration threshold, more storage the storage one', () => {
    const lambda: FunctionConfig = { ...prod.functions[0], timeoutSeconds: 30 };
    const database: DatabaseConfig = { ...prod.database, allocatedStorageGiB: 100 };
    expect(alarmThresholds(database, lambda)).toMatchObject({ lambdaDurationP99Millis: 24000, dbFreeStorageBytes: 10 * GiB });
  });

  it('falls back to a fixed memory floor for an instance class of unknown memory', () => {
    expect(alarmThresholds({ ...prod.database, instanceClass: 'db.x2g.large' }, prod.functions[0]).dbFreeableMemoryBytes).toBe(FREEABLE_MEMORY_FLOOR_BYTES);
  });

  it('never derives a threshold of zero, even for a reserved concurrency of 1', () => {
    expect(alarmThresholds(prod.database, { ...prod.functions[0], reservedConcurrentExecutions: 1 }).lambdaConcurrentExecutions).toBe(1);
  });
});
