import Foundation
import Invariants
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedAppsTesting
import SupportChat

/// The security matrix's registries. Every user-owned table (a table in `public` with a
/// `user_id` column) and every function in `public` that `authenticated` may execute needs an
/// entry here, or ``SecurityMatrixTests`` fails: a new table or function cannot skip the matrix.
///
/// Module authors: add your tables' fixtures and your functions' probes here.
enum SecurityMatrixRegistry {
    /// `"public.<table>"` → inserts at least one row owned by `owner` (and whatever parents the
    /// row needs), as the superuser. Called once for user A and once for user B; each user
    /// already exists in `auth.users`.
    static let tableFixtures: [String: OwnedRowsFixture] = [
        // Seed 000 (ModelWorkRecordModule)
        "public.sessions": { connection, owner in
            _ = try await connection.query(
                "INSERT INTO public.sessions (user_id, title, session_config) VALUES (\(owner), 'matrix', \(panelJSON)::jsonb)",
                logger: quietLogger).collect()
        },
        "public.model_statistics": { connection, owner in
            let session = UUID()
            _ = try await connection.query(
                "INSERT INTO public.sessions (id, user_id, title, session_config) VALUES (\(session), \(owner), 'matrix stats', \(panelJSON)::jsonb)",
                logger: quietLogger).collect()
            _ = try await connection.query("""
                INSERT INTO public.model_statistics (user_id, model_id, session_id, response_count)
                VALUES (\(owner), 'matrix/model', \(session), 3), (\(owner), 'matrix/model', NULL, 5)
                """, logger: quietLogger).collect()
        },
        // Seed 003 (ChatLogsModule): a log (which also makes the day's usage row), a favorite
        // of it, and a threshold.
        "public.chat_logs": { connection, owner in try await insertChatLog(connection, owner: owner) },
        "public.usage_daily": { connection, owner in try await insertChatLog(connection, owner: owner) },
        "public.saved_chats": { connection, owner in
            let log = try await insertChatLog(connection, owner: owner)
            _ = try await connection.query(
                "INSERT INTO public.saved_chats (user_id, chat_log_id, note) VALUES (\(owner), \(log), 'matrix')",
                logger: quietLogger).collect()
        },
        // Seed 002 (GenerationsModule): a card, a completed edit of it (appended), a pending job.
        "public.generations": { connection, owner in try await insertGenerationWithEdit(connection, owner: owner) },
        "public.generation_jobs": { connection, owner in try await insertGenerationWithEdit(connection, owner: owner) },
        "public.cost_alerts": { connection, owner in
            // As the usage trigger writes one (the superuser here; users cannot write alerts).
            _ = try await connection.query("""
                INSERT INTO public.cost_alerts (user_id, day, cost, daily_cost_limit) VALUES (\(owner), current_date, 1, 0.5)
                """, logger: quietLogger).collect()
        },
        "public.usage_thresholds": { connection, owner in
            _ = try await connection.query(
                "INSERT INTO public.usage_thresholds (user_id, daily_cost_limit) VALUES (\(owner), 10) ON CONFLICT (user_id) DO NOTHING",
                logger: quietLogger).collect()
        },
        // Seed 004 (GigResponsesModule): a workspace the owner is a member of.
        "public.workspace_members": { connection, owner in try await insertWorkspace(connection, member: owner) },
    ]

