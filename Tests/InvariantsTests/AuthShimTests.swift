import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedAppsTesting
import SupportChat

@Suite("Supabase-compatible auth shim")
struct AuthShimTests {
    @Test("roles and auth.* functions behave as Supabase's, reading transaction-local claims")
    func plainPostgres() async throws {
        try await withCatalogClient { client, _ in
            let roles = try await client.query("""
                SELECT rolname, rolcanlogin, rolbypassrls FROM pg_roles
                WHERE rolname IN ('anon', 'authenticated', 'service_role') ORDER BY rolname
                """).map { try $0.decode((String, Bool, Bool).self) }
            #expect(roles.map(\.0) == ["anon", "authenticated", "service_role"])
            #expect(roles.allSatisfy { !$0.1 }, "request roles cannot log in")
            #expect(roles.map(\.2) == [false, false, true], "only service_role bypasses RLS")

            let id = UUID()
            let (uid, role, email, sub) = try await client.run(as: .user(id, email: "a@example.com")) { conn in
                try await conn.firstRow("SELECT auth.uid(), auth.role(), auth.email(), auth.jwt() ->> 'sub'").decode((UUID, String, String, String).self)
            }
            #expect(uid == id && role == "authenticated" && email == "a@example.com" && sub == id.uuidString.lowercased())

            // The older single-claim form, and empty settings meaning NULL.
            let old = try await client.transaction { conn in
                try await conn.query("SELECT set_config('request.jwt.claim.sub', \(id.uuidString), true)", logger: quietLogger)
                return try await conn.scalar("SELECT auth.uid()", as: UUID.self)
            }
            #expect(old == id)
            let empty = try await client.transaction { conn in
                try await conn.query("SELECT set_config('request.jwt.claims', '', true), set_config('request.jwt.claim.sub', '', true)", logger: quietLogger)
                return try await conn.scalar("SELECT auth.uid() IS NULL AND auth.jwt() IS NULL", as: Bool.self)
            }
            #expect(empty)
        }
    }

    @Test("on a Supabase-like database the existing auth objects are kept, not replaced")
    func supabasePath() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let connection = try await database.connect(logger: quietLogger)
        defer { Task { try? await connection.close() } }
        let theirs = UUID(uuidString: "00000000-0000-0000-0000-0000000000aa")!
        for sql in [
            "CREATE SCHEMA auth",
            "CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, phone text, raw_user_meta_data jsonb)",
            "CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT '\(theirs.uuidString)'::uuid $$",
        ] { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger) }

        let report = try await Migrator(catalog: try projectCatalog(), logger: quietLogger).migrate(on: connection)
        #expect(report.appliedMigrations.contains("auth/0001_auth_shim.sql"))
        // auth 2 replaces only the shim's own auth.uid() (issue 16, finding 13).
        #expect(report.appliedMigrations.contains("auth/0002_auth_uid_claim_errors.sql"))
        #expect(try await connection.scalar("SELECT auth.uid()", as: UUID.self) == theirs, "Supabase's auth.uid() is untouched")
        #expect(try await connection.scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'users' AND column_name = 'phone'", as: Int64.self) == 1)
        #expect(try await connection.scalar("SELECT to_regprocedure('auth.role()') IS NOT NULL", as: Bool.self), "missing pieces are added")
    }

    @Test("on a server without the request roles, the migration creates them")
    func freshServerCreatesRoles() async throws {
        let server = try await ThrowawayPostgres.start()
        defer { Task { try? await server.stop() } }
        let connection = try await server.connect(database: "postgres", logger: quietLogger)
        #expect(try await connection.scalar("SELECT count(*) FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')", as: Int64.self) == 0)
        try await Migrator(catalog: try projectCatalog(), logger: quietLogger).migrate(on: connection)
        #expect(try await connection.scalar("SELECT count(*) FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')", as: Int64.self) == 3)
        try await connection.close()
    }
}

@Suite("Acting as a user")
struct UserContextTests {
    @Test("two users interleaved on one pooled connection never see each other's claims")
    func interleavedOnOneConnection() async throws {
        try await withCatalogClient(maximumConnections: 1) { client, _ in
            let a = UUID(), b = UUID()
            let results = try await withThrowingTaskGroup(of: (UUID, UUID?, String, Int32).self) { group in
                for i in 0..<40 {
                    let me = i.isMultiple(of: 2) ? a : b
                    group.addTask {
                        try await client.run(as: .user(me)) { conn in
                            let (uid, role, pid) = try await conn.firstRow("SELECT auth.uid(), current_user::text, pg_backend_pid()").decode((UUID?, String, Int32).self)
                            return (me, uid, role, pid)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 40)
            #expect(results.allSatisfy { $0.0 == $0.1 }, "every call saw its own user")
            #expect(results.allSatisfy { $0.2 == "authenticated" })
            #expect(Set(results.map(\.3)).count == 1, "all on the same server connection")

            // Nothing survives COMMIT or ROLLBACK on that connection.
            _ = try? await client.run(as: .user(a)) { conn in
                try await conn.query("SELECT 1 / 0", logger: quietLogger)
            }
            let (uid, role, claims) = try await client.firstRow("SELECT auth.uid(), current_user::text, current_setting('request.jwt.claims', true)").decode((UUID?, String, String?).self)
            #expect(uid == nil && role == "postgres" && (claims ?? "").isEmpty)
        }
    }

    @Test("claims travel as bind parameters: a hostile email is data, not SQL")
    func hostileClaims() async throws {
        try await withCatalogClient { client, _ in
            let hostile = "x'), set_config('role', 'postgres', true); --\"}"
            let (email, role) = try await client.run(as: .user(UUID(), email: hostile)) { conn in
                try await conn.firstRow("SELECT auth.email(), current_user::text").decode((String, String).self)
            }
            #expect(email == hostile && role == "authenticated")
        }
    }
}
