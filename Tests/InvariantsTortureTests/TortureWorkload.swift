import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Synchronization
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

/// What the load did: operations that committed, were refused by an invariant (expected under
/// races: a gig deleted meanwhile, a job already completed), were retried after a transient
/// failure (deadlock, serialization, a lost connection), and any unexpected error.
final class TortureTally: Sendable {
    private let state = Mutex(State())
    struct State {
        var committed: [String: Int] = [:]
        var refused: [String: Int] = [:]
        var retried: [InvariantsError.Kind: Int] = [:]
        var unexpected: [String] = []
        var hung: [String] = []
        var committedAfterFault = 0
        var faultHappened = false
    }

    func commit(_ op: String) {
        state.withLock {
            $0.committed[op, default: 0] += 1
            if $0.faultHappened { $0.committedAfterFault += 1 }
        }
    }
    func refuse(_ op: String) { state.withLock { $0.refused[op, default: 0] += 1 } }
    func retry(_ kind: InvariantsError.Kind) { state.withLock { $0.retried[kind, default: 0] += 1 } }
    func unexpected(_ text: String) { state.withLock { $0.unexpected.append(text) } }
    func hung(_ text: String) { state.withLock { $0.hung.append(text) } }
    func markFault() { state.withLock { $0.faultHappened = true } }
    var snapshot: State { state.withLock { $0 } }
}

/// Random operations across every module through the Swift client, from 8 tasks.
struct TortureWorkload {
    var env: TortureEnvironment
    var tally = TortureTally()

    /// Errors an invariant raises on purpose when two writers race: the operation is refused.
    static let refusals: Set<InvariantsError.Kind> = [
        .notFound, .forbidden, .illegalTransition, .conflict, .foreignKeyViolation, .uniqueViolation,
    ]
    /// Errors worth another attempt: the transaction was rolled back and nothing is half done.
    /// A timeout too: as after a lost connection, the call's connection was closed and its
    /// transaction rolled back (unless its COMMIT was already on the way; the invariants hold
    /// either way, as they must for a lost connection).
    static let transient: Set<InvariantsError.Kind> = [
        .deadlock, .serializationFailure, .connectionLost, .connectionFailed, .lockTimeout, .queryCanceled, .timeout,
    ]