    /// `"public.<function>(<identity arguments>)"` (as `pg_get_function_identity_arguments`
    /// prints them) → a probe in which user B calls the function with user A's ids and must
    /// get not-found / forbidden and change nothing, or see nothing of A's. Record an `Issue` on failure.
    static let functionProbes: [String: FunctionProbe] = [
        // Seed 000 (ModelWorkRecordModule)
        "public.add_brains(p_session_id uuid, p_model_id text, p_brains integer)":
            refusedForB { "SELECT public.add_brains('\($0)', 'matrix/model', 5)" },
        "public.dismiss_model(p_session_id uuid, p_model_id text, p_note text)":
            refusedForB { "SELECT public.dismiss_model('\($0)', 'matrix/model', 'b was here')" },
        "public.set_session_models(p_session_id uuid, p_models text[], p_expected_version bigint)":
            refusedForB { "SELECT public.set_session_models('\($0)', ARRAY['b/model'], 1)" },
        "public.record_model_response(p_session_id uuid, p_model_id text)":
            refusedForB { "SELECT public.record_model_response('\($0)', 'matrix/model')" },
        "public.global_model_leaderboard(p_min_users integer, p_limit integer)":
            revealsNothingOfA("SELECT to_jsonb(r)::text FROM public.global_model_leaderboard(3, 100) r"),
        "public.model_statistics_summary(p_model_id text)":
            revealsNothingOfA("SELECT to_jsonb(r)::text FROM public.model_statistics_summary('matrix/a-only') r"),
        "public.my_model_leaderboard(p_limit integer)":
            revealsNothingOfA("SELECT to_jsonb(r)::text FROM public.my_model_leaderboard(100) r"),
        // Seed 003 (ChatLogsModule)
        "public.save_chat(p_chat_log_id bigint, p_note text)": { context in
            let log = try await insertChatLog(context.admin, owner: context.userA)
            let before = try await digestOfA(context)
            let sql = "SELECT public.save_chat(\(log), 'b was here')"
            do {
                try await context.client.run(as: .user(context.userB)) { connection in
                    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect()
                }
                Issue.record("user B saved user A's chat log: \(sql)")
            } catch let error as InvariantsError {
                #expect(error.kind == .notFound, "\(sql): \(error.kind) \(error.message)")
            }
            #expect(try await digestOfA(context) == before, "A's rows changed after B's call: \(sql)")
            #expect(try await context.admin.query("SELECT count(*) FROM public.saved_chats WHERE user_id = \(context.userB) AND chat_log_id = \(log)",
                                                  logger: quietLogger).collect().first!.decode(Int64.self) == 0)
        },
        // Seed 004 (GigResponsesModule): B names A's workspace, gig and response.
        "public.delete_response(p_response_id uuid, p_workspace_id uuid)":
            refusedForBInWorkspace { "SELECT public.delete_response('\($0.response)', '\($0.workspace)')" },
        "public.delete_gig(p_gig_id uuid, p_workspace_id uuid)":
            refusedForBInWorkspace { "SELECT public.delete_gig('\($0.gig)', '\($0.workspace)')" },
        "public.gig_response_counts(p_gig_id uuid, p_workspace_id uuid)":
            refusedForBInWorkspace { "SELECT * FROM public.gig_response_counts('\($0.gig)', '\($0.workspace)')" },
        "public.sync_gig_response_counts(p_gig_id uuid, p_workspace_id uuid, p_force boolean)":
            refusedForBInWorkspace { "SELECT * FROM public.sync_gig_response_counts('\($0.gig)', '\($0.workspace)', true)" },
        "public.sync_workspace_response_counts(p_workspace_id uuid, p_force boolean)":
            refusedForBInWorkspace { "SELECT * FROM public.sync_workspace_response_counts('\($0.workspace)', true)" },
        // Creates B's own workspace only: A's memberships and workspaces stay as they were.
        "public.create_workspace(p_name text)": { context in
            let before = try await digestOfA(context)
            let workspace = try await context.client.run(as: .user(context.userB)) { connection in
                try await connection.query("SELECT public.create_workspace('b')", logger: quietLogger).collect().first!.decode(UUID.self)
            }
            #expect(try await digestOfA(context) == before)
            let members = try await context.admin.query(
                "SELECT user_id FROM public.workspace_members WHERE workspace_id = \(workspace)", logger: quietLogger
            ).collect().map { try $0.decode(UUID.self) }
            #expect(members == [context.userB])
        },
    ]
}

/// One chat log owned by `owner` (as the superuser; the usage trigger adds its day's usage).
@discardableResult
func insertChatLog(_ connection: PostgresConnection, owner: UUID) async throws -> Int64 {
    try await connection.query("""
        INSERT INTO public.chat_logs (user_id, question, response, tools_used, input_tokens, output_tokens, cost, model)
        VALUES (\(owner), 'matrix question', 'matrix answer', '[{"name": "matrix"}]', 10, 20, 0.001, 'matrix')
        RETURNING id
        """, logger: quietLogger).collect().first!.decode(Int64.self)
}

/// A card owned by `owner` (made by a completed job), a completed edit appended to it and a pending job.
func insertGenerationWithEdit(_ connection: PostgresConnection, owner: UUID) async throws {
    let card = try await connection.query("""
        INSERT INTO public.generation_jobs (user_id, status, image_url, tokens_cost, description)
        VALUES (\(owner), 'completed', 'https://matrix.example/a.png', 10, 'matrix') RETURNING generation_id
        """, logger: quietLogger).collect().first!.decode(UUID.self)
    _ = try await connection.query("""
        INSERT INTO public.generation_jobs (user_id, category, status, source_generation_id, image_url, tokens_cost)
        VALUES (\(owner), 'edit', 'completed', \(card), 'https://matrix.example/b.png', 5),
               (\(owner), 'edit', 'pending', \(card), NULL, 0)
        """, logger: quietLogger).collect()
}

private let panelJSON = #"{"selectedModels": ["matrix/model"], "perModelSettings": {"matrix/model": {}}}"#

/// Creates rows owned by `owner` on `connection` (a superuser connection).
typealias OwnedRowsFixture = @Sendable (_ connection: PostgresConnection, _ owner: UUID) async throws -> Void

/// Probes one function as user B against user A's rows.
typealias FunctionProbe = @Sendable (_ context: SecurityMatrixContext) async throws -> Void

