/**
 * The integration project's jest global setup: starts the one PostgreSQL server the run's test files
 * share (each file in its own role and database, see lambda-fixture.ts) instead of one per file, and
 * hands it to the workers in SHARED_POSTGRES_VARIABLE. It does not wait for the server: the files
 * that need it wait for its status file (postgres.ts), the others start at once.
 * postgres-global-teardown.ts stops it; if jest dies first, the server's process sees its stdin
 * close and stops too (postgres-process.ts).
 */
import { launchTlsPostgres, SHARED_POSTGRES_VARIABLE, type LaunchedPostgres } from '../../local/postgres';

/** Where the teardown finds the server; global setup and teardown share the jest parent's global. */
export const SHARED_POSTGRES_KEY = Symbol.for('workshop-backend.shared-postgres');

export default async function globalSetup(): Promise<void> {
  const launched = await launchTlsPostgres();
  (globalThis as Record<symbol, LaunchedPostgres | undefined>)[SHARED_POSTGRES_KEY] = launched;
  process.env[SHARED_POSTGRES_VARIABLE] = JSON.stringify(launched.info);
}
