import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import SeedAppsTesting

@Suite("Seed 003: row-level security and ownership")
struct ChatLogsSecurityTests {
    @Test("user B cannot see or modify A's logs, favorites or usage")
    func isolation() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let log = try await f.log(f.alice)
            let save = try await f.client.saveChat(log, note: "mine", as: .user(f.alice))
            try await f.client.setDailyCostLimit(Decimal(1), for: f.alice)
            let bob = UserContext.user(f.bob)

            #expect(try await f.client.chatHistory(as: bob).isEmpty)
            #expect(try await f.client.savedChats(as: bob).isEmpty)
            #expect(try await f.client.usage(as: bob).isEmpty)
            #expect(try await f.sql("SELECT 1 FROM public.usage_thresholds", as: bob).isEmpty)

            let remove = await #expect(throws: InvariantsError.self) { try await f.client.removeSavedChat(save, as: bob) }
            #expect(remove?.kind == .notFound)
            let updated = try await f.sql(
                "UPDATE public.saved_chats SET note = 'bob was here' WHERE id = \(save) RETURNING id", as: bob)
            #expect(updated.isEmpty)
            // Re-owning a favorite is not possible: user_id is not updatable by users.
            let reown = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.saved_chats SET user_id = \(f.bob) WHERE id = \(save)", as: .user(f.alice))
            }
            #expect(reown?.kind == .insufficientPrivilege)
            // Logs are written by the service only.
            let logUpdate = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.chat_logs SET question = 'x'", as: bob)
            }
            #expect(logUpdate?.kind == .insufficientPrivilege)
            let forged = await #expect(throws: InvariantsError.self) {
                try await f.sql(
                    "INSERT INTO public.chat_logs (user_id, question, response) VALUES (\(f.bob), 'q', 'r')", as: bob)
            }
            #expect(forged?.kind == .insufficientPrivilege)

            #expect(try await f.count("SELECT count(*) FROM public.saved_chats WHERE note = 'mine'") == 1)
            #expect(try await f.count("SELECT count(*) FROM public.chat_logs WHERE question = 'x'") == 0)
        }
    }

    @Test("anon gets nothing: no table, no function")
    func anonGetsNothing() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let log = try await f.log(f.alice)
            for table in ["profiles", "chat_logs", "saved_chats", "usage_daily", "usage_thresholds"] {
                let error = await #expect(throws: InvariantsError.self) {
                    try await f.sql(PostgresQuery(unsafeSQL: "SELECT * FROM public.\(table)"), as: .anonymous)
                }
                #expect(error?.kind == .insufficientPrivilege, "anon reads \(table)")
            }
            let save = await #expect(throws: InvariantsError.self) { try await f.client.saveChat(log, as: .anonymous) }
            #expect(save?.kind == .insufficientPrivilege)
            let logChat = await #expect(throws: InvariantsError.self) {
                try await f.sql("SELECT public.log_chat(\(f.alice)::uuid, 'q', 'r', '[]'::jsonb, 1, 1, 0::numeric, 'm')", as: .anonymous)
            }
            #expect(logChat?.kind == .insufficientPrivilege)
        }
    }

    @Test("usage counters are not writable by users (42501), nor log_chat callable by them")
    func countersNotWritable() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            try await f.log(f.alice)
            let alice = UserContext.user(f.alice)
            for statement in [
                "UPDATE public.usage_daily SET requests = 0",
                "DELETE FROM public.usage_daily",
                "INSERT INTO public.usage_daily (user_id, day, requests) VALUES ('\(f.alice)', current_date + 1, 99)",
                "INSERT INTO public.usage_thresholds (user_id, daily_cost_limit) VALUES ('\(f.alice)', 1000)",
                "UPDATE public.saved_chats SET question = 'rewritten'",
                "SELECT public.log_chat('\(f.alice)'::uuid, 'q', 'r', '[]'::jsonb, 1, 1, 0::numeric, 'm')",
            ] {
                let error = await #expect(throws: InvariantsError.self) {
                    try await f.sql(PostgresQuery(unsafeSQL: statement), as: alice)
                }
                #expect(error?.sqlState == "42501", "\(statement)")
            }
            #expect(try await f.count("SELECT requests FROM public.usage_daily") == 1)
        }
    }

    @Test("deleting the auth.users row erases the user's logs, favorites, usage, threshold and profile")
    func deletingAUser() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            for _ in 0..<3 { try await f.log(f.alice) }
            let log = try await f.log(f.alice)
            try await f.client.saveChat(log, as: .user(f.alice))
            try await f.client.setDailyCostLimit(Decimal(5), for: f.alice)
            try await f.sql("INSERT INTO public.profiles (id, display_name) VALUES (\(f.alice), 'Alice')", as: .user(f.alice))
            let bobsLog = try await f.log(f.bob)
            try await f.client.saveChat(bobsLog, as: .user(f.bob))

            try await f.client.execute("DELETE FROM auth.users WHERE id = \(f.alice)")

            for table in ["chat_logs", "saved_chats", "usage_daily", "usage_thresholds"] {
                #expect(try await f.count("SELECT count(*) FROM public.\(table) WHERE user_id = '\(f.alice)'") == 0, "\(table)")
            }
            #expect(try await f.count("SELECT count(*) FROM public.profiles WHERE id = '\(f.alice)'") == 0)
            #expect(try await f.count("SELECT count(*) FROM public.chat_logs WHERE user_id = '\(f.bob)'") == 1)
            #expect(try await f.count("SELECT count(*) FROM public.saved_chats WHERE user_id = '\(f.bob)'") == 1)
            #expect(try await f.count("SELECT requests FROM public.usage_daily WHERE user_id = '\(f.bob)'") == 1)
        }
    }

    @Test("catalog shape: RLS on every table, owner-leading indexes, definer functions pinned, EXECUTE not public")
    func catalogShape() async throws {
        try await withChatLogs { (f: ChatLogsFixture) async throws in
            let tables = "'profiles', 'chat_logs', 'saved_chats', 'usage_daily', 'usage_thresholds'"
            #expect(try await f.count("""
                SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace
                AND relname IN (\(tables)) AND relrowsecurity
                """) == 5)
            // Every table has an index whose first column is its owner column.
            #expect(try await f.count("""
                SELECT count(DISTINCT c.relname) FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
                WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN (\(tables))
                  AND a.attname = CASE c.relname WHEN 'profiles' THEN 'id' ELSE 'user_id' END
                """) == 5)
            // SECURITY DEFINER only for the usage trigger, with search_path pinned to ''.
            let definers = try await f.client.query("""
                SELECT p.oid::regprocedure::text, p.proconfig::text FROM pg_proc p
                WHERE p.prosecdef AND p.proname IN ('log_chat', 'save_chat', 'chat_logs_usage', 'chat_logs_validate', 'saved_chats_copy')
                """)
            let decoded = try definers.map { try $0.decode((String, String?).self) }
            #expect(decoded.map(\.0) == ["invariants.chat_logs_usage()"])
            #expect(decoded.first?.1 == #"{"search_path=\"\""}"#)
            // No module function is executable by PUBLIC; log_chat by service_role only, save_chat by authenticated only.
            #expect(try await f.count("""
                SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a
                WHERE p.proname IN ('log_chat', 'save_chat', 'chat_logs_usage', 'chat_logs_validate', 'saved_chats_copy')
                  AND a.grantee = 0
                """) == 0)
            let grantees = try await f.client.query("""
                SELECT p.proname::text, string_agg(r.rolname, ',' ORDER BY r.rolname)
                FROM pg_proc p, aclexplode(p.proacl) a JOIN pg_roles r ON r.oid = a.grantee
                WHERE p.proname IN ('log_chat', 'save_chat') AND NOT r.rolsuper
                GROUP BY 1 ORDER BY 1
                """).map { try $0.decode((String, String).self) }
            #expect(grantees.map { "\($0.0)=\($0.1)" } == ["log_chat=service_role", "save_chat=authenticated"])
        }
    }
}
