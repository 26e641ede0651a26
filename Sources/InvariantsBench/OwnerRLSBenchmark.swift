// Owner row-level security against an explicit filter.
//
// Migrates the catalog, bulk-loads users × rows-per-user rows of public.model_statistics (seed 000)
// as the superuser, ANALYZEs, then measures, in interleaved rounds:
//   measured: SELECT count(*), sum(response_count) FROM public.model_statistics          as user X (RLS filters)
//   baseline: SELECT count(*), sum(response_count) FROM public.model_statistics WHERE user_id = X  as service_role
// Each statement runs inside BEGIN / set role and claims / … / COMMIT, as the client does; only the
// SELECT itself is timed.
import Foundation
import Invariants
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

enum OwnerRLSBenchmark {
    static let benchmark = Benchmark(
        name: "rls",
        summary: "owner-RLS select as a user vs the same select with WHERE user_id = … as service_role",
        options: [
            "users": "users loaded (1000; quick 100)",
            "rows-per-user": "rows per user (1000; quick 100)",
            "iterations": "query pairs per round (40; quick 10)",
            "rls-goal": "goal, the highest time ratio (1.3)",
        ],
        run: run)

    /// The table measured: the seed 000 table when the catalog has it, else a table of the bench's
    /// own with the same owner-RLS shape (rendered the way RowLevelSecurity's owner predicate renders it).
    struct Target {
        var table: String
        var setup: [String]
        var load: String
    }

    static func target(_ connection: PostgresConnection, rowsPerUser: Int) async throws -> Target {
        let exists: Bool = try await connection.value("SELECT to_regclass('public.model_statistics') IS NOT NULL")
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

    /// One timed SELECT inside the caller's context; returns (seconds, count).
    static func timed(_ connection: PostgresConnection, as context: UserContext, _ sql: String) async throws -> (Double, Int64) {
        try await connection.run("BEGIN")
        try await InvariantsClient.apply(context, on: connection, logger: quiet)
        var row: PostgresRow?
        let elapsed = try await seconds { row = try await connection.run(sql).first }
        try await connection.run("COMMIT")
        let (count, _) = try row!.decode((Int64, Int64).self)
        return (elapsed, count)
    }

    static func run(_ context: BenchContext) async throws -> [ResultRow] {
        let settings = context.settings
        let users = settings.int("users", default: 1000, quick: 100)
        let rowsPerUser = settings.int("rows-per-user", default: 1000, quick: 100)
        let iterations = settings.int("iterations", default: 40, quick: 10)
        let goal = settings.double("rls-goal", default: 1.3)
        let rounds = settings.rounds(standard: 7)

        let database = try await context.servers.migratedDatabase()
        let rows: [ResultRow] = try await database.withConnection(logger: quiet) { connection in

            let target = try await target(connection, rowsPerUser: rowsPerUser)
            for statement in target.setup { try await connection.run(statement) }
            let loadTime = try await seconds {
                try await connection.run("INSERT INTO auth.users (id, email) SELECT gen_random_uuid(), 'bench-' || g || '@bench.test' FROM generate_series(1, \(users)) g")
                try await connection.run(target.load)
                try await connection.run("ANALYZE auth.users")
                try await connection.run("ANALYZE \(target.table)")
            }
            let total: Int64 = try await connection.value("SELECT count(*) FROM \(target.table)")
            let user: UUID = try await connection.value("SELECT id FROM auth.users ORDER BY email LIMIT 1 OFFSET \(users / 2)")
            context.log("rls: loaded \(total) rows of \(target.table) for \(users) users in \(String(format: "%.1f", loadTime)) s")

            let measuredSQL = "SELECT count(*)::bigint, coalesce(sum(response_count), 0)::bigint FROM \(target.table)"
            let baselineSQL = measuredSQL + " WHERE user_id = '\(user.uuidString.lowercased())'"

            // The plan the user gets: RLS must turn into an index condition, not a filter over every row.
            try await connection.run("BEGIN")
            try await InvariantsClient.apply(.user(user), on: connection, logger: quiet)
            let plan = try await connection.run("EXPLAIN (COSTS OFF) " + measuredSQL).map { try $0.decode(String.self) }
            try await connection.run("COMMIT")
            context.log("rls: plan as the user:\n" + plan.map { "    " + $0 }.joined(separator: "\n"))

            // Each round: the median of `iterations` pairs, the order within a pair alternating.
            var measuredRounds: [Double] = [], baselineRounds: [Double] = []
            for round in 0...rounds {  // round 0 warms the cache and is discarded
                var measured: [Double] = [], baseline: [Double] = []
                for i in 0..<iterations {
                    let order = (i + round) % 2 == 0
                    for first in [order, !order] {
                        if first {
                            let (t, count) = try await timed(connection, as: .user(user), measuredSQL)
                            guard count == Int64(rowsPerUser) else { throw BenchError("RLS let the user see \(count) rows") }
                            measured.append(t)
                        } else {
                            let (t, count) = try await timed(connection, as: .service, baselineSQL)
                            guard count == Int64(rowsPerUser) else { throw BenchError("baseline saw \(count) rows") }
                            baseline.append(t)
                        }
                    }
                }
                if round > 0 {
                    measuredRounds.append(Spread(measured).median)
                    baselineRounds.append(Spread(baseline).median)
                }
            }
            let comparison = Comparison(measured: measuredRounds, baseline: baselineRounds)
            return [costRow(
                "owner RLS, \(total.formatted()) rows",
                measured: "`SELECT count(*), sum(…)` as a user (RLS filters)",
                baseline: "same with `WHERE user_id = …` as service_role",
                comparison, goal: [.ratioAtMost(goal)])]
        }
        try await database.drop()
        return rows
    }
}
