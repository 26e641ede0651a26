// Benchmark (seed 001): the three seed-001 views over 1,000,000 messages / 100,000 sessions, and
// the cost of the message counters on insert.
//
// Setup, on a fresh migrated database: 100,000 sessions (60 days, 5 channels, 8 categories,
// statuses, CSAT, eval decisions) and 1,000,000 messages loaded through the real triggers in
// 100,000-row statements; VACUUM ANALYZE. A copy of chat_messages without triggers
// (`bench_messages_plain`: same columns, checks, indexes and foreign key) is the baseline.
//
// Measured:
// - each view, `SELECT * FROM public.v_…` as service_role: median of the rounds (report only);
// - message inserts into chat_messages (counters, first-response trigger) vs bench_messages_plain,
//   interleaved rounds, three ways: single-row inserts through the client (one transaction each,
//   the app's path), 10,000-row INSERT … SELECT statements, and single-row INSERT statements in a
//   server-side loop (no round trips: the triggers' whole cost, the worst case). Reported as
//   throughput relative to the plain table; goal ≥ 0.80× on the client path and the batches.
//
// `SupportChatBenchmark.benchmark` ("support-chat") wraps `supportChatBenchmark(server:…)` for the
// shared core; `--chat-sessions` / `--chat-messages` change the sizes.
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting
import Logging
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

/// One line of the report.
struct SupportChatBenchLine: Sendable {
    var what: String
    /// Median and min–max of the rounds, seconds (views) or rows/s (inserts).
    var median: Double
    var min: Double
    var max: Double
    var baseline: Double?
    /// measured / baseline throughput, median of per-round ratios, with min–max.
    var ratio: (median: Double, min: Double, max: Double)?
    var goal: Double?
    var met: Bool? { goal.map { (ratio?.median ?? 0) >= $0 } }
}

private func chatBenchMedian(_ values: [Double]) -> (median: Double, min: Double, max: Double) {
    let s = values.sorted()
    let m = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    return (m, s.first!, s.last!)
}

private func chatBenchSeconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

@discardableResult
private func chatBenchRun(_ connection: PostgresConnection, _ sql: String, logger: Logger) async throws -> [PostgresRow] {
    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
}

/// Runs the benchmark on `server` (a migrated database of its own) and returns the report lines.
/// `sessions` / `messages` default to the issue's sizes; `log` receives progress.
func supportChatBenchmark(
    server: ThrowawayPostgres, sessions: Int = 100_000, messages: Int = 1_000_000, rounds: Int = 5,
    clientInserts: Int = 2_000, batchRows: Int = 10_000, loopInserts: Int = 5_000,
    logger: Logger, log: (String) -> Void
) async throws -> [SupportChatBenchLine] {
    let database = try await server.makeDatabase(from: nil)
    let connection = try await database.connect(logger: logger)
    do {
        let lines = try await supportChatBenchmarkBody(
            database: database, connection: connection, sessions: sessions, messages: messages, rounds: rounds,
            clientInserts: clientInserts, batchRows: batchRows, loopInserts: loopInserts, logger: logger, log: log)
        try await connection.close().get()
        return lines
    } catch {
        // A PostgresConnection must be closed before it is released.
        try? await connection.close().get()
        throw error
    }
}

