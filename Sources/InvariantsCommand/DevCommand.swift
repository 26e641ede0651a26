import ArgumentParser
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Start a local throwaway PostgreSQL under ./.invariants, migrate it, print its URL.",
        discussion: """
            Runs until Ctrl-C, then stops the server and removes its directory. Needs the PostgreSQL
            server binaries (Debian: apt-get install postgresql-15; or --pg-bin / $INVARIANTS_PG_BIN).
            As root, the server runs as the `postgres` OS user (PostgreSQL refuses root).

            Example:
              invariants dev
              # in another shell:
              psql "$(cat .invariants/url)"
            """
    )

    @Option(name: .customLong("sql-dir"), help: ArgumentHelp("The generated SQL directory. Default: ./sql.", valueName: "path"))
    var sqlDirectory: String?

    @Option(name: .customLong("pg-bin"), help: ArgumentHelp("PostgreSQL bin directory. Default: $INVARIANTS_PG_BIN, else /usr/lib/postgresql/15/bin.", valueName: "path"))
    var pgBin: String?

    @Option(help: ArgumentHelp("Where the server's directory goes.", valueName: "path"))
    var directory: String = ".invariants"

    func run() async throws {
        try await failing {
            let catalog = try SQLDirectory.locate(sqlDirectory).load()
            let migrator = try Migrator(catalog: catalog, logger: quietLogger)
            var options = ThrowawayPostgresOptions()
            options.baseDirectory = directory
            if let pgBin { options.binDirectory = pgBin }
            let server = try await ThrowawayPostgres.start(options)
            let database = try await server.makeDatabase(from: nil)
            let connection = try await InvariantsClient.openConnection(url: try DatabaseURL(database.url), logger: quietLogger)
            let report = try await migrator.migrate(on: connection)
            try? await connection.close()
            try? database.url.write(toFile: directory + "/url", atomically: true, encoding: .utf8)
            print("PostgreSQL is running; \(report.appliedMigrations.count) migration(s) applied.")
            print("DATABASE_URL=\(database.url)")
            print("(also in \(directory)/url) — Ctrl-C stops it and removes its data.")
            await waitForInterrupt()
            print("\nstopping …")
            try await server.stop()
            try? FileManager.default.removeItem(atPath: directory + "/url")
        }
    }
}

/// Suspends until SIGINT or SIGTERM.
func waitForInterrupt() async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let queue = DispatchQueue(label: "invariants.signals")
        let box = SignalSources(continuation: continuation)
        for sig in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { box.fire() }
            source.resume()
            box.sources.append(source)
        }
    }
}

private final class SignalSources: @unchecked Sendable {
    // Touched only on the signal queue.
    var sources: [any DispatchSourceSignal] = []
    private var continuation: CheckedContinuation<Void, Never>?
    init(continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
    func fire() {
        continuation?.resume()
        continuation = nil
        sources.forEach { $0.cancel() }
    }
}
