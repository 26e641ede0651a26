import Foundation
import InvariantsTesting

/// Runs `pgbench` (from the server's bin directory) against a throwaway database: a C client
/// that adds almost nothing per statement, so concurrent-writer benchmarks measure the server.
///
/// Connects over the server's Unix socket (trusted for local users), or TCP with `overTCP`, with
/// prepared statements.
/// pgbench exits by itself, so Foundation's `Process` is fine here (the `pg_ctl start` hang
/// in DESIGN.md comes from the postmaster inheriting a descriptor).
struct PgBench {
    var database: TestDatabase
    var binDirectory = ThrowawayPostgresOptions.defaultBinDirectory
    /// Connect over TCP to 127.0.0.1 with the password, as the Swift client does, instead of the
    /// Unix socket: loopback TCP costs both ends more per round trip, so a client-vs-pgbench
    /// comparison must use the same transport.
    var overTCP = false

    /// Runs `script` from `clients` connections, `transactions` each; returns transactions per second.
    func run(script: String, clients: Int, transactions: Int) throws -> Double {
        let scriptFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("invariants-bench-\(UUID().uuidString).sql")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: scriptFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binDirectory + "/pgbench")
        process.arguments = [
            "-n", "-M", "prepared", "-c", String(clients), "-j", String(min(clients, 2)),
            "-t", String(transactions), "-f", scriptFile.path,
            "-h", overTCP ? "127.0.0.1" : database.server.socketDirectory, "-p", String(database.server.port),
            "-U", database.server.superuser, database.name,
        ]
        let output = Pipe()
        let errors = Pipe()
        if overTCP { process.environment = ProcessInfo.processInfo.environment.merging(["PGPASSWORD": database.server.password]) { $1 } }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("pgbench failed (\(process.terminationStatus)): \(errorText)\(text)")
        }
        // "tps = 1234.567890 (without initial connection time)"
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst(6).prefix { $0 != " " })
        else { throw BenchError("no tps in pgbench output: \(text)") }
        if text.contains("number of failed transactions: ") && !text.contains("number of failed transactions: 0 ") {
            throw BenchError("pgbench had failed transactions: \(text)")
        }
        return tps
    }
}
