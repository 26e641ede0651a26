import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which process owns a server directory, stored in the directory so a later
/// process can tell an abandoned server from a live one.
///
/// The process start time (Linux `/proc`) guards against pid reuse: a dead
/// test process's pid may belong to an unrelated process by the time we look.
struct OwnerRecord: Sendable, Equatable {
    static let fileName = "owner.pid"

    let pid: Int32
    let startTime: String?

    static var current: OwnerRecord {
        let pid = getpid()
        return OwnerRecord(pid: pid, startTime: processStartTime(pid))
    }

    var serialized: String {
        "\(pid) \(startTime ?? "-")\n"
    }

    init(pid: Int32, startTime: String?) {
        self.pid = pid
        self.startTime = startTime
    }

    init?(serialized: String) {
        let parts = serialized.split(whereSeparator: \.isWhitespace)
        guard let first = parts.first, let pid = Int32(first) else { return nil }
        self.pid = pid
        self.startTime = parts.count > 1 && parts[1] != "-" ? String(parts[1]) : nil
    }

    var isAlive: Bool {
        guard isProcessRunning(pid) else { return false }
        guard let startTime, let now = Self.processStartTime(pid) else { return true }
        return now == startTime
    }

    /// Field 22 of `/proc/<pid>/stat`; nil where there is no procfs.
    static func processStartTime(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let closing = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name start at field 3.
        let fields = stat[stat.index(after: closing)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }
}

/// Whether a process exists (EPERM means it exists but is not ours).
///
/// Zombies count as gone: an orphaned postmaster is reparented to PID 1, and
/// in a container PID 1 may never reap it.
func isProcessRunning(_ pid: Int32) -> Bool {
    guard pid > 0 else { return false }
    guard kill(pid, 0) == 0 || errno == EPERM else { return false }
    return processState(pid) != "Z"
}

/// The state letter from `/proc/<pid>/stat` (R, S, Z…), nil without procfs.
func processState(_ pid: Int32) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let closing = stat.lastIndex(of: ")")
    else { return nil }
    return stat[stat.index(after: closing)...].first(where: { $0 != " " })
}