private func supportChatBenchmarkBody(
    database: TestDatabase, connection: PostgresConnection, sessions: Int, messages: Int, rounds: Int,
    clientInserts: Int, batchRows: Int, loopInserts: Int, logger: Logger, log: (String) -> Void
) async throws -> [SupportChatBenchLine] {
    let catalog = try SQLDirectory.locate(nil).load()
    try await Migrator(catalog: catalog, logger: logger).migrate(on: connection)
    func run(_ sql: String) async throws { try await chatBenchRun(connection, sql, logger: logger) }

    // Load.
    let load = try await chatBenchSeconds {
        try await run("""
            INSERT INTO public.chat_sessions (session_id, channel, primary_category, created_at, eval_decision, csat_score, customer_email)
            SELECT 'sess_' || g,
                   (ARRAY['widget', 'whatsapp', 'facebook', 'email', 'telegram'])[1 + g % 5],
                   (ARRAY['billing', 'shipping', 'returns', 'pause', 'cancel', 'address', 'product', NULL])[1 + (g * 7) % 8],
                   now() - (g % 60) * interval '1 day' - (g % 1440) * interval '1 minute',
                   (ARRAY['send', 'draft', 'escalate', NULL])[1 + (g * 3) % 4],
                   CASE WHEN g % 3 = 0 THEN 1 + g % 5 END,
                   'customer' || (g % 40000) || '@example.com'
            FROM generate_series(1, \(sessions)) g
            """)
        let perStatement = 100_000
        var done = 0
        while done < messages {
            let n = min(perStatement, messages - done)
            try await run("""
                INSERT INTO public.chat_messages (session_id, role, content, cost_usd, token_count, created_at)
                SELECT 'sess_' || (1 + g % \(sessions)),
                       (ARRAY['user', 'assistant', 'assistant', 'system', 'tool'])[1 + (g * 11) % 5],
                       'message ' || g,
                       CASE WHEN g % 17 = 0 THEN NULL ELSE ((g * 37) % 1000) / 100000.0 END,
                       100 + g % 900,
                       now() - ((1 + g % \(sessions)) % 60) * interval '1 day' + (g % 97) * interval '1 second'
                FROM generate_series(\(done + 1), \(done + n)) g
                """)
            done += n
            log("  loaded \(done) messages")
        }
        try await run("UPDATE public.chat_sessions SET status = 'escalated' WHERE substr(session_id, 6)::int % 7 IN (1, 2)")
        try await run("UPDATE public.chat_sessions SET status = 'resolved' WHERE substr(session_id, 6)::int % 7 IN (2, 3, 4)")
        try await run("VACUUM ANALYZE public.chat_sessions")
        try await run("VACUUM ANALYZE public.chat_messages")
    }
    let drift = try await chatBenchRun(connection, "SELECT count(*) FROM invariants.chat_session_messages_drift", logger: logger)
        .first!.decode(Int64.self)
    guard drift == 0 else { throw InvariantsError(.other, "counters drifted after the load: \(drift) rows") }
    log("  load: \(sessions) sessions, \(messages) messages in \(String(format: "%.1f s", load)) (counters exact)")

    var lines: [SupportChatBenchLine] = []

    // Views.
    for view in ["v_session_stats", "v_cost_by_category", "v_pipeline_funnel"] {
        let plan = try await chatBenchRun(connection, "EXPLAIN (COSTS OFF) SELECT * FROM public.\(view)", logger: logger)
            .map { try $0.decode(String.self) }
        log("  plan of \(view):\n" + plan.map { "      " + $0 }.joined(separator: "\n"))
        var times: [Double] = []
        for round in 0...rounds {
            try await run("BEGIN")
            try await InvariantsClient.apply(.service, on: connection, logger: logger)
            let t = try await chatBenchSeconds { try await run("SELECT * FROM public.\(view)") }
            try await run("COMMIT")
            if round > 0 { times.append(t) }
        }
        let m = chatBenchMedian(times)
        lines.append(SupportChatBenchLine(what: "SELECT * FROM \(view) (1M messages / 100k sessions)", median: m.median, min: m.min, max: m.max))
        log("  \(view): \(String(format: "%.1f ms", m.median * 1000))")
    }

    // The baseline table: same columns, defaults, checks, indexes and foreign key; no triggers.
    try await run("CREATE TABLE public.bench_messages_plain (LIKE public.chat_messages INCLUDING ALL)")
    try await run("""
        ALTER TABLE public.bench_messages_plain ADD FOREIGN KEY (session_id)
            REFERENCES public.chat_sessions (session_id) ON DELETE CASCADE
        """)
    // The same access as chat_messages: RLS on (service_role bypasses it), granted to service_role.
    try await run("ALTER TABLE public.bench_messages_plain ENABLE ROW LEVEL SECURITY")
    try await run("GRANT SELECT, INSERT, UPDATE, DELETE ON public.bench_messages_plain TO service_role")

    let client = try await InvariantsClient.connect(url: database.url, maximumConnections: 2, logger: logger)
    defer { client.close() }
    var serial = 0
    func nextSession() -> String {
        serial += 1
        return "sess_\(1 + (serial * 7919) % sessions)"
    }

    /// One round of `kind` into `table`; returns rows per second.
    func insertRound(_ kind: String, into table: String) async throws -> Double {
        switch kind {
        case "client":
            let t = try await chatBenchSeconds {
                for i in 0..<clientInserts {
                    let session = nextSession()
                    let role = i % 2 == 0 ? "user" : "assistant"
                    try await client.run(as: .service) { conn in
                        try await conn.query(
                            PostgresQuery(unsafeSQL: "INSERT INTO public.\(table) (session_id, role, content, cost_usd) VALUES ($1, $2, 'bench', 0.0001)",
                                          binds: { var b = PostgresBindings(); b.append(session); b.append(role); return b }()),
                            logger: logger)
                    }
                }
            }
            return Double(clientInserts) / t
        case "batch":
            let offset = Int.random(in: 0..<sessions)
            let t = try await chatBenchSeconds {
                try await run("""
                    INSERT INTO public.\(table) (session_id, role, content, cost_usd)
                    SELECT 'sess_' || (1 + (\(offset) + g * 7919) % \(sessions)), (ARRAY['user', 'assistant', 'tool'])[1 + g % 3], 'bench', 0.0001
                    FROM generate_series(1, \(batchRows)) g
                    """)
            }
            return Double(batchRows) / t
        default:
            let offset = Int.random(in: 0..<sessions)
            let t = try await chatBenchSeconds {
                try await run("""
                    DO $$
                    BEGIN
                        FOR g IN 1..\(loopInserts) LOOP
                            INSERT INTO public.\(table) (session_id, role, content, cost_usd)
                            VALUES ('sess_' || (1 + (\(offset) + g * 7919) % \(sessions)), (ARRAY['user', 'assistant', 'tool'])[1 + g % 3], 'bench', 0.0001);
                        END LOOP;
                    END
                    $$
                    """)
            }
            return Double(loopInserts) / t
        }
    }

    let kinds: [(String, String, Double?)] = [
        ("client", "single-row inserts through the client, one transaction each", 0.80),
        ("batch", "\(batchRows.formatted())-row INSERT … SELECT statements", 0.80),
        ("loop", "single-row INSERTs in a server-side loop (no round trips; triggers' whole cost)", nil),
    ]
    for (kind, description, goal) in kinds {
        var measured: [Double] = [], baseline: [Double] = []
        for round in 0...rounds {
            var m = 0.0, b = 0.0
            if round % 2 == 0 {
                m = try await insertRound(kind, into: "chat_messages")
                b = try await insertRound(kind, into: "bench_messages_plain")
            } else {
                b = try await insertRound(kind, into: "bench_messages_plain")
                m = try await insertRound(kind, into: "chat_messages")
            }
            log("  \(kind) round \(round)\(round == 0 ? " (warm-up)" : ""): \(Int(m)) rows/s with counters, \(Int(b)) rows/s plain")
            if round > 0 {
                measured.append(m)
                baseline.append(b)
            }
        }
        let m = chatBenchMedian(measured), b = chatBenchMedian(baseline)
        let r = chatBenchMedian(zip(measured, baseline).map { $0 / $1 })
        lines.append(SupportChatBenchLine(
            what: "message inserts with counters vs without triggers: \(description)", median: m.median, min: m.min, max: m.max,
            baseline: b.median, ratio: r, goal: goal))
    }
    let after = try await chatBenchRun(connection, "SELECT count(*) FROM invariants.chat_session_messages_drift", logger: logger)
        .first!.decode(Int64.self)
    guard after == 0 else { throw InvariantsError(.other, "counters drifted during the insert rounds: \(after) rows") }
    return lines
}

