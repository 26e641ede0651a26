import Foundation
public import Logging
public import PostgresNIO

/// A streaming hot standby of a ``ThrowawayPostgres``: read-only, replaying the primary's WAL,
/// for tests of what runs on a read replica (analytics views, checks).
///
/// Made by ``ThrowawayPostgres/startReplica()`` with `pg_basebackup -R` (the primary's
/// `wal_level` is `replica` by default, and initdb's `pg_hba.conf` lets local users replicate),
/// started on a free port in a directory of its own beside the primary's. It stops with the
/// primary, at process exit, or with ``stop()``; a killed process's replica is swept like a
/// server (``ThrowawayPostgres/removeStaleDirectories(in:)``).
///
/// ```swift
/// let replica = try await server.startReplica()
/// let lsn = try await server.currentWALPosition()
/// try await replica.waitForReplay(of: lsn)
/// let connection = try await replica.connect(database: database.name)
/// ```
///
/// It has the primary's roles and passwords (the data directory is a copy).
public actor ThrowawayReplica {
    /// The TCP port on 127.0.0.1.
    public nonisolated let port: Int
    /// The replica's own directory (data directory, log, socket); removed by ``stop()``.
    public nonisolated let directory: String
    /// The server it replicates.
    public nonisolated let primary: ThrowawayPostgres
    /// How long the base backup plus the first start took.
    public nonisolated let startupDuration: Duration

    let layout: ServerLayout
    let binDirectory: String
    let account: ServerAccount
    private var stopped = false

    init(layout: ServerLayout, port: Int, primary: ThrowawayPostgres, startupDuration: Duration) {
        self.layout = layout
        self.port = port
        self.directory = layout.root
        self.primary = primary
        self.binDirectory = primary.binDirectory
        self.account = primary.account
        self.startupDuration = startupDuration
    }

    /// A `postgres://` URL for TCP with the primary's superuser and password, TLS off.
    public nonisolated func url(database: String = "postgres") -> String {
        let name = database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database
        return "postgres://\(primary.superuser):\(primary.password)@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// A TCP configuration (TLS disabled) for the superuser.
    public nonisolated func connectionConfiguration(database: String) -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: "127.0.0.1", port: port, username: primary.superuser, password: primary.password,
            database: database, tls: .disable)
    }

    /// Opens a TCP connection to the replica. Close it when done.
    public nonisolated func connect(
        database: String = "postgres", logger: Logger = ThrowawayPostgres.quietLogger
    ) async throws -> PostgresConnection {
        OpenConnections.kept(try await PostgresConnection.connect(
            configuration: connectionConfiguration(database: database), id: nextConnectionID(), logger: logger))
    }

    /// Waits until the replica is in recovery (a standby, not promoted) and has replayed the
    /// primary's WAL up to `lsn` (from ``ThrowawayPostgres/currentWALPosition()``); returns the
    /// replayed position. Throws when that takes longer than `timeout`.
    @discardableResult
    public func waitForReplay(of lsn: String, timeout: Duration = .seconds(60)) async throws -> String {
        let connection = try await connect()
        do {
            let replayed = try await pollReplay(of: lsn, on: connection, until: ContinuousClock.now + timeout, timeout: timeout)
            try? await connection.close()
            return replayed
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func pollReplay(
        of lsn: String, on connection: PostgresConnection, until deadline: ContinuousClock.Instant, timeout: Duration
    ) async throws -> String {
        var last = "nothing"
        while true {
            let rows = try await connection.query(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, pg_last_wal_replay_lsn() >= \(lsn)::pg_lsn",
                logger: ThrowawayPostgres.quietLogger
            ).collect()
            if let row = rows.first {
                let (recovering, replayed, caughtUp) = try row.decode((Bool, String?, Bool?).self)
                guard recovering else {
                    throw ThrowawayPostgresError(step: "waiting for replay on the replica", detail: "it is not in recovery (promoted?)")
                }
                last = replayed ?? "nothing"
                if caughtUp == true, let replayed { return replayed }
            }
            guard ContinuousClock.now < deadline else {
                throw ThrowawayPostgresError(
                    step: "waiting for the replica to replay \(lsn)", detail: "replayed \(last) after \(timeout)",
                    logTail: readTail(layout.logFile))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the replica (`pg_ctl stop -m fast`) and removes its directory. Calling it again
    /// does nothing; the primary calls it when it stops.
    public func stop() async throws {
        guard !stopped else { return }
        stopped = true
        ExitCleanup.unregister(directory: directory)
        if FileManager.default.fileExists(atPath: layout.postmasterPIDFile) {
            try await ServerCommand(
                arguments: [binDirectory + "/pg_ctl", "stop", "-s", "-w", "-t", "60", "-m", "fast", "-D", layout.dataDirectory],
                account: account, workingDirectory: directory
            ).runChecked(logFile: layout.logFile)
        }
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            throw ThrowawayPostgresError(step: "removing \(directory)", detail: String(reflecting: error))
        }
    }
}