    func run(seconds: Double, workers: Int = 8, seed: UInt64 = 42) async {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        trace("load: \(workers) workers for \(seconds) s")
        defer { trace("load: done \(tally.snapshot.committed.values.reduce(0, +)) committed") }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var rng = SplitMix64(seed: seed &+ UInt64(worker) &* 7919)
                    while ContinuousClock.now < deadline {
                        let user = env.users.randomElement(using: &rng)!
                        let op = Int.random(in: 0..<12, using: &rng)
                        let opSeed = rng.next()
                        let name = Self.names[op]
                        // Every call has a timeout (TortureEnvironment.callTimeout), so every
                        // operation returns; one that still had not after 20 s is reported as hung.
                        let finished = await withDeadline(seconds: 20) {
                            var opRNG = SplitMix64(seed: opSeed)
                            await attempt(name) { try await operation(op, user: user, rng: &opRNG) }
                        }
                        if !finished { tally.hung(name) }
                    }
                }
            }
        }
    }

    static let names = [
        "gig: add response", "gig: status change", "gig: move response", "gig: delete response",
        "panel: record response", "panel: dismiss model", "panel: add brains", "panel: delete session",
        "chat log + favorite", "edit: create and complete", "edit: fail", "gig: delete and recreate gig",
    ]

    /// Runs `body` until it commits, is refused, or fails unexpectedly; transient failures are
    /// retried with a short backoff (during a restart the server is away for a moment).
    func attempt(_ name: String, _ body: () async throws -> Void) async {
        var tries = 0
        while true {
            tries += 1
            do {
                try await body()
                tally.commit(name)
                return
            } catch {
                let failure = (error as? InvariantsError) ?? InvariantsError(error)
                if Self.refusals.contains(failure.kind) {
                    tally.refuse(name)
                    return
                }
                // A restart also surfaces as "the database system is starting up / shutting down".
                let transient = Self.transient.contains(failure.kind)
                    || failure.message.contains("shutting down") || failure.message.contains("starting up")
                    || failure.message.contains("recovery mode") || failure.message.contains("terminating connection")
                if transient && tries < 200 {
                    tally.retry(failure.kind)
                    try? await Task.sleep(for: .milliseconds(min(50 * tries, 500)))
                    continue
                }
                tally.unexpected("\(name): \(failure.kind) \(failure.sqlState ?? "") \(failure.message)")
                return
            }
        }
    }

    func operation(_ op: Int, user: UUID, rng: inout SplitMix64) async throws {
        let client = env.client
        let workspace = env.workspaces[user]!
        let me = UserContext.user(user)
        switch op {
        case 0:
            let status = ["NEW", "VIEWED", "SHORTLISTED"].randomElement(using: &rng)!
            try await client.run(as: me) { conn in
                _ = try await conn.query("""
                    INSERT INTO public.responses (workspace_id, entity_id, status)
                    SELECT g.workspace_id, g.id, \(status) FROM public.gigs AS g
                    WHERE g.workspace_id = \(workspace) ORDER BY random() LIMIT 1
                    """, logger: quiet).collect()
            }
        case 1:
            let status = ["NEW", "VIEWED", "REJECTED", "HIRED"].randomElement(using: &rng)!
            try await client.run(as: me) { conn in
                _ = try await conn.query("""
                    UPDATE public.responses SET status = \(status)
                    WHERE id IN (SELECT id FROM public.responses WHERE workspace_id = \(workspace) ORDER BY random() LIMIT 1)
                    """, logger: quiet).collect()
            }
        case 2:
            try await client.run(as: me) { conn in
                _ = try await conn.query("""
                    UPDATE public.responses SET entity_id = (SELECT id FROM public.gigs WHERE workspace_id = \(workspace) ORDER BY random() LIMIT 1)
                    WHERE id IN (SELECT id FROM public.responses WHERE workspace_id = \(workspace) ORDER BY random() LIMIT 1)
                    """, logger: quiet).collect()
            }
        case 3:
            let response = try await client.run(as: me) { conn in
                try await conn.query("SELECT id FROM public.responses WHERE workspace_id = \(workspace) ORDER BY random() LIMIT 1", logger: quiet)
                    .collect().first?.decode(UUID.self)
            }
            if let response { try await client.deleteResponse(response, workspace: workspace, as: me) }
        case 4, 5, 6:
            let session = try await client.run(as: me) { conn in
                try await conn.query("SELECT id FROM public.sessions WHERE user_id = \(user) ORDER BY random() LIMIT 1", logger: quiet)
                    .collect().first?.decode(UUID.self)
            }
            guard let session else {
                _ = try await client.createSession(as: me, title: "again", models: ["m/a", "m/b", "m/c"])
                return
            }
            let model = ["m/a", "m/b", "m/c"].randomElement(using: &rng)!
            switch op {
            case 4: _ = try await client.recordModelResponse(sessionID: session, modelID: model)
            case 5: _ = try await client.dismissModel(as: me, sessionID: session, modelID: model, note: "torture")
            default: _ = try await client.addBrains(as: me, sessionID: session, modelID: model, brains: Int.random(in: 1...5, using: &rng))
            }
        case 7:
            try await client.run(as: me) { conn in
                _ = try await conn.query("""
                    DELETE FROM public.sessions WHERE id IN (SELECT id FROM public.sessions WHERE user_id = \(user) ORDER BY random() LIMIT 1)
                    """, logger: quiet).collect()
            }
            _ = try await client.createSession(as: me, title: "again", models: ["m/a", "m/b", "m/c"])
        case 8:
            let log = try await client.logChat(ChatLogEntry(
                userID: user, question: "q", response: "a", toolsUsedJSON: #"[{"name": "get_price"}]"#,
                inputTokens: 10, outputTokens: 20, cost: Decimal(string: "0.0012")!, model: "m"))
            if Bool.random(using: &rng) { _ = try await client.saveChat(log, note: "keep", as: me) }
        case 9, 10:
            let source = try await client.run(as: me) { conn in
                try await conn.query("SELECT id FROM public.generations WHERE user_id = \(user) ORDER BY created_at LIMIT 1", logger: quiet)
                    .collect().first?.decode(UUID.self)
            }
            let job = try await client.createGenerationJob(
                source.map { .edit(of: $0, for: user) } ?? NewGenerationJob(userID: user), as: me)
            _ = try await client.markGenerationJobProcessing(job)
            if op == 9 {
                _ = try await client.completeGenerationJob(job, imageURL: "https://img.example/\(job)", tokensCost: 3)
            } else {
                _ = try await client.failGenerationJob(job, reason: "torture")
            }
        default:
            try await client.run(as: me) { conn in
                _ = try await conn.query("""
                    SELECT public.delete_gig(g.id, g.workspace_id)
                    FROM (SELECT id, workspace_id FROM public.gigs WHERE workspace_id = \(workspace) ORDER BY random() LIMIT 1) AS g
                    """, logger: quiet).collect()
                _ = try await conn.query("INSERT INTO public.gigs (workspace_id, title) VALUES (\(workspace), 'again')", logger: quiet).collect()
            }
        }
    }
}


/// Runs `body` in its own task; returns false when it has not finished after `seconds` (the
/// task is cancelled and left behind, so a hang cannot block the caller).
func withDeadline(seconds: Double, _ body: @escaping @Sendable () async -> Void) async -> Bool {
    let gate = Gate()
    let work = Task {
        await body()
        gate.open(true)
    }
    let timer = Task {
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        gate.open(false)
    }
    let finished = await gate.wait()
    timer.cancel()
    if !finished { work.cancel() }
    return finished
}

/// A one-shot result that the first caller of `open` decides.
final class Gate: Sendable {
    private let state = Mutex<(Bool?, [CheckedContinuation<Bool, Never>])>((nil, []))
    func open(_ value: Bool) {
        let waiters = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            guard s.0 == nil else { return [] }
            s.0 = value
            defer { s.1 = [] }
            return s.1
        }
        for w in waiters { w.resume(returning: value) }
    }
    func wait() async -> Bool {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Bool? in
                if let value = s.0 { return value }
                s.1.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
