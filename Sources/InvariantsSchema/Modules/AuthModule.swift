
/// Supabase's auth conventions, created only where absent, so the same migrations run on
/// Supabase (which has them) and on plain PostgreSQL (which gets this shim):
/// roles `anon`, `authenticated` (NOLOGIN) and `service_role` (NOLOGIN, BYPASSRLS); schema
/// `auth` with `auth.users`; `auth.uid()`, `auth.role()`, `auth.email()`, `auth.jwt()`
/// reading the transaction-local claims (`request.jwt.claims`, and the older
/// `request.jwt.claim.*` settings; an empty setting means NULL), as Supabase defines them.
///
/// The functions are created in this migration, not in the repeatable set: on Supabase
/// they belong to Supabase and must never be replaced.
public enum AuthModule {
    static let source = "InvariantsSchema.AuthModule.migration"

    /// `CREATE ROLE` unless it exists. Roles are cluster-wide: two databases migrating at
    /// once may race, so a concurrent creation counts as success.
    static func createRoleIfAbsent(_ role: DatabaseRole, attributes: String) -> String {
        "DO " + DollarQuote.quote("""
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = \(SQLText.literal(role.rawValue))) THEN
                    CREATE ROLE \(role.sql) \(attributes);
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END
            """, base: "role")
    }

    /// A claim as Supabase reads it: the single setting `request.jwt.claim.<name>` (older
    /// PostgREST) or the field of the JSON in `request.jwt.claims`.
    static func claim(_ name: String) -> String {
        """
        COALESCE(
                NULLIF(pg_catalog.current_setting('request.jwt.claim.\(name)', true), ''),
                (NULLIF(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> '\(name)')
            )
        """
    }

    static let functions: [(name: String, returns: String, body: String)] = [
        ("uid", "uuid", "SELECT \(claim("sub"))::uuid"),
        ("role", "text", "SELECT \(claim("role"))::text"),
        ("email", "text", "SELECT \(claim("email"))::text"),
        ("jwt", "jsonb", """
            SELECT COALESCE(
                    NULLIF(pg_catalog.current_setting('request.jwt.claim', true), ''),
                    NULLIF(pg_catalog.current_setting('request.jwt.claims', true), '')
                )::jsonb
            """),
    ]

    /// Creates `auth.<name>()` unless a function of that name and no arguments exists.
    static func createFunctionIfAbsent(name: String, returns: String, body: String) -> String {
        let function = StoredFunction(QualifiedName("auth", name), returns: returns, language: "sql",
                                      volatility: .stable, searchPath: [], body: body)
        let replace = "CREATE OR REPLACE FUNCTION"
        let create = "CREATE FUNCTION" + function.createSQL.dropFirst(replace.count)
        return "DO " + DollarQuote.quote("""
            BEGIN
                IF pg_catalog.to_regprocedure(\(SQLText.literal("auth.\(name)()"))) IS NULL THEN
                    EXECUTE \(DollarQuote.quote(create, base: "create"));
                    EXECUTE \(SQLText.literal("GRANT EXECUTE ON FUNCTION auth.\(name)() TO anon, authenticated, service_role"));
                END IF;
            END
            """, base: "shim")
    }

    public static var module: Module {
        Module("auth", dependsOn: ["core"], summary: "Supabase-compatible roles, auth.users and auth.uid() where absent",
               migrations: [migration, AuthClaimErrors.migration])
    }

    public static var migration: Migration {
        let users = QualifiedName("auth", "users")
        return Migration(
            module: "auth", version: 1, name: "auth_shim", source: source,
            steps: [
                MigrationStep(createRoleIfAbsent(.anon, attributes: "NOLOGIN NOINHERIT")),
                MigrationStep(createRoleIfAbsent(.authenticated, attributes: "NOLOGIN NOINHERIT")),
                MigrationStep(createRoleIfAbsent(.serviceRole, attributes: "NOLOGIN NOINHERIT BYPASSRLS")),
                Schema("auth").createStep(),
                MigrationStep("""
                    CREATE TABLE IF NOT EXISTS \(users.sql) (
                        "id"         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
                        "email"      text        UNIQUE,
                        "created_at" timestamptz NOT NULL DEFAULT now()
                    )
                    """),
                MigrationStep("GRANT USAGE ON SCHEMA \(SQLText.identifier("auth")) TO \(DatabaseRole.allSQL)"),
                MigrationStep("GRANT USAGE ON SCHEMA \(SQLText.identifier("public")) TO \(DatabaseRole.allSQL)"),
            ] + functions.map { MigrationStep(createFunctionIfAbsent(name: $0.name, returns: $0.returns, body: $0.body)) }
        )
    }
}
