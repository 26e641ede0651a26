import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting
import PostgresNIO
import SeedApps
import SeedAppsTesting
import Testing

/// Seed 001 reuses seven tables its n8n pipeline already has in Supabase "as-is"
/// (`support_threads_data`, `eval_results`, …): `migrate --modules support_chat` installs the new
/// tables beside them and leaves them exactly as they were, and `verify` does not call them drift.
@Suite("support_chat installs beside the app's existing tables and leaves them as they are")
struct SupportChatExistingTablesTests {
    /// The existing tables as the pipeline made them (the seed names them; the shapes are the app's).
    static let existing = [
        "CREATE TABLE public.support_threads_data (id bigserial PRIMARY KEY, thread_id text UNIQUE, category text, status text, created_at timestamptz DEFAULT now())",
        "CREATE TABLE public.support_dialogs (id bigserial PRIMARY KEY, thread_id text REFERENCES public.support_threads_data (thread_id), direction text, body text, sent_at timestamptz)",
        "CREATE INDEX support_dialogs_thread_idx ON public.support_dialogs (thread_id, sent_at)",
        "CREATE TABLE public.ai_human_comparison (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, thread_id text, quality_score numeric)",
        "CREATE TABLE public.ai_answerer_instructions (category text PRIMARY KEY, instruction_1 text, outstanding_rules text, auto_send_enabled boolean DEFAULT false)",
        "CREATE TABLE public.ai_agent_tasks (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), task text, done boolean DEFAULT false)",
        "CREATE TABLE public.backlog_reports (id serial PRIMARY KEY, report jsonb, created_at timestamptz DEFAULT now())",
        "CREATE TABLE public.eval_results (id bigserial PRIMARY KEY, session_id text, decision text, confidence text, created_at timestamptz DEFAULT now())",
        "ALTER TABLE public.ai_answerer_instructions ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY instructions_read ON public.ai_answerer_instructions FOR SELECT TO authenticated USING (true)",
    ]
    static let tables = ["ai_agent_tasks", "ai_answerer_instructions", "ai_human_comparison", "backlog_reports", "eval_results",
                         "support_dialogs", "support_threads_data"]

    @Test("the seven tables keep their OIDs, rows, grants, RLS and policy; the module's are created; verify is clean")
    func installsBesideThem() async throws {
        try await SupabaseShape.withDatabase { connection, database in try await run(on: connection, database: database) }
    }

    private func run(on connection: PostgresConnection, database: TestDatabase) async throws {
        func sql(_ text: String) async throws { _ = try await connection.query(PostgresQuery(unsafeSQL: text), logger: quietLogger).collect() }
        func text(_ query: String) async throws -> String {
            try await connection.query(PostgresQuery(unsafeSQL: query), logger: quietLogger).collect().first?.decode(String.self) ?? ""
        }
        for statement in Self.existing { try await sql(statement) }
        try await sql("INSERT INTO public.support_threads_data (thread_id, category, status) SELECT 't' || n, 'billing', 'open' FROM generate_series(1, 50) n")
        try await sql("INSERT INTO public.support_dialogs (thread_id, direction, body) SELECT 't' || (1 + n % 50), 'in', 'hello' FROM generate_series(1, 200) n")
        try await sql("INSERT INTO public.eval_results (session_id, decision) SELECT 's' || n, 'send' FROM generate_series(1, 30) n")
        try await sql("INSERT INTO public.ai_answerer_instructions (category, instruction_1) VALUES ('billing', 'Be brief.')")
        let names = Self.tables.map { "'public.\($0)'" }.joined(separator: ", ")
        // Everything a DBA would check on them: identity, storage, grants, RLS, policies, rows.
        let fingerprint = """
            SELECT string_agg(concat_ws(' ', c.oid, c.relfilenode, c.relacl::text, c.relrowsecurity,
                                        (SELECT string_agg(p.polname, ',') FROM pg_policy p WHERE p.polrelid = c.oid),
                                        (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)), ' | ' ORDER BY c.relname)
            FROM pg_class c WHERE c.oid IN (SELECT to_regclass(n) FROM unnest(ARRAY[\(names)]) n)
            """
        let rows = "SELECT concat_ws(',', (SELECT count(*) FROM public.support_dialogs), (SELECT count(*) FROM public.eval_results), (SELECT string_agg(instruction_1, ',') FROM public.ai_answerer_instructions))"
        let before = try await text(fingerprint)
        let rowsBefore = try await text(rows)

        let migrator = try Migrator(catalog: try projectCatalog(), options: .init(modules: ["support_chat"]), logger: quietLogger)
        let plan = try await migrator.plan(on: connection).rendered()
        for table in Self.tables { #expect(!plan.contains("\"public\".\"\(table)\""), "the plan does not touch \(table)") }
        let report = try await migrator.migrate(on: connection)
        #expect(report.adoptedModules.isEmpty, "nothing of the app's is adopted: the module's tables are new")

        #expect(try await text(fingerprint) == before)
        #expect(try await text(rows) == rowsBefore)
        #expect(try await text("SELECT to_regclass('public.chat_sessions')::text") == "chat_sessions")
        // The pipeline keeps writing its tables as it did.
        try await sql("INSERT INTO public.eval_results (session_id, decision) VALUES ('s-after', 'draft')")

        let verifier = Verifier(catalog: try projectCatalog(), storedLogic: .keep(extensionVersions: nil), logger: quietLogger)
        let verified = try await verifier.verify(url: try DatabaseURL(database.url))
        #expect(verified.isClean, "\(verified.differences.map(\.description).prefix(5))")
        #expect(verified.appTables == Self.tables.map { "public.\($0)" })

        // An object the app adds on one of the module's tables is still drift.
        try await sql("CREATE INDEX chat_sessions_app_idx ON public.chat_sessions (customer_email)")
        let drifted = try await verifier.verify(url: try DatabaseURL(database.url))
        #expect(drifted.differences.map(\.key) == ["index public.chat_sessions_app_idx"], "\(drifted.differences.map(\.key))")
    }
}
