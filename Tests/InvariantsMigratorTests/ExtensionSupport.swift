import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

let extensionDirectory = ExtensionDirectory(path: repositoryRoot + "/extension")
let sqlDirectory = SQLDirectory(path: repositoryRoot + "/sql")

/// The committed sql/ as the migrator applies it.
func committedCatalog() throws -> Catalog { try sqlDirectory.load() }

/// Module → the version `CREATE EXTENSION invariants_<module>` installs (each control file's default_version).
func extensionVersions() throws -> [String: String] { try extensionDirectory.defaultVersions() }

/// The extension route as the CLI's `--stored-logic extension` gives it.
func extensionRoute() throws -> StoredLogic { .extension(versions: try extensionVersions()) }

/// Fails with the fix when the server lacks the extensions' files (`make extension-install`).
func requireExtensionInstalled(_ connection: PostgresConnection) async throws {
    for (module, version) in try extensionVersions().sorted(by: { $0.key < $1.key }) {
        let name = ExtensionScript.extensionName(module: module)
        let available: Bool = try await connection.scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extension_versions WHERE name = '\(name)' AND version = '\(version)')")
        try #require(available, "extension \(name) \(version) is not installed in this PostgreSQL (\(ThrowawayPostgresOptions.defaultBinDirectory)): run `make extension-install`")
    }
}

/// Installed extensions of ours (`invariants`, `invariants_<module>`) → version.
func installedExtensions(_ connection: PostgresConnection) async throws -> [String: String] {
    let rows = try await connection.query("""
        SELECT extname::text, extversion FROM pg_extension WHERE extname = 'invariants' OR extname LIKE 'invariants\\_%'
        """, logger: testLogger).collect()
    return Dictionary(uniqueKeysWithValues: try rows.map { try $0.decode((String, String).self) })
}

/// Member function (regprocedure text) → the extension that holds it.
func extensionMembership(_ connection: PostgresConnection) async throws -> [String: String] {
    let rows = try await connection.query("""
        SELECT p.oid::regprocedure::text, e.extname::text FROM pg_depend d
        JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
        JOIN pg_proc p ON p.oid = d.objid AND d.classid = 'pg_proc'::regclass
        WHERE d.deptype = 'e' AND (e.extname = 'invariants' OR e.extname LIKE 'invariants\\_%')
        """, logger: testLogger).collect()
    return Dictionary(uniqueKeysWithValues: try rows.map { try $0.decode((String, String).self) })
}

/// The OID of every function outside the system schemas and of every user trigger, by name:
/// equal before and after, nothing was re-created.
func functionAndTriggerOIDs(_ connection: PostgresConnection) async throws -> [String: Int64] {
    let rows = try await connection.query("""
        SELECT 'function ' || p.oid::regprocedure::text, p.oid::bigint FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('public', 'invariants', 'invariants_private', 'auth')
        UNION ALL
        SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text, t.oid::bigint FROM pg_trigger t WHERE NOT t.tgisinternal
        """, logger: testLogger).collect()
    return Dictionary(uniqueKeysWithValues: try rows.map { try $0.decode((String, Int64).self) })
}

/// The server's major version (15, 18…).
func serverMajorVersion(_ connection: PostgresConnection) async throws -> Int {
    Int(try await connection.scalar("SELECT current_setting('server_version_num')::int", as: Int32.self) / 10000)
}

func migrate(_ connection: PostgresConnection, _ logic: StoredLogic, catalog: Catalog? = nil, modules: [String]? = nil) async throws {
    let migrator = try Migrator(catalog: try catalog ?? committedCatalog(), options: .init(storedLogic: logic, modules: modules), logger: testLogger)
    try await migrator.migrate(on: connection)
}

func snapshot(_ connection: PostgresConnection) async throws -> CatalogSnapshot {
    try await CatalogSnapshot.take(on: connection, logger: testLogger)
}

/// Every difference, printed, so a failing proof names what differs.
func expectSameSchema(_ actual: CatalogSnapshot, _ expected: CatalogSnapshot, _ comment: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    let differences = actual.differences(from: expected)
    #expect(differences.isEmpty, "\(comment): \(differences.map(\.description).joined(separator: "\n"))", sourceLocation: sourceLocation)
}

