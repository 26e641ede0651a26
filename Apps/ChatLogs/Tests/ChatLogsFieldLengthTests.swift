import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import SeedAppsTesting

/// Issue 16, finding 13: an overlong display name or note is refused naming the field (a named
/// check, 23514), no longer with 22001 ("value too long for type character varying"), which
/// names none; the type change rewrote nothing and kept every row and the view over it.
@Suite("Seed 003: display name and note limits name the field")
struct ChatLogsFieldLengthTests {
    @Test("over 100 / 500 characters: 23514 naming the check; at the limit it is kept")
    func namedLimits() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let name101 = String(repeating: "n", count: 101), note501 = String(repeating: "ü", count: 501)
            let profile = await #expect(throws: InvariantsError.self) {
                try await f.sql("INSERT INTO public.profiles (id, display_name) VALUES (\(f.alice), \(name101))", as: .user(f.alice))
            }
            #expect(profile?.sqlState == "23514")
            #expect(profile?.constraint == "profiles_display_name_length")
            #expect(profile?.table == "profiles")
            try await f.sql("INSERT INTO public.profiles (id, display_name) VALUES (\(f.alice), \(String(repeating: "n", count: 100)))",
                            as: .user(f.alice))
            let rename = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.profiles SET display_name = \(name101) WHERE id = \(f.alice)", as: .user(f.alice))
            }
            #expect(rename?.constraint == "profiles_display_name_length")

            let log = try await f.log(f.alice)
            let note = await #expect(throws: InvariantsError.self) {
                try await f.sql("INSERT INTO public.saved_chats (user_id, chat_log_id, note) VALUES (\(f.alice), \(log), \(note501))",
                                as: .user(f.alice))
            }
            #expect(note?.sqlState == "23514")
            #expect(note?.constraint == "saved_chats_note_length")
            #expect(try await f.count("SELECT count(*) FROM public.saved_chats") == 0)
            let saved = try await f.client.saveChat(log, note: String(repeating: "ü", count: 500), as: .user(f.alice))
            let edit = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.saved_chats SET note = \(note501) WHERE id = \(saved)", as: .user(f.alice))
            }
            #expect(edit?.constraint == "saved_chats_note_length")
            #expect(try await f.count("SELECT char_length(note) FROM public.saved_chats") == 500)
            #expect(try await f.count("SELECT char_length(display_name) FROM public.profiles") == 100)
        }
    }

    @Test("a database migrated before: no rewrite (same relfilenode), rows and the activity view kept, its grants too")
    func upgradeRewritesNothing() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase()
        defer { Task { try? await database.drop() } }
        let catalog = try projectCatalog()
        let before = try catalog.updating("chat_logs") { $0.migrations = Array($0.migrations.prefix(5)) }
        let connection = try await database.connect(logger: quietLogger)
        defer { Task { try? await connection.close() } }
        try await Migrator(catalog: before, options: .init(modules: ["chat_logs"]), logger: quietLogger).migrate(on: connection)
        let user = UUID()
        for sql in [
            "INSERT INTO auth.users (id) VALUES ('\(user)')",
            "INSERT INTO public.profiles (id, display_name) VALUES ('\(user)', '\(String(repeating: "d", count: 100))')",
            "INSERT INTO public.chat_logs (user_id, question, response, cost) VALUES ('\(user)', 'q', 'a', 0.5)",
            "INSERT INTO public.saved_chats (user_id, chat_log_id, note) SELECT user_id, id, 'kept' FROM public.chat_logs",
        ] { _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect() }
        let files = "SELECT string_agg(relname || '=' || relfilenode, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i')"
        let filesBefore = try await connection.scalar(PostgresQuery(unsafeSQL: files), as: String.self)
        #expect(try await connection.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.profiles'::regclass AND attname = 'display_name'", as: String.self) == "character varying(100)")

        let migrator = try Migrator(catalog: catalog, logger: quietLogger)
        let plan = try await migrator.plan(on: connection)
        #expect(plan.appliedRepeatables.isEmpty, "the views are re-created by the migration itself: \(plan.appliedRepeatables)")
        let report = try await migrator.migrate(on: connection)
        #expect(report.appliedMigrations == ["chat_logs/0006_named_field_lengths.sql", "chat_logs/0007_validate_named_field_lengths.sql"])
        #expect(try await connection.scalar(PostgresQuery(unsafeSQL: files), as: String.self) == filesBefore, "no table rewritten, no index rebuilt")
        for column in ["profiles.display_name", "saved_chats.note"] {
            let parts = column.split(separator: ".")
            #expect(try await connection.scalar(PostgresQuery(unsafeSQL: "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.\(parts[0])'::regclass AND attname = '\(parts[1])'"), as: String.self) == "text")
        }
        #expect(try await connection.scalar("SELECT bool_and(convalidated) FROM pg_constraint WHERE conname IN ('profiles_display_name_length', 'saved_chats_note_length')", as: Bool.self))
        #expect(try await connection.scalar("SELECT note FROM public.saved_chats", as: String.self) == "kept")
        #expect(try await connection.scalar("SELECT questions FROM public.v_chat_activity_by_user WHERE display_name = \(String(repeating: "d", count: 100))", as: Int64.self) == 1)
        #expect(try await connection.scalar("SELECT has_table_privilege('authenticated', 'public.v_chat_activity_by_user', 'SELECT') AND NOT has_table_privilege('anon', 'public.v_chat_activity_by_user', 'SELECT')", as: Bool.self))
        #expect(try await connection.scalar("SELECT (reloptions @> ARRAY['security_invoker=true'])::bool FROM pg_class WHERE oid = 'public.v_chat_activity_by_user'::regclass", as: Bool.self))
        #expect(try await migrator.status(on: connection).isUpToDate)
    }
}
