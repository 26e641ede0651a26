import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops servers still running when the process exits.
///
/// An `atexit` handler cannot await, so it stops each server synchronously
/// with `posix_spawn` + `waitpid` and `pg_ctl stop -m immediate` (no
/// checkpoint: the data is about to be deleted anyway).
enum ExitCleanup {
    struct Entry: Sendable {
        let stopCommand: [String]
        let directory: String
    }

    private static let state = Mutex<(installed: Bool, entries: [String: Entry])>((false, [:]))

    static func register(_ entry: Entry) {
        let install = state.withLock { state -> Bool in
            state.entries[entry.directory] = entry
            defer { state.installed = true }
            return !state.installed
        }
        if install {
            atexit { ExitCleanup.runAll() }
        }
    }

    static func unregister(directory: String) {
        state.withLock { _ = $0.entries.removeValue(forKey: directory) }
    }

    private static func runAll() {
        let entries = state.withLock { state in
            defer { state.entries = [:] }
            return Array(state.entries.values)
        }
        for entry in entries {
            _ = spawnAndWait(entry.stopCommand)
            try? FileManager.default.removeItem(atPath: entry.directory)
        }
    }
}

/// Runs a command synchronously; its output goes to ours.
/// Returns the raw wait status, or -1 when it could not be spawned.
func spawnAndWait(_ arguments: [String]) -> Int32 {
    guard let path = arguments.first else { return -1 }
    var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
    cArguments.append(nil)
    // Built from ProcessInfo because the C global `environ` is not concurrency-safe in Swift 6.
    var cEnvironment: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0)=\($1)") }
    cEnvironment.append(nil)
    defer {
        cArguments.forEach { free($0) }
        cEnvironment.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, nil, nil, cArguments, cEnvironment)
    guard spawned == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return status
}
