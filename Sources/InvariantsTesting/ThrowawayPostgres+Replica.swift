import Foundation
import PostgresNIO

extension ThrowawayPostgres {
    /// Starts a streaming hot-standby replica of this server and returns it once it accepts
    /// read-only connections.
    ///
    /// `pg_basebackup -R -X stream --checkpoint=fast` over the Unix socket (initdb's
    /// `pg_hba.conf` trusts local replication connections; `wal_level` is `replica` by default)
    /// into a new `invariants-pg-<random>` directory beside this server's, then `pg_ctl start`
    /// on a free port with the replica's own socket directory. `-R` writes `standby.signal` and
    /// `primary_conninfo`, so it follows this server's WAL until it stops. The replica is stopped
    /// and removed with this server (``stop()``), at process exit, or with
    /// ``ThrowawayReplica/stop()``.
    public func startReplica() async throws -> ThrowawayReplica {
        let clock = ContinuousClock()
        let began = clock.now
        let launcher = ServerLauncher(options: ThrowawayPostgresOptions(binDirectory: binDirectory))
        let base = (directory as NSString).deletingLastPathComponent
        let replicaLayout = try launcher.createServerDirectory(in: base, for: account)
        var registered = false
        do {
            try await command([
                binDirectory + "/pg_basebackup", "-D", replicaLayout.dataDirectory, "-h", socketDirectory, "-p", "\(port)",
                "-U", superuser, "-X", "stream", "-R", "--checkpoint=fast", "--no-sync",
            ]).runChecked(logFile: layout.logFile)
            try appendReplicaSettings(replicaLayout)
            let replicaPort = try await launcher.startWithFreePort(replicaLayout, account: account)
            ExitCleanup.register(
                .init(
                    stopCommand: account.commandPrefix
                        + [binDirectory + "/pg_ctl", "stop", "-s", "-w", "-m", "immediate", "-D", replicaLayout.dataDirectory],
                    directory: replicaLayout.root))
            registered = true
            let replica = ThrowawayReplica(layout: replicaLayout, port: replicaPort, primary: self, startupDuration: clock.now - began)
            replicas.append(replica)
            return replica
        } catch {
            if !registered { try? FileManager.default.removeItem(atPath: replicaLayout.root) }
            throw error
        }
    }

    /// The primary's current WAL position (`pg_current_wal_lsn()`), for
    /// ``ThrowawayReplica/waitForReplay(of:timeout:)``: everything committed before this call
    /// is at or before it, and already sent to the replica.
    ///
    /// A throwaway server runs with `synchronous_commit = off`, so a commit that has returned may
    /// still sit in the WAL buffers, past the write position, until the WAL writer gets to it. So
    /// this first commits one transaction with `synchronous_commit = on` that writes a WAL record
    /// (a transactional `pg_logical_emit_message`, which no decoder reads here; a transaction that
    /// writes nothing is never flushed, even with `synchronous_commit = on`), which flushes the
    /// WAL up to and including its own commit record. (Waiting for the insert position instead
    /// fails the other way: right after a segment switch it points past the switch record, at a
    /// page header no record ends at, and a replica reaches it only when the next record is
    /// written — 13–14 s of waiting here, for the checkpointer's next record.)
    public func currentWALPosition() async throws -> String {
        try await withAdminConnection { connection in
            for statement in ["BEGIN", "SET LOCAL synchronous_commit = on", "SELECT pg_logical_emit_message(true, 'invariants_testing', 'replica position')", "COMMIT"] {
                _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: ThrowawayPostgres.quietLogger).collect()
            }
            let rows = try await connection.query("SELECT pg_current_wal_lsn()::text", logger: ThrowawayPostgres.quietLogger).collect()
            guard let lsn = try rows.first?.decode(String.self) else {
                throw ThrowawayPostgresError(step: "SELECT pg_current_wal_lsn()", detail: "no row")
            }
            return lsn
        }
    }

    /// The copied postgresql.conf still names the primary's socket directory; later lines win.
    private func appendReplicaSettings(_ replicaLayout: ServerLayout) throws {
        let text = "\n# invariants-testing replica\nunix_socket_directories = '\(replicaLayout.socketDirectory)'\nhot_standby = on\n"
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: replicaLayout.configurationFile))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw ThrowawayPostgresError(step: "writing \(replicaLayout.configurationFile)", detail: String(reflecting: error))
        }
    }
}