/// The lines as markdown rows: | benchmark | measured | baseline | ratio | goal | result |.
func supportChatBenchMarkdown(_ lines: [SupportChatBenchLine]) -> [String] {
    lines.map { line in
        let isRate = line.baseline != nil
        func value(_ x: Double) -> String { isRate ? "\(Int(x.rounded()).formatted()) rows/s" : String(format: "%.1f ms", x * 1000) }
        let ratio = line.ratio.map { String(format: "%.2f× (%.2f–%.2f) throughput", $0.median, $0.min, $0.max) } ?? "—"
        let goal = line.goal.map { String(format: "≥ %.2f×", $0) } ?? "report"
        let met = line.met.map { $0 ? "yes" : "**NO**" } ?? "—"
        return "| \(line.what) | \(value(line.median)) (\(value(line.min))–\(value(line.max))) | \(line.baseline.map(value) ?? "—") | \(ratio) | \(goal) | \(met) |"
    }
}

enum SupportChatBenchmark {
    static let benchmark = Benchmark(
        name: "support-chat",
        summary: "seed 001: the three views over 1M messages / 100k sessions; message counters' insert cost vs no triggers",
        options: ["chat-sessions": "sessions (100000)", "chat-messages": "messages (1000000)"],
        run: run)

    static func run(_ context: BenchContext) async throws -> [ResultRow] {
        let s = context.settings
        let lines = try await supportChatBenchmark(
            server: try await context.servers.server(fsync: false),
            sessions: s.int("chat-sessions", default: 100_000, quick: 5_000),
            messages: s.int("chat-messages", default: 1_000_000, quick: 50_000),
            rounds: s.rounds(standard: 5), clientInserts: s.quick ? 300 : 2_000, logger: quiet, log: context.log)
        return lines.map { line in
            ResultRow(
                benchmark: "support-chat", measured: line.what,
                measuredValue: Spread([line.min, line.median, line.max]),
                unit: line.baseline == nil ? .seconds : .rate("rows/s"),
                baseline: line.baseline == nil ? nil : "the same inserts into a copy without triggers",
                baselineValue: line.baseline.map { Spread([$0]) },
                ratio: line.ratio.map { Spread([$0.min, $0.median, $0.max]) },
                ratioMeaning: line.ratio == nil ? "" : "throughput",
                goal: line.goal.map { [.ratioAtLeast($0)] } ?? [])
        }
    }
}
