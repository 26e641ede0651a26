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
            Runs until Ctrl-C, then stops the server and removes its directory. Needs the PostgreSQL server binaries (Debian: apt-get install postgresql-15; or point --pg-bin or $INVARIANTS_PG_BIN at them). As root, the server runs as the `postgres` OS user, because PostgreSQL refuses to run as root.

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
        let interrupt = InterruptSignal()
        try await failing {
            let catalog = try SQLDirectory.locate(sqlDirectory).load()
            let migrator = try Migrator(catalog: catalog, logger: quietLogger)
            var options = ThrowawayPostgresOptions()
            options.baseDirectory = directory
            if let pgBin { options.binDirectory = pgBin }
            let server = try await ThrowawayPostgres.start(options)
            do {
                let database = try await server.makeDatabase(from: nil)
                let report = try await withDirectConnection(try DatabaseURL(database.url)) { connection throws(InvariantsError) in
                    try await migrator.migrate(on: connection)
                }
                try? database.url.write(toFile: directory + "/url", atomically: true, encoding: .utf8)
                // Unbuffered: a script or test reading the pipe sees the URL at once.
                let message = """
                    PostgreSQL is running; \(report.appliedMigrations.count) migration(s) applied.
                    DATABASE_URL=\(database.url)
                    (also in \(directory)/url) — Ctrl-C stops it and removes its data.

                    """
                FileHandle.standardOutput.write(Data(message.utf8))
                await interrupt.wait()
                FileHandle.standardOutput.write(Data("stopping …\n".utf8))
            } catch {
                try? await server.stop()
                throw error
            }
            try await server.stop()
            try? FileManager.default.removeItem(atPath: directory + "/url")
        }
    }
}

/// SIGINT / SIGTERM, caught from the moment it is created (so a Ctrl-C during startup
/// still stops the server cleanly instead of killing the process and leaving it running).
final class InterruptSignal: @unchecked Sendable {
    // Mutable state is touched only on `queue`.
    private let queue = DispatchQueue(label: "invariants.signals")
    private var sources: [any DispatchSourceSignal] = []
    private var fired = false
    private var waiter: CheckedContinuation<Void, Never>?

    init() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [unowned self] in
                fired = true
                waiter?.resume()
                waiter = nil
            }
            source.resume()
            queue.sync { sources.append(source) }
        }
    }

    /// Returns once a signal has arrived (at once if one already did).
    func wait() async {
        await withCheckedContinuation { continuation in
            queue.async {
                if self.fired { continuation.resume() } else { self.waiter = continuation }
            }
        }
    }
}
