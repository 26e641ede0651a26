import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

/// Proof under fire: a random load across every module from 8 connections, with faults, and
/// then the invariant checker. `make test` runs each load for a few seconds; `make torture`
/// for minutes (`INVARIANTS_TORTURE_SECONDS`).
@Suite("Torture: random load across every module, with crashes", .serialized)
struct TortureTests {
    func expectHealthy(_ env: TortureEnvironment, _ tally: TortureTally, afterFault: Bool, _ label: String) async throws {
        let t = tally.snapshot
        #expect(t.unexpected.isEmpty, "\(label): unexpected errors: \(t.unexpected.prefix(5))")
        // Every kind of operation ran; most committed (a few may be refused every time in a short
        // run, e.g. brains for a model another worker just dismissed).
        for name in TortureWorkload.names {
            #expect(t.committed[name, default: 0] + t.refused[name, default: 0] > 0, "\(label): \(name) never ran")
        }
        let committedKinds = TortureWorkload.names.filter { t.committed[$0, default: 0] > 0 }.count
        #expect(committedKinds >= TortureWorkload.names.count - 3, "\(label): only \(committedKinds) kinds of operation committed: \(t.committed)")
        if afterFault {
            #expect(t.committedAfterFault > 20, "\(label): the client recovered and kept working after the fault (\(t.committedAfterFault) ops)")
        }
        // PostgresNIO 1.33.2 never completes a query written just as its connection dies (seen:
        // 1–2 operations per crash hung forever). Every call's timeout ends those now, as a
        // retried .timeout, so no operation may hang, fault or not.
        #expect(t.hung.isEmpty, "\(label): \(t.hung.count) operations never returned: \(t.hung)")
        if !afterFault {
            #expect(t.retried[.timeout, default: 0] == 0, "\(label): calls timed out without any fault")
        }
        let violations = try await env.violations()
        #expect(violations.isEmpty, "\(label): broken invariants: \(violations)")
        let total = t.committed.values.reduce(0, +)
        print("torture \(label): \(total) committed, \(t.refused.values.reduce(0, +)) refused, retried \(t.retried), after fault \(t.committedAfterFault), timed out \(t.retried[.timeout, default: 0]), hung \(t.hung.count) \(t.hung)")
    }

    @Test("8 connections of random operations: every invariant holds, no unhandled error")
    func randomLoad() async throws {
        let env = try await TortureEnvironment.make()
        let workload = TortureWorkload(env: env)
        await workload.run(seconds: loadSeconds)
        try await expectHealthy(env, workload.tally, afterFault: false, "load")
        #expect(workload.tally.snapshot.retried[.deadlock, default: 0] < 50, "deadlocks stay rare and are retried")
        await env.tearDown()
    }

    @Test("a backend killed with SIGKILL mid-load: the server resets every session, the client reconnects, invariants hold")
    func killedBackend() async throws {
        let env = try await TortureEnvironment.make()
        let workload = TortureWorkload(env: env)
        async let load: Void = workload.run(seconds: loadSeconds)
        try await Task.sleep(for: .milliseconds(Int(loadSeconds * 400)))
        let admin = try await env.server.connect(database: env.database.name)
        let pid = try await admin.query("""
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            ORDER BY backend_start LIMIT 1
            """, logger: quiet).collect().first?.decode(Int32.self)
        try? await admin.close()
        let victim = try #require(pid, "a client backend to kill")
        workload.tally.markFault()
        try env.server.killBackend(pid: victim)
        await load
        try await expectHealthy(env, workload.tally, afterFault: true, "SIGKILL")
        await env.tearDown()
    }

    @Test("the whole server stopped with pg_ctl stop -m immediate and restarted mid-load: invariants hold")
    func immediateStop() async throws {
        let env = try await TortureEnvironment.make()
        let workload = TortureWorkload(env: env)
        async let load: Void = workload.run(seconds: loadSeconds + 2)
        try await Task.sleep(for: .milliseconds(Int(loadSeconds * 300)))
        workload.tally.markFault()
        try await env.server.stopImmediately()
        try await Task.sleep(for: .milliseconds(500))
        try await env.server.restart()
        await load
        try await expectHealthy(env, workload.tally, afterFault: true, "immediate stop")
        await env.tearDown()
    }
}
