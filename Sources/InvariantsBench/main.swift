// InvariantsBench: owner row-level security against an explicit filter, on a throwaway server.
//
//   swift run -c release InvariantsBench [--users 1000] [--rows-per-user 1000] [--rounds 7] [--iterations 40]
//
// Starts its own PostgreSQL (InvariantsTesting), migrates the catalog from sql/, bulk-loads
// users × rows-per-user rows as the superuser, ANALYZEs, then measures, in interleaved rounds:
//   measured: SELECT count(*), sum(response_count) FROM public.model_statistics          as user X (RLS filters)
//   baseline: SELECT count(*), sum(response_count) FROM public.model_statistics WHERE user_id = X  as service_role
// Each statement runs inside BEGIN / set role and claims / … / COMMIT, as the client does; only the
// SELECT itself is timed. Exit status 1 when the goal is missed.
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting
import Logging
import PostgresNIO

let quiet: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    return logger
}()

struct Settings {
    var users = 1000
    var rowsPerUser = 1000
    var rounds = 7
    var iterations = 40
    var goal = 1.3

    init(_ arguments: [String]) {
        var it = arguments.dropFirst().makeIterator()
        while let flag = it.next() {
            guard let value = it.next() else { fatalError("\(flag) needs a value") }
            switch flag {
            case "--users": users = Int(value)!
            case "--rows-per-user": rowsPerUser = Int(value)!
            case "--rounds": rounds = max(5, Int(value)!)
            case "--iterations": iterations = Int(value)!
            case "--goal": goal = Double(value)!
            default: fatalError("unknown option \(flag)")
            }
        }
    }
}

/// The table measured: the seed 000 table when the catalog has it, else a table of the bench's
/// own with the same owner-RLS shape (rendered the way OwnerRowLevelSecurity renders it).
struct Target {
    var table: String
    var setup: [String]
    var load: String
}

func target(_ connection: PostgresConnection, rowsPerUser: Int) async throws -> Target {
    let exists = try await connection.query("SELECT to_regclass('public.model_statistics') IS NOT NULL", logger: quiet)
        .collect().first!.decode(Bool.self)
    if exists {
        return Target(table: "public.model_statistics", setup: [], load: """
            INSERT INTO public.model_statistics (user_id, model_id, response_count)
            SELECT u.id, 'bench/model-' || g, (g % 97)
            FROM auth.users u CROSS JOIN generate_series(1, \(rowsPerUser)) g
            """)
    }
    return Target(table: "public.bench_statistics", setup: [
        """
        CREATE TABLE public.bench_statistics (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id uuid NOT NULL REFERENCES auth.users (id),
            model_id text NOT NULL,
            response_count integer NOT NULL DEFAULT 0,
            UNIQUE (user_id, model_id))
        """,
        "ALTER TABLE public.bench_statistics ENABLE ROW LEVEL SECURITY",
        "REVOKE ALL ON public.bench_statistics FROM PUBLIC, anon, authenticated, service_role",
        "GRANT ALL ON public.bench_statistics TO service_role",
        "GRANT SELECT ON public.bench_statistics TO authenticated",
        """
        CREATE POLICY bench_statistics_owner_select ON public.bench_statistics
            AS PERMISSIVE FOR SELECT TO authenticated USING ((SELECT auth.uid()) = user_id)
        """,
    ], load: """
        INSERT INTO public.bench_statistics (user_id, model_id, response_count)
        SELECT u.id, 'bench/model-' || g, (g % 97)
        FROM auth.users u CROSS JOIN generate_series(1, \(rowsPerUser)) g
        """)
}

@discardableResult
func run(_ connection: PostgresConnection, _ sql: String) async throws -> [PostgresRow] {
    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quiet).collect()
}

/// One timed SELECT inside the caller's context; returns (seconds, count, sum).
func timed(_ connection: PostgresConnection, as context: UserContext, _ sql: String) async throws -> (Double, Int64, Int64) {
    try await run(connection, "BEGIN")
    try await InvariantsClient.apply(context, on: connection, logger: quiet)
    let clock = ContinuousClock()
    let start = clock.now
    let row = try await run(connection, sql).first!
    let elapsed = clock.now - start
    try await run(connection, "COMMIT")
    let (count, sum) = try row.decode((Int64, Int64).self)
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, count, sum)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }

func machine() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
    return "\(cpu), \(cores) cores, \(String(format: "%.1f", memory)) GiB RAM"
}

