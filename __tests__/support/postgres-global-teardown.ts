/** The integration project's jest global teardown: stops the server postgres-global-setup.ts started. */
import type { LaunchedPostgres } from '../../local/postgres';
import { SHARED_POSTGRES_KEY } from './postgres-global-setup';

export default async function globalTeardown(): Promise<void> {
  const store = globalThis as Record<symbol, LaunchedPostgres | undefined>;
  const launched = store[SHARED_POSTGRES_KEY];
  store[SHARED_POSTGRES_KEY] = undefined;
  await launched?.stop();
}
