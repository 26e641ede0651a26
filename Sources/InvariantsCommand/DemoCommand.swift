import ArgumentParser
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a throwaway PostgreSQL, migrate it, run a scripted workload through the Swift client, report.",
        discussion: """
            Leaves nothing running: the server is stopped and its directory removed at the end, also
            when a step fails. Needs the PostgreSQL server binaries (make demo installs them).

            Example:
              invariants demo
              invariants demo --pg-bin /usr/lib/postgresql/15/bin
            """
    )

    @Option(name: .customLong("sql-dir"), help: ArgumentHelp("The generated SQL directory. Default: ./sql.", valueName: "path"))
    var sqlDirectory: String?

    @Option(name: .customLong("pg-bin"), help: ArgumentHelp("PostgreSQL bin directory. Default: $INVARIANTS_PG_BIN, else /usr/lib/postgresql/15/bin.", valueName: "path"))
    var pgBin: String?

    func run() async throws {
        try await failing {
            var options = ThrowawayPostgresOptions()
            if let pgBin { options.binDirectory = pgBin }
            let catalog = DemoModule.catalog(extending: try SQLDirectory.locate(sqlDirectory).load())
            let report = Report()
            report.title("Invariants demo")

            let server = try await ThrowawayPostgres.start(options)
            do {
                try await DemoScript(server: server, catalog: catalog, report: report).run()
            } catch {
                try? await server.stop()
                throw error
            }
            try await server.stop()
            report.line("server stopped, \(server.directory) removed: " + (FileManager.default.fileExists(atPath: server.directory) ? "NO (left behind)" : "nothing left running"))
        }
    }
}

/// Prints the demo's story as aligned lines.
final class Report: Sendable {
    func title(_ text: String) { print("\n\(text)\n" + String(repeating: "=", count: text.count)) }
    func section(_ text: String) { print("\n\(text)") }
    func line(_ text: String) { print("  " + text) }
    func check(_ ok: Bool, _ text: String) { print("  \(ok ? "✔" : "✘") \(text)") }
}

struct DemoFailure: Error, CustomStringConvertible {
    var description: String
}

struct DemoScript {
    let server: ThrowawayPostgres
    let catalog: Catalog
    let report: Report

