import PostgresNIO
import Invariants
import InvariantsSchema

/// The migration lock: a session-level advisory lock, taken by polling
/// `pg_try_advisory_lock`. A blocked `pg_advisory_lock()` can be chosen as the victim of a
/// deadlock against another migrator's `CREATE INDEX CONCURRENTLY` (measured here), and
/// polling lets a waiting migrator say who holds the lock and give up on time.
///
/// A session lock needs a session: behind a transaction-mode pooler (PgBouncer, Supavisor
/// on 6543) it leaks to whoever gets the server connection next. Migrate over a direct
/// connection.
struct MigrationLock {
    let session: SQLSession
    let waitTimeout: Duration
    let pollInterval: Duration

    func acquire(onWait: (String) -> Void) async throws(InvariantsError) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: waitTimeout)
        var lastHolder = ""
        while true {
            let rows = try await session.rows("SELECT pg_try_advisory_lock(\(Ledger.advisoryLockKey))")
            if let row = rows.first, (try? row.decode(Bool.self)) == true { return }
            let holder = try await describeHolder()
            if holder != lastHolder {
                onWait(holder)
                lastHolder = holder
            }
            guard clock.now < deadline else {
                throw InvariantsError(
                    .migrationLockTimeout,
                    "gave up after \(waitTimeout) waiting for the migration lock, held by \(holder)",
                    hint: "another migrator is running; wait for it, or end that session if it is stuck (SELECT pg_terminate_backend(pid))"
                )
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    func release() async {
        try? await session.run("SELECT pg_advisory_unlock(\(Ledger.advisoryLockKey))")
    }

    /// "pid 123 (application 'invariants migrate', user postgres, from 10.0.0.5, active since …)"
    func describeHolder() async throws(InvariantsError) -> String {
        let high = UInt64(bitPattern: Ledger.advisoryLockKey) >> 32
        let low = UInt64(bitPattern: Ledger.advisoryLockKey) & 0xFFFF_FFFF
        let rows = try await session.rows(PostgresQuery(unsafeSQL: """
            SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),
                   coalesce(host(a.client_addr), 'local socket'), coalesce(a.state, ''),
                   coalesce(to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS TZ'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'))
            FROM pg_catalog.pg_locks l
            JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
              AND l.classid = \(high)::oid AND l.objid = \(low)::oid AND l.objsubid = 1
            """))
        guard let row = rows.first,
              let (pid, app, user, from, state, since) = try? row.decode((Int32, String, String, String, String, String).self) else {
            return "a session that just released it"
        }
        let appText = app.isEmpty ? "" : "application '\(app)', "
        return "pid \(pid) (\(appText)user \(user), from \(from), \(state.isEmpty ? "state unknown" : state) since \(since))"
    }
}
