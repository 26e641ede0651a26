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
    /// `pg_extension.extversion` of the invariants extension; nil when not installed.
    var extensionVersion: String?
    /// Versions whose scripts the server has (`make -C extension install`).
    var availableExtensionVersions: Set<String> = []
    /// `source → target` pairs `ALTER EXTENSION … UPDATE` can reach.
    var extensionUpdatePaths: Set<String> = []

    static func read(_ session: SQLSession) async throws(InvariantsError) -> LedgerState {
        var state = LedgerState()
        try await readExtension(session, into: &state)
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

    private static func readExtension(_ session: SQLSession, into state: inout LedgerState) async throws(InvariantsError) {
        let name = SQLText.literal(ExtensionScript.extensionName)
        for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = \(name)")) {
            state.extensionVersion = try row.value(String.self)
        }
        for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT version FROM pg_catalog.pg_available_extension_versions WHERE name = \(name)")) {
            state.availableExtensionVersions.insert(try row.value(String.self))
        }
        guard !state.availableExtensionVersions.isEmpty else { return }
        for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT source, target FROM pg_catalog.pg_extension_update_paths(\(name)) WHERE path IS NOT NULL")) {
            let (source, target) = try decoding { try row.decode((String, String).self) }
            state.extensionUpdatePaths.insert(source + " → " + target)
        }
    }
}
