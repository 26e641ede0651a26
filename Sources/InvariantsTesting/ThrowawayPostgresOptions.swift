import Foundation

/// How a ``ThrowawayPostgres`` server is set up.
///
/// The defaults suit tests: no fsync, a temporary directory, and the
/// PostgreSQL binaries named by `INVARIANTS_PG_BIN` (or Debian's PG 15).
public struct ThrowawayPostgresOptions: Sendable {
    /// The directory holding `initdb`, `pg_ctl` and `postgres`.
    public var binDirectory: String
    /// The directory under which each server gets its own
    /// `invariants-pg-<random>` directory. Relative paths are resolved
    /// against the current directory when the server starts.
    /// Default: ``defaultBaseDirectory``.
    public var baseDirectory: String
    /// Whether the server syncs to disk. Off by default: a throwaway
    /// server never needs to survive a power loss, and syncing makes
    /// `CREATE DATABASE` and commits several times slower.
    public var fsync: Bool
    /// Extra `postgresql.conf` settings, written verbatim as `key = 'value'`
    /// (for example `idle_in_transaction_session_timeout`).
    public var extraSettings: [String: String]
    /// Which operating-system user owns and runs the server.
    public var runServerAs: ServerUser
    /// Whether the server is stopped (`pg_ctl stop -m immediate`) and its
    /// directory removed when the process exits normally. A process that
    /// is killed leaves it behind; the next start in the same base
    /// directory sweeps it (see ``ThrowawayPostgres/removeStaleDirectories(in:)``).
    public var stopAtExit: Bool

    /// Creates options; every parameter has a test-friendly default.
    public init(
        binDirectory: String? = nil,
        baseDirectory: String? = nil,
        fsync: Bool = false,
        extraSettings: [String: String] = [:],
        runServerAs: ServerUser = .automatic,
        stopAtExit: Bool = true
    ) {
        self.binDirectory = binDirectory ?? Self.defaultBinDirectory
        self.baseDirectory = baseDirectory ?? Self.defaultBaseDirectory
        self.fsync = fsync
        self.extraSettings = extraSettings
        self.runServerAs = runServerAs
        self.stopAtExit = stopAtExit
    }

    /// `INVARIANTS_PG_BASE` when set; else `/dev/shm` (tmpfs) when it is writable and has
    /// 4 GiB free; else the temporary directory.
    ///
    /// Why tmpfs: a test run creates and drops hundreds of databases of ~1,000 files each, and
    /// on ext4 every later file creation then scans the inode tables for recently deleted
    /// inodes — a clone of the template measured 200–300 ms there after some churn, 16 ms on
    /// tmpfs. Nothing of a throwaway server needs to outlive the machine's memory.
    public static var defaultBaseDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let fromEnvironment = environment["INVARIANTS_PG_BASE"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        let memory = "/dev/shm"
        if FileManager.default.isWritableFile(atPath: memory),
            let attributes = try? FileManager.default.attributesOfFileSystem(forPath: memory),
            let free = (attributes[.systemFreeSize] as? NSNumber)?.int64Value, free >= 4 << 30
        {
            return memory
        }
        return NSTemporaryDirectory()
    }

    /// `INVARIANTS_PG_BIN` when set, so CI can switch PostgreSQL versions
    /// without code changes; otherwise Debian's PostgreSQL 15.
    public static var defaultBinDirectory: String {
        if let fromEnvironment = ProcessInfo.processInfo.environment["INVARIANTS_PG_BIN"],
            !fromEnvironment.isEmpty
        {
            return fromEnvironment
        }
        return "/usr/lib/postgresql/15/bin"
    }
}

/// The operating-system user that owns the data directory and runs the server.
public enum ServerUser: Sendable, Hashable {
    /// The `postgres` user when this process is root (PostgreSQL refuses to
    /// run as root), otherwise the current user.
    case automatic
    /// Always the current user. As root this fails, because `initdb` refuses.
    case currentUser
    /// A named user. Only root can switch to another user.
    case named(String)
}
