import Foundation

/// Where a server's files live inside its `invariants-pg-<random>` directory.
///
/// Everything, including the Unix socket, stays in this one directory so
/// that removing it removes every trace of the server.
struct ServerLayout: Sendable {
    static let directoryPrefix = "invariants-pg-"

    let root: String

    var dataDirectory: String { root + "/data" }
    var logFile: String { root + "/server.log" }
    var passwordFile: String { root + "/pwfile" }
    var ownerFile: String { root + "/" + OwnerRecord.fileName }
    var postmasterPIDFile: String { dataDirectory + "/postmaster.pid" }
    var configurationFile: String { dataDirectory + "/postgresql.conf" }
    var socketDirectory: String { root }

    func socketPath(port: Int) -> String { socketDirectory + "/.s.PGSQL.\(port)" }

    /// The running postmaster's pid, from the first line of postmaster.pid.
    func postmasterPID() -> Int32? {
        guard let text = try? String(contentsOfFile: postmasterPIDFile, encoding: .utf8),
            let first = text.split(separator: "\n").first
        else { return nil }
        return Int32(first.trimmingCharacters(in: .whitespaces))
    }

    /// Resolves a possibly relative base directory against the current
    /// directory, because the server later runs with another working directory.
    static func absoluteBase(_ base: String) -> String {
        let url =
            base.hasPrefix("/")
            ? URL(fileURLWithPath: base)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(base)
        return url.standardizedFileURL.path
    }
}
