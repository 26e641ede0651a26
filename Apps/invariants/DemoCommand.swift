import ArgumentParser
import Foundation
import ChatLogs
import Generations
import GigResponses
import Invariants
import InvariantsCLI
import InvariantsMigrator
import ModelWorkRecord
import SeedApps
import SupportChat
import InvariantsSchema
import InvariantsTesting
import PostgresNIO

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a throwaway PostgreSQL, migrate it, run a scripted workload through the Swift client, report.",
        discussion: """
            Leaves nothing running: the server is stopped and its directory removed at the end, also when a step fails. Needs the PostgreSQL server binaries (make demo installs them).

            Examples:
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
            let catalog = try DemoModule.catalog(extending: try SQLDirectory.locate(sqlDirectory).load())
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
                    let migrator = try Migrator(catalog: catalog, options: .init(lockPollInterval: .milliseconds(20)), logger: quietLogger)
                    return try await withDirectConnection(url) { connection throws(InvariantsError) in
                        try await migrator.migrate(on: connection)
                    }
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

        try await seedStories(client)

        report.section("7. Where the database stands")
        let migrator = try Migrator(catalog: catalog, logger: quietLogger)
        let status = try await withDirectConnection(url) { connection throws(InvariantsError) in
            try await migrator.status(on: connection)
        }
        for migration in status.migrations {
            report.line("\(migration.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(migration.file)  (\(migration.executionMilliseconds ?? 0) ms, by \(migration.appliedBy ?? "?"))")
        }
        let byKind = Dictionary(grouping: status.repeatables, by: \.kind)
        let kinds = byKind.keys.sorted().map { "\(byKind[$0]!.count) \($0)" }.joined(separator: ", ")
        let current = status.repeatables.filter { $0.state == .current }.count
        report.line("stored logic: \(current) of \(status.repeatables.count) objects current (\(kinds))")
        report.check(status.isUpToDate, "up to date")
        try await checkerStory(url)
        try await analyticsStory(client)
        guard status.isUpToDate, count == 3 else { throw DemoFailure(description: "the demo's checks failed") }
    }

    /// Seed 000 (expert panel) and seed 003 (favorites) through their typed client APIs.
    private func seedStories(_ client: InvariantsClient) async throws {
        let alice = UUID(), bob = UUID()
        try await client.execute("INSERT INTO auth.users (id, email) VALUES (\(alice), 'alice@example.com'), (\(bob), 'bob@example.com')")

        report.section("5. Seed 000: a model dismissed from the panel is counted, in one transaction")
        let session = try await client.createSession(as: .user(alice), title: "Quarterly plan", models: ["openai/gpt-4o", "anthropic/claude", "mistral/large"])
        for model in ["openai/gpt-4o", "openai/gpt-4o", "anthropic/claude"] {
            _ = try await client.recordModelResponse(sessionID: session, modelID: model)
        }
        let dismissal = try await client.dismissModel(as: .user(alice), sessionID: session, modelID: "openai/gpt-4o", note: "too slow")
        let again = try await client.dismissModel(as: .user(alice), sessionID: session, modelID: "openai/gpt-4o")
        report.check(!dismissal.panel.models.contains("openai/gpt-4o") && dismissal.dismissalCount == 1,
                     "panel is now \(dismissal.panel.models) (version \(dismissal.panel.version)); gpt-4o's dismissals: \(dismissal.dismissalCount)")
        report.check(!again.dismissed && again.dismissalCount == 1, "dismissing it again changes nothing (idempotent)")
        let stats = try await client.modelStatistics(as: .user(alice), modelID: "openai/gpt-4o")
        report.check(stats.first?.responseCount == 2, "its work record keeps its 2 responses")
        let bobSees = try await client.modelStatistics(as: .user(bob))
        report.check(bobSees.isEmpty, "another user sees none of it (row-level security)")
        do {
            _ = try await client.dismissModel(as: .user(bob), sessionID: session, modelID: "anthropic/claude")
            report.check(false, "another user could dismiss from Alice's panel")
        } catch {
            report.check(error.kind == .notFound, "another user dismissing from Alice's panel → .\(error.kind.rawValue)")
        }

        report.section("6. Seed 003: a favorite saved under RLS; usage kept by the database")
        let log = try await client.logChat(ChatLogEntry(userID: alice, question: "What moved BTC today?", response: "ETF flows.",
                                                        toolsUsedJSON: #"[{"name": "prices", "duration_ms": 120}]"#,
                                                        inputTokens: 900, outputTokens: 300, cost: Decimal(string: "0.0042"), model: "claude-haiku"))
        _ = try await client.saveChat(log, note: "for the weekly note", as: .user(alice))
        let aliceSaves = try await client.savedChats(as: .user(alice))
        let bobSaves = try await client.savedChats(as: .user(bob))
        report.check(aliceSaves.first?.question == "What moved BTC today?", "Alice saved her chat; the database copied its question and answer")
        report.check(bobSaves.isEmpty, "Bob lists favorites: \(bobSaves.count) (he sees nothing of Alice's)")
        do {
            _ = try await client.saveChat(log, as: .user(bob))
            report.check(false, "Bob saved Alice's chat")
        } catch {
            report.check(error.kind == .notFound, "Bob saving Alice's chat → .\(error.kind.rawValue), nothing written")
        }
        let usage = try await client.usage(as: .user(alice), days: 1)
        report.check(usage.first?.requests == 1 && usage.first?.inputTokens == 900,
                     "Alice's usage today: \(usage.first?.requests ?? 0) request, \(usage.first?.inputTokens ?? 0)+\(usage.first?.outputTokens ?? 0) tokens, $\(usage.first?.cost ?? 0)")
        try await gigStory(client, alice: alice, bob: bob)
        try await editStory(client, alice: alice, bob: bob)
        try await supportStory(client)
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

    func ms(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
