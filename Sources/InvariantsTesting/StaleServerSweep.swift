import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ThrowawayPostgres {
    /// Removes servers under `base` whose owning process is gone.
    ///
    /// A test process that is killed (SIGKILL, a crashed test runner) runs no
    /// exit handler, and its postmaster, started detached by pg_ctl, keeps
    /// running. For every `invariants-pg-*` directory whose recorded owner is
    /// dead, this stops the postmaster (`pg_ctl stop -m immediate`, then
    /// SIGQUIT/SIGKILL if that fails) and deletes the directory. Directories
    /// of live processes are left alone. Errors are ignored: this is cleanup.
    public static func removeStaleDirectories(in base: String) async {
        let base = ServerLayout.absoluteBase(base)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for name in names where name.hasPrefix(ServerLayout.directoryPrefix) {
            let layout = ServerLayout(root: base + "/" + name)
            guard isAbandoned(layout) else { continue }
            await stopAbandonedServer(layout)
            try? FileManager.default.removeItem(atPath: layout.root)
        }
    }

    private static func isAbandoned(_ layout: ServerLayout) -> Bool {
        if let text = try? String(contentsOfFile: layout.ownerFile, encoding: .utf8),
            let owner = OwnerRecord(serialized: text)
        {
            return !owner.isAlive
        }
        // No owner file: either a start that has not written it yet (a
        // moment) or debris. Only old debris counts as abandoned.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: layout.root),
            let modified = attributes[.modificationDate] as? Date
        else { return false }
        return Date().timeIntervalSince(modified) > 60
    }

    private static func stopAbandonedServer(_ layout: ServerLayout) async {
        guard let pid = layout.postmasterPID(), isProcessRunning(pid) else { return }
        var info = stat()
        guard stat(layout.dataDirectory, &info) == 0,
            let account = try? ServerAccount.forOwner(uid: info.st_uid, gid: info.st_gid)
        else {
            await killAndWait(pid)
            return
        }
        let binDirectory = postmasterBinDirectory(pid) ?? ThrowawayPostgresOptions.defaultBinDirectory
        let output = try? await ServerCommand(
            arguments: [binDirectory + "/pg_ctl", "stop", "-s", "-w", "-t", "30", "-m", "immediate",
                        "-D", layout.dataDirectory],
            account: account, workingDirectory: layout.root
        ).run()
        if output?.succeeded != true || isProcessRunning(pid) {
            await killAndWait(pid)
        }
    }

    /// The directory of the binary the postmaster runs, so an abandoned PG 18
    /// server is stopped with PG 18's pg_ctl.
    private static func postmasterBinDirectory(_ pid: Int32) -> String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        else { return nil }
        return (executable as NSString).deletingLastPathComponent
    }

    /// SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its
    /// backends down with it. SIGKILL only if it ignores that.
    private static func killAndWait(_ pid: Int32) async {
        kill(pid, SIGQUIT)
        for _ in 0..<100 where isProcessRunning(pid) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isProcessRunning(pid) { kill(pid, SIGKILL) }
    }
}
