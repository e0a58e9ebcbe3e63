-- The database role of the application function: it runs the actions of lambda-src/actions.ts
-- (ACTION_SPECS), which read only what PostgreSQL lets every role read (version(), now(),
-- pg_stat_ssl for the session's own backend, information_schema.tables), so it needs to log in and
-- connect to this database, and nothing else: no privilege on any schema or table.
-- `tables` lists what the role may see, which is none of the tables until a migration grants it some.
--
-- A role belongs to the whole server, not to one database: created here unless an earlier run on
-- another database of the server made it, and refused if it has since gained any power.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_reader') THEN
    CREATE ROLE app_reader LOGIN;
  ELSIF EXISTS (
    SELECT FROM pg_roles WHERE rolname = 'app_reader'
      AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls OR NOT rolcanlogin)
  ) THEN
    RAISE EXCEPTION 'role app_reader exists with other attributes than LOGIN alone'
      USING HINT = 'give it back NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS LOGIN, or drop it';
  END IF;
END
$$;

-- PostgreSQL grants every role (PUBLIC) CONNECT and TEMPORARY on a new database, and before
-- PostgreSQL 15 CREATE on schema public. Revoked, so that a role has only what is granted to it by
-- name; the owner (the RDS master user) keeps its own rights.
-- https://www.postgresql.org/docs/current/ddl-priv.html#PRIVILEGES-SUMMARY-TABLE
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO app_reader', current_database());
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- On RDS, membership of rds_iam makes the role log in with IAM authentication tokens instead of a
-- password. The role rds_iam exists only on RDS, so that the migration also runs on plain PostgreSQL.
-- https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.DBAccounts.html#UsingWithRDS.IAMDBAuth.DBAccounts.PostgreSQL
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO app_reader;
  END IF;
END
$$;
