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

/// The throwaway servers of one bench run, started on first use and stopped at the end:
/// one with fsync off (the default: CPU is what is measured) and, for benchmarks of durable
/// commits, one with fsync on. Each benchmark gets its own database, migrated from `sql/`.
actor BenchServers {
    private var servers: [Bool: ThrowawayPostgres] = [:]

    func server(fsync: Bool) async throws -> ThrowawayPostgres {
        if let server = servers[fsync] { return server }
        let server = try await ThrowawayPostgres.start(ThrowawayPostgresOptions(
            fsync: fsync,
            // Checkpoints in the middle of a round would add noise; a bench run writes a few GB at most.
            extraSettings: ["max_wal_size": "4GB", "checkpoint_timeout": "30min"]))
        servers[fsync] = server
        return server
    }

    /// A new database migrated with every migration and repeatable object in `sql/`.
    func migratedDatabase(fsync: Bool = false) async throws -> TestDatabase {
        let (server, template) = try await migratedTemplate(fsync: fsync)
        return try await server.makeDatabase(from: template)
    }

    /// The server and the name of its migrated template, for benchmarks that clone per round.
    func migratedTemplate(fsync: Bool = false) async throws -> (ThrowawayPostgres, String) {
        let server = try await server(fsync: fsync)
        let template = try await server.template(named: "bench_catalog") { connection in
            let catalog = try SQLDirectory.locate(nil).load()
            try await Migrator(catalog: catalog, logger: quiet).migrate(on: connection)
        }
        return (server, template)
    }

    func stopAll() async {
        for server in servers.values { try? await server.stop() }
        servers = [:]
    }
}

extension PostgresConnection {
    /// Runs one statement (PostgresNIO sends one statement per query) and returns its rows.
    @discardableResult
    func run(_ sql: String) async throws -> [PostgresRow] {
        try await query(PostgresQuery(unsafeSQL: sql), logger: quiet).collect()
    }

    func value<T: PostgresDecodable>(_ sql: String, as type: T.Type = T.self) async throws -> T {
        guard let row = try await run(sql).first else { throw BenchError("no row from: \(sql)") }
        return try row.decode(T.self)
    }
}

/// The machine, for the table's caption.
func machineDescription() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    return "\(cpu), \(cores) cores, \(String(format: "%.1f", memory)) GiB RAM, load average at the end \(load)"
}
