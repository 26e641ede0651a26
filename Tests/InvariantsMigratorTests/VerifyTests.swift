import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

@Suite("verify (drift)", .serialized)
struct VerifyTests {
    /// The project catalog plus a security_invoker view (the catalog has no view yet).
    func catalogWithView() throws -> Catalog {
        try committedCatalog().updating("chat_logs") {
            $0.repeatables.append(RepeatableObject(
                kind: .view, key: "view public.usage_summary", source: "VerifyTests",
                statements: ["CREATE OR REPLACE VIEW public.usage_summary WITH (security_invoker = true) AS SELECT user_id, sum(requests) AS requests FROM public.usage_daily GROUP BY user_id"],
                dropStatements: ["DROP VIEW IF EXISTS public.usage_summary"]))
        }
    }

    @Test("nothing on a clean database; each hand edit named (function body, dropped trigger, RLS off, view without security_invoker)")
    func reportsDrift() async throws {
        let catalog = try catalogWithView()
        try await withFreshDatabase { database, connection in
            try await migrate(connection, .repeatableSet, catalog: catalog)
            let verifier = Verifier(catalog: catalog, storedLogic: .keep(extensionVersions: nil), logger: testLogger)
            let url = try DatabaseURL(database.url)
            let clean = try await verifier.verify(url: url)
            #expect(clean.differences == [], "\(clean.differences.map(\.description))")
            #expect(clean.pending == [])

            // Someone in a SQL editor:
            let definition: String = try await connection.scalar("SELECT pg_get_functiondef('invariants.touch_updated_at()'::regprocedure)")
            let edited = definition.replacingOccurrences(of: "AS $function$", with: "AS $function$\n-- quick fix, by hand")
            #expect(edited != definition)
            try await connection.run(edited)
            try await connection.run("DROP TRIGGER chat_logs_usage ON public.chat_logs")
            try await connection.run("ALTER TABLE public.saved_chats DISABLE ROW LEVEL SECURITY")
            try await connection.run("ALTER VIEW public.usage_summary RESET (security_invoker)")
            try await connection.run("CREATE FUNCTION public.helper() RETURNS int LANGUAGE sql AS 'SELECT 1'")

            let drift = try await verifier.verify(url: url)
            let found = Set(drift.differences.map { "\($0.change.rawValue) \($0.key)" })
            let expected: Set<String> = [
                "changed function invariants.touch_updated_at()",
                "missing trigger public.chat_logs.chat_logs_usage",
                "changed table public.saved_chats",
                "changed view public.usage_summary",
                "unexpected function public.helper()",
                "unexpected grant on function public.helper() to PUBLIC",
            ]
            #expect(found == expected, "\(drift.differences.map(\.description).joined(separator: "\n"))")
            let rls = drift.differences.first { $0.key == "table public.saved_chats" }?.detail ?? ""
            #expect(rls.contains("row level security enabled") && rls.contains("row level security disabled"), "\(rls)")
            #expect(drift.differences.first { $0.key == "view public.usage_summary" }?.detail?.contains("security_invoker") == true)
            // The scratch databases are gone (other suites' verifies may run meanwhile: ask by name).
            for scratch in [clean.scratchDatabase, drift.scratchDatabase] {
                #expect(scratch.hasPrefix("invariants_verify_"))
                #expect(try await connection.scalar("SELECT count(*) FROM pg_database WHERE datname = '\(scratch)'", as: Int64.self) == 0)
            }
        }
    }

    @Test("on the extension route: clean, then a hand-edited extension function is named")
    func extensionRoute() async throws {
        let versions = try extensionVersions()
        try await withFreshDatabase { database, connection in
            try await requireExtensionInstalled(connection)
            try await migrate(connection, .extension(versions: versions))
            let verifier = Verifier(catalog: try committedCatalog(), storedLogic: .keep(extensionVersions: versions), logger: testLogger)
            let url = try DatabaseURL(database.url)
            let clean = try await verifier.verify(url: url)
            #expect(clean.differences == [], "\(clean.differences.map(\.description))")
            #expect(clean.storedLogic == StoredLogic.extension(versions: versions).description)
            try await connection.run("ALTER FUNCTION public.log_chat(uuid, text, text, jsonb, integer, integer, numeric, text) SET work_mem = '64MB'")
            let drift = try await verifier.verify(url: url)
            #expect(drift.differences.map(\.key) == ["function public.log_chat(p_user_id uuid, p_question text, p_response text, p_tools_used jsonb, p_input_tokens integer, p_output_tokens integer, p_cost numeric, p_model text)"],
                    "\(drift.differences.map(\.description))")
        }
    }
}
