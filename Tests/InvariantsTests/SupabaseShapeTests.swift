import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting
import PostgresNIO
import SeedAppsTesting
import Testing

/// Issue 16's findings on a database shaped as a Supabase project (``SupabaseShape``): its
/// `auth` schema is GoTrue's, and its default privileges grant ALL on every new table, sequence
/// and function in `public` to anon and authenticated.
@Suite("Supabase-shaped database: verify, sequences, schema grants, lint")
struct SupabaseShapeTests {
    /// The shaped database with every default module migrated, and a superuser connection to it.
    func withMigratedShape(_ body: (TestDatabase, PostgresConnection) async throws -> Void) async throws {
        let (server, database) = try await SupabaseShape.makeDatabase()
        do {
            let connection = try await database.connect(logger: quietLogger)
            do {
                _ = try await Migrator(catalog: try projectCatalog(), logger: quietLogger).migrate(on: connection)
                try await body(database, connection)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
            try await server.stop()
        } catch {
            try? await server.stop()
            throw error
        }
    }

    @Test("verify compares only what the modules own: GoTrue's auth schema is out of scope, a real difference stays")
    func verifyOnSupabase() async throws {
        try await withMigratedShape { database, connection in
            let verifier = Verifier(catalog: try projectCatalog(), storedLogic: .keep(extensionVersions: nil), logger: quietLogger)
            let url = try DatabaseURL(database.url)
            let clean = try await verifier.verify(url: url)
            #expect(clean.differences.isEmpty, "\(clean.differences.map(\.description).joined(separator: "\n"))")
            #expect(clean.pending.isEmpty)

            // What verify must still see: a grant someone gave anon, and auth.uid() gone.
            try await connection.exec("GRANT UPDATE ON SEQUENCE public.saved_chats_id_seq TO anon")
            try await connection.exec("DROP FUNCTION auth.email()")
            let drift = try await verifier.verify(url: url)
            let found = Set(drift.differences.map { "\($0.change.rawValue) \($0.key)" })
            #expect(found == ["unexpected grant on public.saved_chats_id_seq to anon", "missing function auth.email()"],
                    "\(drift.differences.map(\.description).joined(separator: "\n"))")
        }
    }

    @Test("identity sequences under Supabase's default privileges: anon and authenticated hold nothing, setval is refused")
    func sequenceGrants() async throws {
        try await withMigratedShape { _, connection in
            for sequence in ["public.chat_logs_id_seq", "public.saved_chats_id_seq"] {
                for role in ["anon", "authenticated"] {
                    for privilege in ["USAGE", "SELECT", "UPDATE"] {
                        #expect(try await !connection.fetch("SELECT has_sequence_privilege('\(role)', '\(sequence)', '\(privilege)')", as: Bool.self),
                                "\(role) holds \(privilege) on \(sequence)")
                    }
                }
                #expect(try await connection.fetch("SELECT has_sequence_privilege('service_role', '\(sequence)', 'USAGE')", as: Bool.self))
                #expect(try await !connection.fetch("SELECT has_sequence_privilege('service_role', '\(sequence)', 'UPDATE')", as: Bool.self))
            }
            try await connection.exec("SET ROLE anon")
            let refused = await #expect(throws: PSQLError.self) {
                try await connection.exec("SELECT setval('public.chat_logs_id_seq', 9223372036854775807)")
            }
            #expect(refused?.serverInfo?[.sqlState] == "42501")
            try await connection.exec("RESET ROLE")
            // Users still insert through the identity default (it needs no sequence privilege).
            let user = UUID()
            try await connection.exec("INSERT INTO auth.users (id, email) VALUES ('\(user)', 'seq@example.com')")
            try await connection.exec("""
                INSERT INTO public.chat_logs (user_id, question, response) VALUES ('\(user)', 'q', 'r')
                """)
            #expect(try await connection.fetch("SELECT count(*) FROM public.chat_logs", as: Int64.self) == 1)
        }
    }

    @Test("the security lint is clean on the shaped database and names a sequence grant given back")
    func lintOnSupabase() async throws {
        try await withMigratedShape { _, connection in
            let clean = try await SecurityLint.run(on: connection, logger: quietLogger)
            #expect(clean.isEmpty, "\(clean.map(\.description).joined(separator: "\n"))")
            try await connection.exec("GRANT ALL ON SEQUENCE public.chat_logs_id_seq TO anon")
            try await connection.exec("CREATE TABLE public.tickets (id serial PRIMARY KEY, title text)")
            try await connection.exec("ALTER TABLE public.tickets ENABLE ROW LEVEL SECURITY")
            let findings = try await SecurityLint.run(on: connection, rules: [SecurityLint.sequencePrivileges], logger: quietLogger)
            #expect(Set(findings.map(\.object)) == ["public.chat_logs_id_seq", "public.tickets_id_seq"],
                    "\(findings.map(\.description).joined(separator: "\n"))")
            #expect(findings.allSatisfy { $0.message.contains("REVOKE ALL ON SEQUENCE") })
            #expect(findings.contains { $0.object == "public.chat_logs_id_seq" && $0.message.contains("identity column") })
            #expect(findings.contains { $0.object == "public.tickets_id_seq" && $0.message.contains("setval") })
        }
    }

    @Test("service_role can use what it was granted in schema invariants (drift views, audit, repair)")
    func serviceRoleSchemaUsage() async throws {
        try await withMigratedShape { _, connection in
            try await connection.exec("SET ROLE service_role")
            #expect(try await connection.fetch("SELECT count(*) FROM invariants.gig_responses_drift", as: Int64.self) == 0)
            #expect(try await connection.fetch("SELECT count(*) FROM invariants.counter_repairs", as: Int64.self) == 0)
            try await connection.exec("RESET ROLE")
            for role in ["anon", "authenticated"] {
                #expect(try await !connection.fetch("SELECT has_schema_privilege('\(role)', 'invariants', 'USAGE')", as: Bool.self))
            }
        }
    }

    @Test("unindexed_foreign_keys agrees with Supabase's advisor: an index on the key's columns in another order does not cover it")
    func foreignKeyIndexOrder() async throws {
        let database = try await ThrowawayPostgres.shared().makeDatabase(from: nil)
        let connection = try await database.connect(logger: quietLogger)
        defer { Task { try? await connection.close(); try? await database.drop() } }
        for sql in [
            "CREATE TABLE public.parents (a int, b int, PRIMARY KEY (a, b))",
            "CREATE TABLE public.kids (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES public.parents (a, b))",
            "CREATE INDEX kids_b_a ON public.kids (b, a)",
            "CREATE TABLE public.pets (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES public.parents (a, b))",
            "CREATE INDEX pets_a_b_id ON public.pets (a, b, id)",
        ] { try await connection.exec(sql) }
        let findings = try await SecurityLint.run(on: connection, rules: [SecurityLint.unindexedForeignKeys], logger: quietLogger)
        #expect(findings.map(\.object) == ["public.kids"], "\(findings.map(\.description))")
    }
}

extension PostgresConnection {
    fileprivate func exec(_ sql: String) async throws {
        _ = try await query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect()
    }

    fileprivate func fetch<T: PostgresDecodable>(_ sql: String, as: T.Type) async throws -> T {
        guard let row = try await query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect().first else {
            throw NoRow(sql: sql)
        }
        return try row.decode(T.self)
    }
}

/// A scalar query that returned no row.
private struct NoRow: Error { let sql: String }