/// Everything user A owns in `public`, as the superuser sees it: a digest of each user-owned table.
func digestOfA(_ context: SecurityMatrixContext) async throws -> String {
    let tables = try await context.admin.query("""
        SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
        """, logger: quietLogger).collect().map { try $0.decode(String.self) }
    var parts: [String] = []
    for table in tables {
        let row = try await context.admin.query(PostgresQuery(unsafeSQL: """
            SELECT coalesce(md5(string_agg(to_jsonb(t)::text, ',' ORDER BY to_jsonb(t)::text)), '')
            FROM \(table) t WHERE user_id = '\(context.userA.uuidString.lowercased())'
            """), logger: quietLogger).collect().first!
        parts.append(table + ":" + (try row.decode(String.self)))
    }
    return parts.joined(separator: " ")
}

/// B calls the function on A's session: refused as not found / forbidden, and A's rows are unchanged.
func refusedForB(_ sql: @escaping @Sendable (_ sessionOfA: UUID) -> String) -> FunctionProbe {
    { context in
        let session = try await context.admin.query(
            "SELECT id FROM public.sessions WHERE user_id = \(context.userA) ORDER BY id LIMIT 1", logger: quietLogger
        ).collect().first!.decode(UUID.self)
        let before = try await digestOfA(context)
        do {
            try await context.client.run(as: .user(context.userB)) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: sql(session)), logger: quietLogger).collect()
            }
            Issue.record("user B's call succeeded on user A's session: \(sql(session))")
        } catch let error as InvariantsError {
            #expect([InvariantsError.Kind.notFound, .forbidden].contains(error.kind), "\(sql(session)): \(error.kind) \(error.message)")
        }
        #expect(try await digestOfA(context) == before, "A's rows changed after B's call: \(sql(session))")
    }
}

/// B calls the function; its output mentions neither A's id nor A's private model.
func revealsNothingOfA(_ sql: String) -> FunctionProbe {
    { context in
        _ = try await context.admin.query("""
            INSERT INTO public.model_statistics (user_id, model_id, session_id, response_count)
            VALUES (\(context.userA), 'matrix/a-only', NULL, 777) ON CONFLICT DO NOTHING
            """, logger: quietLogger).collect()
        let rows = try await context.client.run(as: .user(context.userB)) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect().map { try $0.decode(String.self) }
        }
        let text = rows.joined(separator: "\n")
        #expect(!text.contains(context.userA.uuidString.lowercased()), "\(sql) shows user A's id to B")
        #expect(!text.contains("777"), "\(sql) shows user A's private model's counts to B: \(text)")
    }
}

/// A workspace with `member` in it, a gig and a response (as the superuser).
@discardableResult
func insertWorkspace(_ connection: PostgresConnection, member: UUID) async throws -> (workspace: UUID, gig: UUID, response: UUID) {
    let workspace = UUID(), gig = UUID(), response = UUID()
    _ = try await connection.query("INSERT INTO public.workspaces (id, name) VALUES (\(workspace), 'matrix')", logger: quietLogger).collect()
    _ = try await connection.query(
        "INSERT INTO public.workspace_members (workspace_id, user_id) VALUES (\(workspace), \(member))", logger: quietLogger).collect()
    _ = try await connection.query(
        "INSERT INTO public.gigs (id, workspace_id, title) VALUES (\(gig), \(workspace), 'matrix gig')", logger: quietLogger).collect()
    _ = try await connection.query(
        "INSERT INTO public.responses (id, workspace_id, entity_id) VALUES (\(response), \(workspace), \(gig))", logger: quietLogger).collect()
    return (workspace, gig, response)
}

/// B calls the function on a workspace of A's: refused (forbidden / not found), and that
/// workspace's gigs and responses are unchanged.
func refusedForBInWorkspace(_ sql: @escaping @Sendable (_ ofA: (workspace: UUID, gig: UUID, response: UUID)) -> String) -> FunctionProbe {
    { context in
        let ofA = try await insertWorkspace(context.admin, member: context.userA)
        func digest() async throws -> String {
            try await context.admin.query("""
                SELECT coalesce(md5(string_agg(t, ',' ORDER BY t)), '') FROM (
                    SELECT to_jsonb(g)::text AS t FROM public.gigs g WHERE g.workspace_id = \(ofA.workspace)
                    UNION ALL SELECT to_jsonb(r)::text FROM public.responses r WHERE r.workspace_id = \(ofA.workspace)) AS x
                """, logger: quietLogger).collect().first!.decode(String.self)
        }
        let before = try await digest()
        do {
            try await context.client.run(as: .user(context.userB)) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: sql(ofA)), logger: quietLogger).collect()
            }
            Issue.record("user B's call succeeded on user A's workspace: \(sql(ofA))")
        } catch let error as InvariantsError {
            #expect([InvariantsError.Kind.notFound, .forbidden].contains(error.kind), "\(sql(ofA)): \(error.kind) \(error.message)")
        }
        #expect(try await digest() == before, "A's workspace changed after B's call: \(sql(ofA))")
    }
}
