import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Faults for crash tests: a killed backend, a server stopped without a checkpoint, a restart
/// on the same data directory and port.
extension ThrowawayPostgres {
    /// Sends SIGKILL to one backend process. The postmaster then treats the crash as possible
    /// shared-memory corruption: it terminates every other session and recovers (a few
    /// hundred milliseconds), as after a real backend crash.
    public nonisolated func killBackend(pid: Int32) throws {
        guard kill(pid, SIGKILL) == 0 else {
            throw ThrowawayPostgresError(step: "kill -9 \(pid)", detail: String(cString: strerror(errno)))
        }
    }

    /// `pg_ctl stop -m immediate`: every process exits at once, no checkpoint; the next start
    /// runs crash recovery. The data directory stays.
    public func stopImmediately() async throws {
        try await command([pgCtl, "stop", "-s", "-w", "-t", "60", "-m", "immediate", "-D", layout.dataDirectory])
            .runChecked(logFile: layout.logFile)
    }

    /// Starts the server again on the same data directory and port (after ``stopImmediately()``).
    public func restart() async throws {
        try await command([
            pgCtl, "start", "-s", "-w", "-t", "60", "-D", layout.dataDirectory, "-l", layout.logFile, "-o", "-p \(port)",
        ]).runChecked(logFile: layout.logFile)
    }
}
