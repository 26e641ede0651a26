// PLACEHOLDER for the issue-4 foundation (branch seed003 only): a minimal Supabase auth shim
// as migration 2, so ChatLogsModule can be tested before main's AuthModule lands.
// When merging main into seed003: DELETE THIS FILE, keep main's AuthModule, and renumber
// ChatLogsModule to version 4 (after model_work_record, 3).
public import InvariantsSchema

/// Supabase's roles, `auth.users` and `auth.uid()`, created only where absent.
public enum AuthModule {
    public static var migration: Migration {
        Migration(
            version: 2, name: "auth_shim", source: "InvariantsCatalog.AuthModule.migration",
            steps: [
                MigrationStep("""
                    DO $$
                    BEGIN
                        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN
                            CREATE ROLE anon NOLOGIN;
                        END IF;
                        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
                            CREATE ROLE authenticated NOLOGIN;
                        END IF;
                        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
                            CREATE ROLE service_role NOLOGIN BYPASSRLS;
                        END IF;
                    END
                    $$
                    """),
                MigrationStep("CREATE SCHEMA IF NOT EXISTS auth"),
                MigrationStep("""
                    CREATE TABLE IF NOT EXISTS auth.users (
                        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                        email text,
                        created_at timestamptz NOT NULL DEFAULT now()
                    )
                    """),
                MigrationStep("""
                    CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
                        SELECT pg_catalog.nullif(coalesce(
                            pg_catalog.current_setting('request.jwt.claim.sub', true),
                            (pg_catalog.nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
                        ), '')::uuid
                    $$
                    """),
                MigrationStep("GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role"),
                MigrationStep("GRANT EXECUTE ON FUNCTION auth.uid() TO anon, authenticated, service_role"),
            ]
        )
    }
}
