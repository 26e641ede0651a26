// Platform: what every user of the project pays, whatever the modules.
//   client-call: the Swift client calling public.gig_response_counts from 8 tasks vs pgbench -M prepared
//                making the same call from 8 clients as a libpq app would (BEGIN, role and claims, the
//                call, COMMIT), both over TCP — goal ≥ 0.80× throughput; and, reported, vs pgbench
//                sending the client's own one statement (the driver's cost alone);
//   migrate-all: the migrator applying every migration and the repeatable set to an empty database
//                — goal < 2 s; baseline: the same committed files through psql -f (the DBA route);
//   clone:       a per-test database from the migrated template — goal < 100 ms; baseline: an empty
//                CREATE DATABASE from template0.
import Foundation
import GigResponses
import Invariants
import InvariantsTypedCalls
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

enum PlatformBenchmark {
    static let benchmark = Benchmark(
        name: "platform",
        summary: "Swift client call vs pgbench, migrating everything, a database per test",
        options: ["calls": "calls per client per round (2000; quick 300)"],
        run: run)

    static func run(_ context: BenchContext) async throws -> [ResultRow] {
        let rounds = context.settings.rounds(standard: 5)
        let calls = context.settings.int("calls", default: 2000, quick: 300)
        let (server, template) = try await context.servers.migratedTemplate()
        var rows: [ResultRow] = []

        // client-call
        let database = try await server.makeDatabase(from: template)
        let (workspace, gig) = (UUID(), UUID())
        try await database.withConnection(logger: quiet) { conn in
            _ = try await conn.query("INSERT INTO public.workspaces (id, name) VALUES (\(workspace), 'bench')", logger: quiet).collect()
            _ = try await conn.query("INSERT INTO public.gigs (id, workspace_id, title) VALUES (\(gig), \(workspace), 'bench')", logger: quiet).collect()
            _ = try await conn.query("INSERT INTO public.responses (workspace_id, entity_id) SELECT \(workspace), \(gig) FROM generate_series(1, 20)", logger: quiet).collect()
        }
        // A fixed pool of 8, as an app server keeps it (HikariCP's default shape).
        let client = try await InvariantsClient.connect(url: database.url, maximumConnections: 8, minimumConnections: 8, logger: quiet)
        // The call's shape is its declaration's (GigResponsesCalls.counts), as in the client.
        let counts = GigResponsesCalls.counts
        let sql = "SELECT \(counts.selectList) FROM \(counts.function.name.sql)('\(gig)', '\(workspace)')"
        let clientCalls: @Sendable () async throws -> Double = {
            let t = try await seconds {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            // The typed call as an app makes it, as the backend.
                            for _ in 0..<calls { _ = try await client.counts(gig: gig, workspace: workspace) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            return Double(8 * calls) / t
        }
        // Goal row: the call as a careful libpq app makes it — BEGIN, the role and claims, the
        // call, COMMIT — prepared, over the same TCP loopback.
        let call = try await interleaved(rounds: rounds, label: "client-call", measured: clientCalls, baseline: {
            try PgBench(database: database, overTCP: true).run(script: """
                BEGIN;
                SELECT pg_catalog.set_config('role', 'service_role', true), pg_catalog.set_config('request.jwt.claims', '{"role":"service_role"}', true);
                \(sql);
                COMMIT;
                """, clients: 8, transactions: calls)
        })
        rows.append(throughputRow("client call", measured: "`counts(gig:workspace:)` from 8 Swift tasks (one statement through `invariants.call_as`)", baseline: "pgbench -M prepared, 8 clients, TCP: BEGIN, role and claims, the call, COMMIT", call, noun: "calls", goal: [.ratioAtLeast(0.80)]))
        // Report row: the very statement the client sends, so the ratio is the driver's own cost
        // (PostgresNIO vs libpq), with the protocol saving taken out.
        let statement = "'" + counts.callAsStatement.replacingOccurrences(of: "'", with: "''") + "'"
        let callAs = "SELECT * FROM invariants.call_as('service_role', '{\"role\":\"service_role\"}', \(statement), ARRAY['\(gig)', '\(workspace)']) AS result(\(counts.columnDefinitionList))"
        let driver = try await interleaved(rounds: rounds, label: "client-driver", measured: clientCalls, baseline: {
            try PgBench(database: database, overTCP: true).run(script: callAs.replacingOccurrences(of: "\n", with: " ") + ";", clients: 8, transactions: calls)
        })
        client.close()
        rows.append(throughputRow("client call, driver only", measured: "the same calls", baseline: "pgbench -M prepared, 8 clients, TCP: the client's `invariants.call_as` statement", driver, noun: "calls"))

        // migrate-all
        let catalogDirectory = SQLDirectory.locate(nil)
        let catalog = try catalogDirectory.load()
        let migrate = try await interleaved(rounds: rounds, label: "migrate-all", measured: {
            let empty = try await server.makeDatabase(from: nil)
            defer { Task { try? await empty.drop() } }
            return try await seconds {
                try await empty.withConnection(logger: quiet) { conn in _ = try await Migrator(catalog: catalog, logger: quiet).migrate(on: conn) }
            }
        }, baseline: {
            let empty = try await server.makeDatabase(from: nil)
            defer { Task { try? await empty.drop() } }
            let files = catalog.migrations.map { catalogDirectory.path + "/" + MigrationFile.relativePath(for: $0) }
                + catalog.modules.map { catalogDirectory.path + "/" + RepeatableSetFile.relativePath(module: $0.name) }
            return try await seconds { try psql(files: files, database: empty) }
        })
        rows.append(costRow("migrate all modules", measured: "`invariants migrate` on an empty database (\(catalog.migrations.count) migrations, \(catalog.repeatables.count) objects)",
                            baseline: "the same files through `psql -f`", migrate, goal: [.secondsAtMost(2)]))

        // clone
        let clone = try await interleaved(rounds: max(rounds, 10), label: "clone", measured: {
            var made: TestDatabase?
            let t = try await seconds { made = try await server.makeDatabase(from: template) }
            try await made?.drop()
            return t
        }, baseline: {
            var made: TestDatabase?
            let t = try await seconds { made = try await server.makeDatabase(from: nil) }
            try await made?.drop()
            return t
        })
        rows.append(costRow("database per test", measured: "a clone of the migrated template", baseline: "an empty database", clone, goal: [.secondsAtMost(0.1)]))
        try? await database.drop()
        return rows
    }

    /// Applies files in order with psql (stop at the first error), over the Unix socket.
    static func psql(files: [String], database: TestDatabase) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ThrowawayPostgresOptions.defaultBinDirectory + "/psql")
        process.arguments = ["-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", database.server.socketDirectory, "-p", String(database.server.port),
                             "-U", database.server.superuser, "-d", database.name] + files.flatMap { ["-f", $0] }
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("psql failed: \(text)") }
    }
}
