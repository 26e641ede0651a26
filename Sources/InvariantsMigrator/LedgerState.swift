import PostgresNIO
import Invariants
import InvariantsSchema

/// The ledger as the database holds it; empty when the ledger tables do not exist yet.
struct LedgerState: Sendable {
    struct MigrationRow: Sendable {
        var name: String
        var checksum: String
        var appliedAt: String
        var appliedBy: String
        var executionMilliseconds: Int
    }
    struct RepeatableRow: Sendable {
        var kind: String
        var checksum: String
        var dropStatements: [String]
    }

    var migrations: [Int: MigrationRow] = [:]
    var repeatables: [String: RepeatableRow] = [:]

    static func read(_ session: SQLSession) async throws(InvariantsError) -> LedgerState {
        var state = LedgerState()
        let exists = try await session.rows(PostgresQuery(unsafeSQL:
            "SELECT to_regclass(\(SQLText.literal(Ledger.migrationsTable.sql))) IS NOT NULL, to_regclass(\(SQLText.literal(Ledger.repeatableTable.sql))) IS NOT NULL"))
        guard let flags = try? exists.first?.decode((Bool, Bool).self) else { return state }
        if flags.0 {
            for row in try await session.rows(PostgresQuery(unsafeSQL: """
                SELECT "version", "name", "checksum", to_char("applied_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), "applied_by", "execution_ms"
                FROM \(Ledger.migrationsTable.sql) ORDER BY "version"
                """)) {
                guard let (version, name, checksum, at, by, ms) = try? row.decode((Int32, String, String, String, String, Int32).self) else {
                    throw InvariantsError(.server, "cannot read \(Ledger.migrationsTable): unexpected row shape")
                }
                state.migrations[Int(version)] = MigrationRow(name: name, checksum: checksum, appliedAt: at, appliedBy: by, executionMilliseconds: Int(ms))
            }
        }
        if flags.1 {
            for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT \"key\", \"kind\", \"checksum\", \"drop_statements\" FROM \(Ledger.repeatableTable.sql)")) {
                guard let (key, kind, checksum, drops) = try? row.decode((String, String, String, [String]).self) else {
                    throw InvariantsError(.server, "cannot read \(Ledger.repeatableTable): unexpected row shape")
                }
                state.repeatables[key] = RepeatableRow(kind: kind, checksum: checksum, dropStatements: drops)
            }
        }
        return state
    }
}