let settings = Settings(CommandLine.arguments)
let server = try await ThrowawayPostgres.start()
do {
    let database = try await server.makeDatabase(from: nil)
    let connection = try await database.connect(logger: quiet)
    let catalog = try SQLDirectory.locate(nil).load()
    try await Migrator(catalog: catalog, logger: quiet).migrate(on: connection)
    let version = try await run(connection, "SELECT current_setting('server_version')").first!.decode(String.self)

    let target = try await target(connection, rowsPerUser: settings.rowsPerUser)
    for statement in target.setup { try await run(connection, statement) }
    let clock = ContinuousClock()
    let loadStart = clock.now
    try await run(connection, "INSERT INTO auth.users (id, email) SELECT gen_random_uuid(), 'bench-' || g || '@bench.test' FROM generate_series(1, \(settings.users)) g")
    try await run(connection, target.load)
    try await run(connection, "ANALYZE auth.users")
    try await run(connection, "ANALYZE \(target.table)")
    let total = try await run(connection, "SELECT count(*) FROM \(target.table)").first!.decode(Int64.self)
    let loadTime = clock.now - loadStart
    let user = try await run(connection, "SELECT id FROM auth.users ORDER BY email LIMIT 1 OFFSET \(settings.users / 2)").first!.decode(UUID.self)
    print("loaded \(total) rows of \(target.table) for \(settings.users) users in \(loadTime.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")

    let measuredSQL = "SELECT count(*)::bigint, coalesce(sum(response_count), 0)::bigint FROM \(target.table)"
    let baselineSQL = measuredSQL + " WHERE user_id = '\(user.uuidString.lowercased())'"

    // The plan the user gets: RLS must turn into an index condition, not a filter over every row.
    try await run(connection, "BEGIN")
    try await InvariantsClient.apply(.user(user), on: connection, logger: quiet)
    let plan = try await run(connection, "EXPLAIN (COSTS OFF) " + measuredSQL).map { try $0.decode(String.self) }
    try await run(connection, "COMMIT")
    print("plan as the user:\n" + plan.map { "    " + $0 }.joined(separator: "\n"))

    var measuredRounds: [Double] = [], baselineRounds: [Double] = []
    for round in 0...settings.rounds {  // round 0 warms the cache and is discarded
        var measured: [Double] = [], baseline: [Double] = []
        for i in 0..<settings.iterations {
            // Alternate which goes first, so neither always runs on a warmer cache.
            let order = (i + round) % 2 == 0
            for first in [order, !order] {
                if first {
                    let (t, count, sum) = try await timed(connection, as: .user(user), measuredSQL)
                    measured.append(t)
                    precondition(count == Int64(settings.rowsPerUser), "RLS let the user see \(count) rows")
                    _ = sum
                } else {
                    let (t, count, _) = try await timed(connection, as: .service, baselineSQL)
                    baseline.append(t)
                    precondition(count == Int64(settings.rowsPerUser))
                }
            }
        }
        if round > 0 {
            measuredRounds.append(median(measured))
            baselineRounds.append(median(baseline))
        }
    }
    let m = median(measuredRounds), b = median(baselineRounds)
    let ratios = zip(measuredRounds, baselineRounds).map { $0 / $1 }
    let ratio = m / b
    let pass = ratio <= settings.goal
    try await connection.close().get()

    print("")
    print("machine: \(machine()); PostgreSQL \(version); \(settings.rounds) rounds × \(settings.iterations) interleaved queries each; median of round medians (spread = min–max of rounds)")
    print("")
    print("| benchmark | measured | baseline | ratio | goal | result |")
    print("|---|---|---|---|---|---|")
    print("| owner-RLS select as a user over \(total.formatted()) rows (\(target.table)) vs `WHERE user_id = …` as service_role "
          + "| \(ms(m)) (\(ms(measuredRounds.min()!))–\(ms(measuredRounds.max()!))) "
          + "| \(ms(b)) (\(ms(baselineRounds.min()!))–\(ms(baselineRounds.max()!))) "
          + "| \(String(format: "%.2f×", ratio)) (\(String(format: "%.2f", ratios.min()!))–\(String(format: "%.2f", ratios.max()!))) "
          + "| ≤ \(String(format: "%.1f", settings.goal))× | \(pass ? "pass" : "FAIL") |")
    try await server.stop()
    if !pass { exit(1) }
} catch {
    try? await server.stop()
    FileHandle.standardError.write(Data("bench failed: \(String(reflecting: error))\n".utf8))
    exit(2)
}
