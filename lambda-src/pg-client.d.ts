/**
 * `pg/lib/client`, the module whose export `pg` re-exports as `Client` (pg's package.json exports
 * `./lib/*`; @types/pg declares only the package root). db.ts imports it directly so the bundle
 * leaves out what `pg`'s index adds: `Pool` (pg-pool) and the native driver's wrapper.
 */
declare module 'pg/lib/client' {
  import { Client } from 'pg';
  export = Client;
}