    func run() async throws {
        report.section("1. A throwaway PostgreSQL")
        let admin = try await InvariantsClient.connect(url: server.url(), logger: quietLogger)
        let version = try await admin.query("SELECT current_setting('server_version')").first?.decode(String.self) ?? "?"
        admin.close()
        report.line("PostgreSQL \(version) on 127.0.0.1:\(server.port), started in \(ms(server.startupDuration)) ms, data in \(server.directory)")

        report.section("2. Migrate: \(catalog.migrations.count) migrations + \(catalog.repeatables.count) stored-logic objects, 4 migrators racing")
        let database = try await server.makeDatabase(from: nil)
        let url = try DatabaseURL(database.url)
        let started = ContinuousClock.now
        let reports = try await withThrowingTaskGroup(of: MigrationReport.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let connection = try await InvariantsClient.openConnection(url: url, logger: quietLogger)
                    let migrator = try Migrator(catalog: catalog, options: .init(lockPollInterval: .milliseconds(20)), logger: quietLogger)
                    let result = try await migrator.migrate(on: connection)
                    try? await connection.close()
                    return result
                }
            }
            return try await group.reduce(into: [MigrationReport]()) { $0.append($1) }
        }
        let applied = reports.flatMap(\.appliedMigrations)
        report.line("applied \(applied.sorted().joined(separator: ", ")) in \(ms(ContinuousClock.now - started)) ms")
        report.check(applied.count == catalog.migrations.count && Set(applied).count == applied.count,
                     "each migration applied exactly once (\(reports.filter { !$0.changedAnything }.count) migrators found nothing left to do)")

        let client = try await InvariantsClient.connect(url: url, logger: quietLogger)
        defer { client.close() }

        report.section("3. updated_at belongs to the database")
        try await client.execute("INSERT INTO demo.notebooks (title) VALUES ('Field notes')")
        let lied = try await client.query("""
            INSERT INTO demo.notes (notebook_id, slug, title, body, updated_at)
            SELECT 1, 'note-' || n, 'Note ' || n, json_build_object('n', n), '1999-01-01'
            FROM generate_series(1, 3) AS n
            RETURNING (updated_at > now() - interval '1 minute')
            """).map { try $0.decode(Bool.self) }
        report.check(lied.allSatisfy { $0 }, "3 notes inserted with a client-sent updated_at of 1999-01-01: all stored with the server clock")

        let before = try await timestamps(client)
        try await Task.sleep(for: .milliseconds(20))
        try await client.execute("UPDATE demo.notes SET title = 'Note 1, revised' WHERE slug = 'note-1'")
        try await client.execute("UPDATE demo.notes SET title = title, body = body WHERE slug = 'note-2'")
        try await client.execute("UPDATE demo.notes SET updated_at = '2000-01-01' WHERE slug = 'note-3'")
        let after = try await timestamps(client)
        report.check(after["note-1"]! > before["note-1"]!, "a real change moved updated_at forward")
        report.check(after["note-2"] == before["note-2"], "a no-op UPDATE (a json column included) left it alone")
        report.check(after["note-3"] == before["note-3"], "a client that writes updated_at itself is ignored")

        report.section("4. Refused writes become typed Swift errors, and nothing is written")
        let attempts: [(String, String)] = [
            ("a duplicate slug", "INSERT INTO demo.notes (notebook_id, slug, title) VALUES (1, 'note-1', 'Again')"),
            ("an empty title", "INSERT INTO demo.notes (notebook_id, slug, title) VALUES (1, 'note-9', '')"),
            ("a note in a missing notebook", "INSERT INTO demo.notes (notebook_id, slug, title) VALUES (42, 'note-8', 'Lost')"),
        ]
        for (what, sql) in attempts {
            do {
                try await client.execute(PostgresQuery(unsafeSQL: sql))
                report.check(false, "\(what) was accepted")
            } catch {
                report.check(true, "\(what) → .\(error.kind.rawValue) (constraint \(error.constraint ?? "?"), SQLSTATE \(error.sqlState ?? "?"))")
            }
        }
        do {
            try await client.transaction { connection in
                try await connection.query("INSERT INTO demo.notes (notebook_id, slug, title) VALUES (1, 'note-4', 'Four')", logger: quietLogger)
                try await connection.query("DO $$ BEGIN RAISE EXCEPTION 'notebook is archived' USING ERRCODE = 'IV409'; END $$", logger: quietLogger)
            }
        } catch {
            report.check(error.kind == .conflict, "a project error (IV409) inside a transaction → .\(error.kind.rawValue): \(error.message)")
        }
        let count = try await client.query("SELECT count(*) FROM demo.notes").first?.decode(Int64.self) ?? -1
        report.check(count == 3, "still exactly 3 notes: every refused write left nothing behind")

        report.section("5. Where the database stands")
        let connection = try await InvariantsClient.openConnection(url: url, logger: quietLogger)
        let status = try await Migrator(catalog: catalog, logger: quietLogger).status(on: connection)
        try? await connection.close()
        for migration in status.migrations {
            report.line("\(migration.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(migration.file)  (\(migration.executionMilliseconds ?? 0) ms, by \(migration.appliedBy ?? "?"))")
        }
        for object in status.repeatables {
            report.line("\(object.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(object.kind): \(object.key)")
        }
        report.check(status.isUpToDate, "up to date")
        guard status.isUpToDate, count == 3 else { throw DemoFailure(description: "the demo's checks failed") }
    }

    /// Microseconds since the epoch, per slug (exact, unlike text comparison).
    private func timestamps(_ client: InvariantsClient) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try await client.query("SELECT slug, (extract(epoch FROM updated_at) * 1000000)::bigint FROM demo.notes") {
            let (slug, at) = try row.decode((String, Int64).self)
            result[slug] = at
        }
        return result
    }

    private func ms(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
