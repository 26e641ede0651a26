/// One benchmark: a name for `--only`, the options it reads, and a body that returns rows
/// for the final table. Add a benchmark by adding a file with a `static let benchmark` and
/// listing it in `main.swift`.
struct Benchmark: Sendable {
    /// For `--only` (lowercase, dashes).
    var name: String
    var summary: String
    /// `--<option> value` flags it reads (documented by `--list`).
    var options: [String: String] = [:]
    var run: @Sendable (BenchContext) async throws -> [ResultRow]
}

/// What every benchmark gets: the settings and the shared servers.
struct BenchContext: Sendable {
    var settings: Settings
    var servers: BenchServers

    func log(_ line: String) { BenchLog.line(line) }
}

enum BenchLog {
    /// Progress goes to stderr, so stdout keeps just the plans and the table.
    static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

import Foundation
