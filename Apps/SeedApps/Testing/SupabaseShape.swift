public import InvariantsTesting
public import PostgresNIO

/// A database shaped as a Supabase project's before the app's first migration, written from
/// Supabase's documented setup (supabase/postgres's initial schema, GoTrue's `auth` tables): the
/// platform roles, `auth` owned by `supabase_auth_admin` with GoTrue's tables (a `bigserial`
/// among them) and its `auth.uid()` family preferring the legacy `request.jwt.claim.sub`,
/// `storage` and `extensions`, and — what matters most here — the default privileges that grant
/// ALL on every new table, sequence and function in `public` to anon, authenticated and
/// service_role. Not Supabase itself (no GoTrue, no PostgREST): its catalog shape.
public enum SupabaseShape {
    /// Roles are cluster-wide and tests share a server: each is created unless it exists.
    public static func createRole(_ name: String, _ attributes: String) -> String {
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(name)') THEN CREATE ROLE \(name) \(attributes); END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
        """
    }

    /// Everything, in order, on an empty database as the superuser.
    public static var statements: [String] {
        [
            createRole("anon", "NOLOGIN NOINHERIT"),
            createRole("authenticated", "NOLOGIN NOINHERIT"),
            createRole("service_role", "NOLOGIN NOINHERIT BYPASSRLS"),
            createRole("authenticator", "LOGIN NOINHERIT"),
            createRole("supabase_admin", "LOGIN CREATEROLE CREATEDB REPLICATION BYPASSRLS"),
            createRole("supabase_auth_admin", "NOINHERIT CREATEROLE LOGIN"),
            createRole("supabase_storage_admin", "NOINHERIT CREATEROLE LOGIN"),
            createRole("dashboard_user", "NOLOGIN CREATEROLE CREATEDB REPLICATION"),
            "GRANT anon, authenticated, service_role TO authenticator",
            "CREATE SCHEMA IF NOT EXISTS extensions",
            "GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role",
            "GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role",
            "CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin",
            """
            CREATE TABLE auth.users (
                instance_id uuid, id uuid NOT NULL PRIMARY KEY, aud varchar(255), role varchar(255), email varchar(255),
                encrypted_password varchar(255), email_confirmed_at timestamptz, invited_at timestamptz,
                confirmation_token varchar(255), confirmation_sent_at timestamptz, recovery_token varchar(255),
                recovery_sent_at timestamptz, email_change varchar(255), last_sign_in_at timestamptz,
                raw_app_meta_data jsonb, raw_user_meta_data jsonb, is_super_admin boolean, created_at timestamptz,
                updated_at timestamptz, phone text UNIQUE, phone_confirmed_at timestamptz, banned_until timestamptz,
                is_anonymous boolean NOT NULL DEFAULT false
            )
            """,
            "CREATE INDEX users_instance_id_email_idx ON auth.users (instance_id, lower(email))",
            """
            CREATE TABLE auth.refresh_tokens (
                instance_id uuid, id bigserial PRIMARY KEY, token varchar(255) UNIQUE, user_id varchar(255),
                revoked boolean, created_at timestamptz, updated_at timestamptz, parent varchar(255), session_id uuid
            )
            """,
            "CREATE TABLE auth.instances (id uuid PRIMARY KEY, uuid uuid, raw_base_config text, created_at timestamptz, updated_at timestamptz)",
            "CREATE TABLE auth.audit_log_entries (instance_id uuid, id uuid PRIMARY KEY, payload json, created_at timestamptz, ip_address varchar(64) NOT NULL DEFAULT '')",
            "CREATE TABLE auth.schema_migrations (version varchar(255) PRIMARY KEY)",
            """
            CREATE TABLE auth.identities (
                provider_id text NOT NULL, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
                identity_data jsonb NOT NULL, provider text NOT NULL, last_sign_in_at timestamptz,
                created_at timestamptz, updated_at timestamptz, email text, id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                UNIQUE (provider_id, provider)
            )
            """,
            "CREATE TABLE auth.sessions (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, created_at timestamptz, updated_at timestamptz, not_after timestamptz)",
            // Supabase's definitions: the legacy single-claim setting first.
            """
            CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
                SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
            $$
            """,
            """
            CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
                SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
            $$
            """,
            """
            CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $$
                SELECT coalesce(nullif(current_setting('request.jwt.claim.email', true), ''),
                                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'))::text
            $$
            """,
            """
            CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
                SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                                nullif(current_setting('request.jwt.claims', true), ''))::jsonb
            $$
            """,
            "ALTER TABLE auth.users OWNER TO supabase_auth_admin",
            "ALTER TABLE auth.refresh_tokens OWNER TO supabase_auth_admin",
            "ALTER TABLE auth.identities OWNER TO supabase_auth_admin",
            "ALTER TABLE auth.sessions OWNER TO supabase_auth_admin",
            "GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role",
            "GRANT ALL ON ALL TABLES IN SCHEMA auth TO supabase_auth_admin, dashboard_user",
            "GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.email(), auth.jwt() TO anon, authenticated, service_role",
            "CREATE SCHEMA storage AUTHORIZATION supabase_storage_admin",
            "CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL, owner uuid, public boolean DEFAULT false)",
            """
            CREATE TABLE storage.objects (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets (id),
                name text, owner uuid, created_at timestamptz DEFAULT now(), metadata jsonb
            )
            """,
            "ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY",
            "GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role",
        ]
    }

    /// A new database shaped as a fresh Supabase project, on a server of its own: the platform
    /// roles are cluster-wide, and tests on the shared server compare the cluster's roles.
    /// The caller stops `server`.
    public static func makeDatabase() async throws -> (server: ThrowawayPostgres, database: TestDatabase) {
        let server = try await ThrowawayPostgres.start()
        let database = try await server.makeDatabase(from: nil)
        let connection = try await database.connect(logger: quietLogger)
        do {
            for sql in statements { _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).get() }
            try await connection.close()
        } catch {
            try? await connection.close()
            try? await server.stop()
            throw error
        }
        return (server, database)
    }

    /// Runs `body` on a connection (as the superuser) to a new Supabase-shaped database
    /// (``makeDatabase()``), then stops its server, whether `body` succeeded or threw.
    public static func withDatabase(_ body: (PostgresConnection, TestDatabase) async throws -> Void) async throws {
        let (server, database) = try await makeDatabase()
        do {
            try await database.withConnection(logger: quietLogger) { connection in try await body(connection, database) }
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }
}