/// `key kind checksum` of every repeatable ledger row, sorted.
func repeatableLedger(_ connection: PostgresConnection) async throws -> [String] {
    let rows = try await connection.query("SELECT key || ' ' || kind || ' ' || checksum FROM invariants.repeatable_objects ORDER BY key", logger: testLogger).collect()
    return try rows.map { try $0.decode(String.self) }
}

/// md5 of every user table's rows (sorted), keyed by table: equal digests, equal data.
func tableDigests(_ connection: PostgresConnection) async throws -> [String: String] {
    let tables = try await connection.query("""
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
        ORDER BY 1
        """, logger: testLogger).collect().map { try $0.decode(String.self) }
    var digests: [String: String] = [:]
    for table in tables {
        digests[table] = try await connection.scalar("SELECT count(*) || ' rows ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \(table) t")
    }
    return digests
}

/// A PostgreSQL client program (pg_dump, pg_restore, psql, make, squawk…) with the server's
/// connection settings in its environment; returns its exit status and output.
@discardableResult
func runTool(_ arguments: [String], server: ThrowawayPostgres? = nil, directory: String? = nil,
             environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    if let server {
        environment["PGHOST"] = "127.0.0.1"
        environment["PGPORT"] = String(server.port)
        environment["PGUSER"] = server.superuser
        environment["PGPASSWORD"] = server.password
    }
    environment.merge(extra) { _, new in new }
    process.environment = environment
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

let pgBin = ThrowawayPostgresOptions.defaultBinDirectory

/// Some populated data on a migrated catalog database: users, sessions with model
/// statistics (counters), chat logs with usage (counters) and a saved chat (a card).
func populate(_ connection: PostgresConnection) async throws {
    let a = "00000000-0000-4000-8000-00000000000a", b = "00000000-0000-4000-8000-00000000000b"
    try await connection.run("INSERT INTO auth.users (id, email) VALUES ('\(a)', 'a@example.com'), ('\(b)', 'b@example.com')")
    try await connection.run("""
        INSERT INTO public.sessions (id, user_id, title, session_config) VALUES
        ('10000000-0000-4000-8000-000000000001', '\(a)', 'one', '{"selectedModels": ["m1", "m2"], "perModelSettings": {}}'),
        ('10000000-0000-4000-8000-000000000002', '\(b)', 'two', '{"selectedModels": ["m1"], "perModelSettings": {}}')
        """)
    for _ in 0..<3 { try await connection.run("SELECT public.record_model_response('10000000-0000-4000-8000-000000000001', 'm1')") }
    try await connection.run("SELECT public.record_model_response('10000000-0000-4000-8000-000000000002', 'm1')")
    for (user, cost) in [(a, "0.5"), (a, "0.25"), (b, "1.0")] {
        try await connection.run("SELECT public.log_chat('\(user)', 'q', 'r', '[{\"name\": \"search\"}]', 10, 20, \(cost), 'm1')")
    }
    try await connection.run("BEGIN")
    try await connection.run("SELECT set_config('request.jwt.claims', '{\"sub\": \"\(a)\", \"role\": \"authenticated\"}', true)")
    try await connection.run("SET LOCAL ROLE authenticated")
    try await connection.run("SELECT public.save_chat((SELECT min(id) FROM public.chat_logs), 'keep')")
    try await connection.run("COMMIT")
}

/// Some gigs and responses (the response counters are kept by triggers).
func populateGigs(_ connection: PostgresConnection) async throws {
    try await connection.run("INSERT INTO public.workspaces (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'w')")
    try await connection.run("INSERT INTO public.gigs (id, workspace_id, title) VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000a', 'g')")
    try await connection.run("""
        INSERT INTO public.responses (workspace_id, entity_type, entity_id, status, candidate_name)
        SELECT '00000000-0000-0000-0000-00000000000a', 'gig', '00000000-0000-0000-0000-0000000000b1', s, 'c'
        FROM unnest(ARRAY['NEW', 'VIEWED', 'NEW']) AS s
        """)
}
