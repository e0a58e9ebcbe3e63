/**
 * The options of the test PostgreSQL (local/postgres.ts) checked before anything starts. The server
 * itself runs in the integration tests; the rehearsal's function check
 * (__tests__/tools/rehearse/function-check.test.ts) logs a role in through `extraHbaLines`.
 */
import { launchTlsPostgres } from '../../local/postgres';

describe('launchTlsPostgres', () => {
  it.each([
    ['a host line, which would admit connections without TLS', 'host all app_reader 127.0.0.1/32 trust'],
    ['a hostnossl line', 'hostnossl all all 127.0.0.1/32 trust'],
    ['two lines in one', 'hostssl all app_reader 127.0.0.1/32 trust\nhost all all 0.0.0.0/0 trust'],
  ])('rejects %s among extraHbaLines before starting anything', async (_what, line) => {
    await expect(launchTlsPostgres({ extraHbaLines: [line] })).rejects.toThrow(`extraHbaLines must each be one pg_hba.conf line starting with "hostssl"; got ${JSON.stringify(line)}`);
  });
});
