public import InvariantsSchema

// TEMPORARY stand-in for the lead's AuthModule (issue 4 foundation, migration 2), so that
// seed 000 can be built and tested before the foundation lands on main. On `git merge main`
// take main's version of this file.

/// Supabase's auth conventions on plain PostgreSQL, created only where absent.
public enum AuthModule {
    public static var migration: Migration {
        Migration(
            version: 2, name: "auth_shim", source: "InvariantsCatalog.AuthModule.migration",
            steps: [
                MigrationStep("""
                    DO $$
                    BEGIN
                        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
                        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
                        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN BYPASSRLS; END IF;
                    END
                    $$
                    """),
                MigrationStep("CREATE SCHEMA IF NOT EXISTS auth"),
                MigrationStep("GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role"),
                MigrationStep("""
                    CREATE TABLE IF NOT EXISTS auth.users (
                        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                        email text,
                        created_at timestamptz NOT NULL DEFAULT now()
                    )
                    """),
                MigrationStep("""
                    CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
                        SELECT coalesce(
                            nullif(current_setting('request.jwt.claim.sub', true), ''),
                            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
                        )::uuid
                    $$
                    """),
                MigrationStep("""
                    CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
                        SELECT coalesce(
                            nullif(current_setting('request.jwt.claim.role', true), ''),
                            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
                        )::text
                    $$
                    """),
                MigrationStep("GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role"),
            ]
        )
    }

    public static var repeatables: [RepeatableObject] { [] }
}
