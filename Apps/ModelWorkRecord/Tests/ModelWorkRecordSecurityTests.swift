import Foundation
import Invariants
import PostgresNIO
import Testing
import ModelWorkRecord
import SeedAppsTesting

@Suite("Seed 000: row-level security, grants and bad input", .serialized)
struct ModelWorkRecordSecurityTests {
    @Test("user B can neither read nor change A's sessions and statistics, by table or function")
    func otherUser() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a", "b"])
            _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a")
            let before = try await f.config(s)

            #expect(try await f.run(as: f.asBob, "SELECT * FROM public.sessions").isEmpty)
            #expect(try await f.run(as: f.asBob, "SELECT * FROM public.model_statistics").isEmpty)
            #expect(try await f.run(as: f.asAlice, "SELECT * FROM public.model_statistics").count == 1)
            try await f.run(as: f.asBob, "UPDATE public.sessions SET title = 'mine' WHERE id = '\(s)'")
            try await f.run(as: f.asBob, "DELETE FROM public.sessions WHERE id = '\(s)'")
            #expect(try await f.scalar("SELECT title FROM public.sessions WHERE id = '\(s)'", as: String.self) == "task")
            // Re-owning: inserting a session for someone else is refused by the policy.
            let foreign = await #expect(throws: InvariantsError.self) {
                try await f.run(as: f.asBob, "INSERT INTO public.sessions (user_id) VALUES ('\(f.alice)')")
            }
            #expect(foreign?.sqlState == "42501")

            let dismiss = await #expect(throws: InvariantsError.self) {
                try await f.client.dismissModel(as: f.asBob, sessionID: s, modelID: "a")
            }
            let setModels = await #expect(throws: InvariantsError.self) {
                try await f.client.setSessionModels(as: f.asBob, sessionID: s, models: ["x"], expectedVersion: 1)
            }
            let brains = await #expect(throws: InvariantsError.self) {
                try await f.client.addBrains(as: f.asBob, sessionID: s, modelID: "a", brains: 5)
            }
            let read = await #expect(throws: InvariantsError.self) {
                try await f.client.sessionModels(as: f.asBob, sessionID: s)
            }
            for error in [dismiss, setModels, brains, read] {
                #expect(error?.kind == .notFound)
                #expect(error?.column == "session_id")
            }
            #expect(try await f.config(s) == before)
            #expect(try await f.counters(user: f.alice, model: "a", session: s)! == (1, 0, 0))
        }
    }

    @Test("anon gets nothing; counters and the panel are not writable directly; record_model_response is service_role only")
    func grants() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a"])
            _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a")
            let denied: [(UserContext, String)] = [
                (.anonymous, "SELECT * FROM public.sessions"),
                (.anonymous, "SELECT * FROM public.model_statistics"),
                (.anonymous, "SELECT * FROM public.model_statistics_summary(NULL)"),
                (f.asAlice, "UPDATE public.model_statistics SET response_count = 1000"),
                (f.asAlice, "UPDATE public.model_statistics SET total_brains = 1000"),
                (f.asAlice, "INSERT INTO public.model_statistics (user_id, model_id, session_id, response_count) VALUES ('\(f.alice)', 'z', '\(s)', 99)"),
                (f.asAlice, "DELETE FROM public.model_statistics"),
                (f.asAlice, "UPDATE public.sessions SET session_config = '{\"selectedModels\": [], \"perModelSettings\": {}}'"),
                (f.asAlice, "UPDATE public.sessions SET config_version = 1"),
                (f.asAlice, "TRUNCATE public.model_statistics"),
                (f.asAlice, "SELECT * FROM public.record_model_response('\(s)', 'a')"),
                (f.asAlice, "SELECT invariants.session_config_problem('{}')"),
            ]
            for (user, sql) in denied {
                let error = await #expect(throws: InvariantsError.self, "\(sql)") { try await f.run(as: user, sql) }
                #expect(error?.sqlState == "42501", "\(sql)")
            }
            #expect(try await f.counters(user: f.alice, model: "a", session: s)! == (1, 0, 0))
            #expect(try await f.scalar("""
                SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.prosecdef
                  AND NOT (p.proconfig @> ARRAY['search_path=""'])
                """, as: Int64.self) == 0, "every SECURITY DEFINER function pins search_path")
            #expect(try await f.scalar("""
                SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('public', 'invariants') AND has_function_privilege('anon', p.oid, 'EXECUTE')
                """, as: Int64.self) == 0, "anon may execute nothing of ours")
        }
    }

    @Test("bad input: clear errors naming the field, nothing written")
    func badInput() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a"])
            let malformed = [
                #"[]"#, #"{"selectedModels": "a", "perModelSettings": {}}"#, #"{"selectedModels": [1], "perModelSettings": {}}"#,
                #"{"selectedModels": ["a"]}"#, #"{"selectedModels": [], "perModelSettings": {}, "extra": 1}"#,
                #"{"selectedModels": ["a", "a"], "perModelSettings": {}}"#,
                #"{"selectedModels": ["a"], "perModelSettings": {"b": {}}}"#,
                #"{"selectedModels": ["a"], "perModelSettings": {"a": 3}}"#,
            ]
            for config in malformed {
                let error = await #expect(throws: InvariantsError.self, "\(config)") {
                    try await f.run(as: f.asAlice, "INSERT INTO public.sessions (user_id, session_config) VALUES ('\(f.alice)', '\(config)')")
                }
                #expect(error?.kind == .invalidInput, "\(config)")
                #expect(error?.column == "session_config", "\(config)")
            }
            #expect(try await f.scalar("SELECT count(*) FROM public.sessions", as: Int64.self) == 1)

            let unknownSession = await #expect(throws: InvariantsError.self) {
                try await f.client.recordModelResponse(sessionID: UUID(), modelID: "a")
            }
            #expect(unknownSession?.kind == .notFound)
            #expect(unknownSession?.column == "session_id")
            let unknownModel = await #expect(throws: InvariantsError.self) {
                try await f.client.recordModelResponse(sessionID: s, modelID: "not-on-panel")
            }
            #expect(unknownModel?.kind == .notFound)
            #expect(unknownModel?.column == "model_id")
            let emptyModel = await #expect(throws: InvariantsError.self) {
                try await f.client.recordModelResponse(sessionID: s, modelID: "")
            }
            #expect(emptyModel?.kind == .invalidInput)
            #expect(emptyModel?.column == "model_id")
            let note = await #expect(throws: InvariantsError.self) {
                try await f.client.dismissModel(as: f.asAlice, sessionID: s, modelID: "a", note: String(repeating: "n", count: 501))
            }
            #expect(note?.column == "note")
            let brains = await #expect(throws: InvariantsError.self) {
                try await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "a", brains: -1)
            }
            #expect(brains?.column == "brains")
            #expect(try await f.statisticsRowCount() == 0)
            #expect(try await f.config(s).0 == 1)
        }
    }
}
