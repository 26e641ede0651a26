import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedAppsTesting
import SupportChat

/// A user-owned table declared only for this test, secured by the owner-RLS kind.
private enum NotesModule {
    static let table = Table("public", "rls_notes") {
        Column("id", .bigint, nullable: false, identity: .always)
        Column("user_id", .uuid, nullable: false)
        Column("body", .text, nullable: false)
        Column("likes", .integer, nullable: false, default: "0")
        PrimaryKey("id")
        ForeignKey(["user_id"], references: QualifiedName("auth", "users"), ["id"], onDelete: .cascade)
        Index("user_id")
    }
    static let security = RowLevelSecurity.owner(table, insertColumns: ["user_id", "body"], updateColumns: ["body"], delete: true)

    static func catalog() throws -> Catalog {
        let base = try projectCatalog()
        let notes = Module("rls_notes", dependsOn: ["core", "auth"], summary: "test notes",
                           migrations: [Migration(module: "rls_notes", version: 1, name: "rls_notes", source: "test", steps: table.createSteps())],
                           repeatables: security.repeatableObjects())
        return try Catalog(modules: base.modules + [notes], defaultModules: base.defaultModules + ["rls_notes"], linearHistory: base.linearHistory)
    }
}

@Suite("Owner row-level security")
struct OwnerRowLevelSecurityTests {
    @Test("renders RLS, a clean slate of grants, and (select auth.uid()) policies per command")
    func rendering() {
        let objects = NotesModule.security.repeatableObjects()
        #expect(objects.map(\.kind) == [.tableSecurity, .policy, .policy, .policy, .policy])
        let grants = objects[0].statements
        #expect(grants[0] == "ALTER TABLE \"public\".\"rls_notes\" ENABLE ROW LEVEL SECURITY")
        #expect(grants[1] == "REVOKE ALL ON TABLE \"public\".\"rls_notes\" FROM PUBLIC, \"anon\", \"authenticated\", \"service_role\"")
        #expect(grants.contains("GRANT UPDATE (\"body\") ON TABLE \"public\".\"rls_notes\" TO \"authenticated\""))
        #expect(objects[3].statements[1].contains("USING ((SELECT \"auth\".\"uid\"()) = \"user_id\")\n    WITH CHECK ((SELECT \"auth\".\"uid\"()) = \"user_id\")"))
        #expect(objects[0].dropStatements.isEmpty, "RLS is never switched off by pruning")
    }

    @Test("A never reads or changes B's rows; counters and owners are not writable; anon gets nothing")
    func matrix() async throws {
        let database = try await ThrowawayPostgres.shared().makeDatabase(from: nil)
        let connection = try await database.connect(logger: quietLogger)
        try await Migrator(catalog: try NotesModule.catalog(), logger: quietLogger).migrate(on: connection)
        try await connection.close()
        let client = try await InvariantsClient.connect(url: database.url, logger: quietLogger)
        defer { client.close() }
        let a = try await client.makeUser(), b = try await client.makeUser()

        try await client.run(as: .user(a)) { conn in
            try await conn.query("INSERT INTO public.rls_notes (user_id, body) VALUES (\(a), 'mine')", logger: quietLogger)
        }
        let foreign = await #expect(throws: InvariantsError.self) {
            try await client.run(as: .user(a)) { conn in
                try await conn.query("INSERT INTO public.rls_notes (user_id, body) VALUES (\(b), 'planted')", logger: quietLogger)
            }
        }
        #expect(foreign?.kind == .insufficientPrivilege, "inserting with another user's id fails")

        let seenByB = try await client.run(as: .user(b)) { conn in
            try await conn.scalar("SELECT count(*) FROM public.rls_notes", as: Int64.self)
        }
        #expect(seenByB == 0)
        try await client.run(as: .user(b)) { conn in
            try await conn.query("UPDATE public.rls_notes SET body = 'hijacked'", logger: quietLogger)
            try await conn.query("DELETE FROM public.rls_notes", logger: quietLogger)
        }
        #expect(try await client.scalar("SELECT body FROM public.rls_notes", as: String.self) == "mine", "B's update and delete touched 0 rows")

        for (what, sql) in [
            ("re-owning", "UPDATE public.rls_notes SET user_id = '\(b.uuidString)'"),
            ("a counter", "UPDATE public.rls_notes SET likes = 1000"),
            ("truncate", "TRUNCATE public.rls_notes"),
        ] {
            let error = await #expect(throws: InvariantsError.self, "\(what)") {
                try await client.run(as: .user(a)) { conn in try await conn.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger) }
            }
            #expect(error?.kind == .insufficientPrivilege, "\(what): \(error?.message ?? "")")
        }
        let anon = await #expect(throws: InvariantsError.self) {
            try await client.run(as: .anonymous) { conn in try await conn.query("SELECT * FROM public.rls_notes", logger: quietLogger) }
        }
        #expect(anon?.kind == .insufficientPrivilege)
        let all = try await client.run(as: .service) { conn in try await conn.scalar("SELECT count(*) FROM public.rls_notes", as: Int64.self) }
        #expect(all == 1)

        // Concurrent sessions: A and B insert and read at once; each sees exactly their own.
        let counts = try await withThrowingTaskGroup(of: (UUID, Int64).self) { group in
            for i in 0..<16 {
                let me = i.isMultiple(of: 2) ? a : b
                group.addTask {
                    try await client.run(as: .user(me)) { conn in
                        try await conn.query("INSERT INTO public.rls_notes (user_id, body) VALUES (\(me), 'x')", logger: quietLogger)
                        return (me, try await conn.scalar("SELECT count(*) FROM public.rls_notes WHERE user_id <> \(me)", as: Int64.self))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts.allSatisfy { $0.1 == 0 }, "no session ever saw the other user's rows")
        #expect(try await client.scalar("SELECT count(*) FROM public.rls_notes", as: Int64.self) == 17)
    }
}
