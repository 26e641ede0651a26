import Foundation
import InvariantsSchema
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SupportChat

/// The two seed-002 kinds: golden SQL, declaration checks, and the state machine's guards and
/// assignments on a real PostgreSQL (the generations module's tests cover the rest end to end).
@Suite struct StateMachineTests {
    /// Issue 7's shape: a guard on a transition, an entering guard with IV422, timestamps.
    static let toolRuns = StateMachine(
        table: QualifiedName("public", "tool_runs"), column: "status",
        initial: ["pending"],
        transitions: [
            .init(from: ["pending"], to: "executing",
                  when: .init("NOT NEW.requires_approval OR NEW.approval = 'approved'", "approval required")),
            .init(from: ["pending", "executing"], to: "failed"),
            .init(from: ["executing"], to: "succeeded", set: [.init("attempts", "OLD.attempts + 1")]),
        ],
        terminal: ["succeeded", "failed"],
        entering: [
            .init("succeeded", when: .init("NEW.output IS NOT NULL", "output is required", code: .invalidInput, column: "output"),
                  set: [.now("resolved_at")]),
            .init("failed", set: [.now("resolved_at")]),
        ])

    static let append = AppendToSource(
        child: QualifiedName("public", "jobs"), terminalState: "done", sourceColumn: "card_id",
        legacySource: "NULLIF(NEW.note, '')::uuid", appendWhen: "NEW.kind = 'edit'", resultColumn: "result_card_id",
        childCost: "cost", parent: QualifiedName("public", "cards"), arrayColumn: "data", arrayKey: "items",
        parentTotal: "total", element: "pg_catalog.jsonb_build_object('url', NEW.url, 'job', NEW.id)",
        newParentValues: [.init("title", "NEW.kind")])

    @Test func golden() throws {
        try GoldenTests().expectGolden("state_machine.sql", Script.objects(Self.toolRuns.repeatableObjects()))
        try GoldenTests().expectGolden("append_to_source.sql", Script.objects(Self.append.repeatableObjects()))
    }

    @Test func declarationChecks() {
        #expect(Self.toolRuns.validationErrors() == [])
        #expect(Self.toolRuns.states == ["pending", "executing", "failed", "succeeded"])
        #expect(Self.toolRuns.allows(from: "pending", to: "executing"))
        #expect(!Self.toolRuns.allows(from: "succeeded", to: "pending"))
        #expect(Self.toolRuns.allows(from: "failed", to: "failed"), "same state is not a transition")
        let broken = StateMachine(
            table: QualifiedName("public", "t"), initial: [],
            transitions: [.init(from: ["done"], to: "open"), .init(from: ["x"], to: "x")], terminal: ["done"],
            entering: [.init("nowhere")])
        let errors = broken.validationErrors()
        #expect(errors.contains("state machine public.t.status: no initial state"))
        #expect(errors.contains("state machine public.t.status: terminal state done has a transition out"))
        #expect(errors.contains("state machine public.t.status: x -> x is not a transition"))
        #expect(errors.contains("state machine public.t.status: entering unknown state nowhere"))
        #expect(errors.contains("state machine public.t.status: state done is unreachable"))
        #expect(Self.toolRuns.check.expression == #""status" IN ('pending', 'executing', 'failed', 'succeeded')"#)
    }

    @Test func hostileNamesStayQuoted() {
        let machine = StateMachine(
            table: QualifiedName("public", "we\"ird"), column: "st'%ate", initial: ["a'b"],
            transitions: [.init(from: ["a'b"], to: "100%")], terminal: ["100%"])
        let sql = machine.function.createSQL
        #expect(sql.contains("'a''b'"))
        #expect(sql.contains("NEW.\"st'%ate\""))
        #expect(sql.contains("illegal transition of we\"ird.st''%%ate: % -> %"))
    }

    @Test func guardsAndAssignmentsOnPostgres() async throws {
        let pg = try await TestPostgres.make()
        defer { Task { await pg.stop() } }
        // The request roles exactly as the auth shim creates them (roles are cluster-wide: a
        // lookalike without BYPASSRLS would be kept by every later migration on this server).
        try await pg.psql(Script.steps(AuthModule.migration.steps))
        try await pg.psql("""
            CREATE SCHEMA IF NOT EXISTS invariants;
            CREATE TABLE public.tool_runs (id int PRIMARY KEY, status text NOT NULL DEFAULT 'pending',
                requires_approval boolean NOT NULL DEFAULT false, approval text, output text,
                attempts int NOT NULL DEFAULT 0, resolved_at timestamptz, note text);
            """ + Script.apply(Self.toolRuns.repeatableObjects()))
        @discardableResult func run(_ sql: String) async throws -> String {
            try await pg.psql("\\set VERBOSITY verbose\n" + sql)
        }
        try await run("INSERT INTO public.tool_runs (id, requires_approval) VALUES (1, true), (2, false);")
        // Illegal initial state, and the guard on pending -> executing.
        await #expect(throws: (any Error).self) { try await run("INSERT INTO public.tool_runs (id, status) VALUES (3, 'executing');") }
        let refused = await #expect(throws: (any Error).self) {
            try await run("UPDATE public.tool_runs SET status = 'executing' WHERE id = 1;")
        }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("IV001"), "\(String(describing: refused))")
        #expect("\(refused.map { "\($0)" } ?? "")".contains("illegal transition of tool_runs.status: pending -> executing: approval required"))
        try await run("UPDATE public.tool_runs SET approval = 'approved' WHERE id = 1;")  // same state: no guard
        try await run("UPDATE public.tool_runs SET status = 'executing' WHERE id IN (1, 2);")
        // Entering guard (IV422) then success with the assignments.
        let noOutput = await #expect(throws: (any Error).self) {
            try await run("UPDATE public.tool_runs SET status = 'succeeded' WHERE id = 1;")
        }
        #expect("\(noOutput.map { "\($0)" } ?? "")".contains("IV422"))
        try await run("UPDATE public.tool_runs SET status = 'succeeded', output = 'ok' WHERE id = 1;")
        #expect(try await run("SELECT attempts, resolved_at IS NOT NULL FROM public.tool_runs WHERE id = 1;") == "1|t")
        // Terminal: no way out, and the message names both states.
        let terminal = await #expect(throws: (any Error).self) {
            try await run("UPDATE public.tool_runs SET status = 'executing' WHERE id = 1;")
        }
        #expect("\(terminal.map { "\($0)" } ?? "")".contains("illegal transition of tool_runs.status: succeeded -> executing"))
        #expect("\(terminal.map { "\($0)" } ?? "")".contains("succeeded is a terminal state"))
        // An unknown state is an illegal transition too; updating other columns of a terminal row is not.
        await #expect(throws: (any Error).self) { try await run("UPDATE public.tool_runs SET status = 'bogus' WHERE id = 2;") }
        try await run("UPDATE public.tool_runs SET note = 'x' WHERE id = 1;")
        #expect(try await run("SELECT string_agg(id || ':' || status, ',' ORDER BY id) FROM public.tool_runs;") == "1:succeeded,2:executing")
    }
}
