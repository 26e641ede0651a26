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
        /// For a module row mapped from the linear ledger: the linear version it came from.
        var linearVersion: Int?
    }
    struct RepeatableRow: Sendable {
        var kind: String
        var checksum: String
        var dropStatements: [String]
        /// The module that owns it; nil for rows written before the ledger knew modules.
        var module: String?
    }

    /// The linear ledger of releases 0.1 and 0.2 (`invariants.schema_migrations`).
    var linearMigrations: [Int: MigrationRow] = [:]
    /// The module ledger (`invariants.module_migrations`).
    var moduleMigrations: [ModuleVersion: MigrationRow] = [:]
    /// `invariants.installed_modules`: module → chosen by the app.
    var installedModules: [String: Bool] = [:]
    var repeatables: [String: RepeatableRow] = [:]
    /// The module ledger and the repeatable ledger's module column exist.
    var hasModuleLedger = false
    /// No relation outside the system and platform schemas (see ``emptinessQuery``).
    var isEmptyDatabase = true
    /// `pg_extension.extversion` of the single extension `invariants` (releases 0.1/0.2); nil when not installed.
    var legacyExtensionVersion: String?
    /// Installed module extensions (`invariants_<module>`) → version.
    var moduleExtensions: [String: String] = [:]
    /// Each installed extension's member functions (`regprocedure` text).
    var extensionMembers: [String: [String]] = [:]
    /// Per extension, the versions whose scripts the server has (`make -C extension install`).
    var availableExtensionVersions: [String: Set<String>] = [:]
    /// Per installed extension, the `source → target` pairs `ALTER EXTENSION … UPDATE` can reach.
    var extensionUpdatePaths: [String: Set<String>] = [:]

    /// The linear ledger has rows that were never mapped onto the modules.
    var needsLinearMapping: Bool {
        !linearMigrations.isEmpty && !moduleMigrations.values.contains { $0.linearVersion != nil }
    }

    /// Schemas a platform or PostgreSQL itself owns: relations there do not make a database
    /// "non-empty" for the default-set rule (Supabase's auth, storage, realtime, …).
    static let platformSchemas = [
        "pg_catalog", "information_schema", "pg_toast", "auth", "storage", "realtime", "_realtime", "extensions", "graphql",
        "graphql_public", "pgsodium", "pgsodium_masks", "vault", "net", "cron", "pgbouncer", "supabase_functions",
        "supabase_migrations", "_analytics", "_supavisor",
    ]

    static let emptinessQuery = """
        SELECT NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND n.nspname <> ALL (ARRAY[\(platformSchemas.map(SQLText.literal).joined(separator: ", "))])
              AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast%'
              -- Our own ledger (a migrate killed right after creating it) does not make it non-empty.
              AND NOT (n.nspname = 'invariants' AND c.relname IN ('module_migrations',
                       'installed_modules', 'repeatable_objects'))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                              WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e'))
        """

    static func read(_ session: SQLSession) async throws(InvariantsError) -> LedgerState {
        var state = LedgerState()
        try await readExtension(session, into: &state)
        for row in try await session.rows(PostgresQuery(unsafeSQL: emptinessQuery)) { state.isEmptyDatabase = try row.value(Bool.self) }
        let exists = try await session.rows(PostgresQuery(unsafeSQL: """
            SELECT to_regclass(\(SQLText.literal(Ledger.migrationsTable.sql))) IS NOT NULL,
                   to_regclass(\(SQLText.literal(Ledger.repeatableTable.sql))) IS NOT NULL,
                   to_regclass(\(SQLText.literal(Ledger.moduleMigrationsTable.sql))) IS NOT NULL,
                   to_regclass(\(SQLText.literal(Ledger.installedModulesTable.sql))) IS NOT NULL,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                           WHERE attrelid = to_regclass(\(SQLText.literal(Ledger.repeatableTable.sql))) AND attname = 'module' AND NOT attisdropped)
            """))
        guard let flags = try? exists.first?.decode((Bool, Bool, Bool, Bool, Bool).self) else { return state }
        state.hasModuleLedger = flags.2 && flags.3 && flags.4
        let appliedAt = "to_char(\"applied_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        if flags.0 {
            for row in try await session.rows(PostgresQuery(unsafeSQL: """
                SELECT "version", "name", "checksum", \(appliedAt), "applied_by", "execution_ms"
                FROM \(Ledger.migrationsTable.sql) ORDER BY "version"
                """)) {
                let (version, name, checksum, at, by, ms) = try decoding { try row.decode((Int32, String, String, String, String, Int32).self) }
                state.linearMigrations[Int(version)] = MigrationRow(name: name, checksum: checksum, appliedAt: at, appliedBy: by,
                                                                    executionMilliseconds: Int(ms))
            }
        }
        if flags.2 {
            for row in try await session.rows(PostgresQuery(unsafeSQL: """
                SELECT "module", "version", "name", "checksum", \(appliedAt), "applied_by", "execution_ms", "linear_version"
                FROM \(Ledger.moduleMigrationsTable.sql) ORDER BY "module", "version"
                """)) {
                let (module, version, name, checksum, at, by, ms, linear) = try decoding {
                    try row.decode((String, Int32, String, String, String, String, Int32, Int32?).self)
                }
                state.moduleMigrations[ModuleVersion(module, Int(version))] = MigrationRow(
                    name: name, checksum: checksum, appliedAt: at, appliedBy: by, executionMilliseconds: Int(ms), linearVersion: linear.map(Int.init))
            }
        }
        if flags.3 {
            for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT \"module\", \"chosen\" FROM \(Ledger.installedModulesTable.sql)")) {
                let (module, chosen) = try decoding { try row.decode((String, Bool).self) }
                state.installedModules[module] = chosen
            }
        }
        if flags.1 {
            let module = flags.4 ? "\"module\"" : "NULL::text"
            for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT \"key\", \"kind\", \"checksum\", \"drop_statements\", \(module) FROM \(Ledger.repeatableTable.sql)")) {
                let (key, kind, checksum, drops, owner) = try decoding { try row.decode((String, String, String, [String], String?).self) }
                state.repeatables[key] = RepeatableRow(kind: kind, checksum: checksum, dropStatements: drops, module: owner)
            }
        }
        return state
    }

    /// `invariants` or `invariants_<module>` (the underscore escaped for LIKE).
    static func ours(_ column: String) -> String {
        "(\(column) = \(SQLText.literal(ExtensionScript.legacyName)) OR \(column) LIKE '\(ExtensionScript.modulePrefix.dropLast())\\_%')"
    }

    private static func readExtension(_ session: SQLSession, into state: inout LedgerState) async throws(InvariantsError) {
        for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT extname::text, extversion FROM pg_catalog.pg_extension e WHERE \(ours("e.extname"))")) {
            let (name, version) = try decoding { try row.decode((String, String).self) }
            if name == ExtensionScript.legacyName { state.legacyExtensionVersion = version } else { state.moduleExtensions[name] = version }
        }
        for row in try await session.rows(PostgresQuery(unsafeSQL: """
            SELECT e.extname::text, p.oid::pg_catalog.regprocedure::text
            FROM pg_catalog.pg_depend d
            JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
            JOIN pg_catalog.pg_proc p ON p.oid = d.objid AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
            WHERE \(ours("e.extname")) AND d.deptype = 'e'
            ORDER BY 1, 2
            """)) {
            let (name, member) = try decoding { try row.decode((String, String).self) }
            state.extensionMembers[name, default: []].append(member)
        }
        for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT name::text, version FROM pg_catalog.pg_available_extension_versions v WHERE \(ours("v.name"))")) {
            let (name, version) = try decoding { try row.decode((String, String).self) }
            state.availableExtensionVersions[name, default: []].insert(version)
        }
        var installed = Array(state.moduleExtensions.keys)
        if state.legacyExtensionVersion != nil { installed.append(ExtensionScript.legacyName) }
        for name in installed where state.availableExtensionVersions[name] != nil {
            for row in try await session.rows(PostgresQuery(unsafeSQL: "SELECT source, target FROM pg_catalog.pg_extension_update_paths(\(SQLText.literal(name))) WHERE path IS NOT NULL")) {
                let (source, target) = try decoding { try row.decode((String, String).self) }
                state.extensionUpdatePaths[name, default: []].insert(source + " → " + target)
            }
        }
    }
}
