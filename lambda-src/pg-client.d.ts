/**
 * `pg/lib/client`, the module whose export `pg` re-exports as `Client` (pg's package.json exports
 * `./lib/*`; @types/pg declares only the package root). db.ts imports it directly so the bundle
 * leaves out the native driver's wrapper, which `pg`'s index adds.
 */
declare module 'pg/lib/client' {
  import { Client } from 'pg';
  export = Client;
}

/**
 * `pg-pool`, the package whose class `pg` re-exports as `Pool` (with `pg`'s `Client` bound to it);
 * @types/pg declares it as `Pool`. db.ts passes its own `Client` subclass in the `Client` option.
 */
declare module 'pg-pool' {
  import { Pool } from 'pg';
  export = Pool;
}
