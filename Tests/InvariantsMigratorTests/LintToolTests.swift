import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

/// Linters of the generated SQL, part of `make test`: plpgsql_check over every stored
/// function, squawk over every migration, and the extension's own pgTAP suite through
/// `make -C extension installcheck`. (The security lint has its own suite.)
@Suite("lint tools", .serialized)
struct LintToolTests {
    @Test("plpgsql_check: no error, no performance or security warning in any generated PL/pgSQL function")
    func plpgsqlCheck() async throws {
        try await withFreshDatabase(from: try await catalogTemplate()) { _, connection in
            let available: Bool = try await connection.scalar("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'plpgsql_check')")
            if !available, try await serverMajorVersion(connection) != 15 {
                // Debian packages plpgsql_check for PostgreSQL 15 only; the PG 18 run skips it.
                print("skipped: plpgsql_check is not available for PostgreSQL \(try await serverMajorVersion(connection))")
                return
            }
            try #require(available, "plpgsql_check is missing: apt-get install postgresql-15-plpgsql-check (make deps)")
            try await connection.run("CREATE EXTENSION plpgsql_check")
            // Every PL/pgSQL function the ledger declares; trigger functions with a table that uses them.
            let rows = try await connection.query("""
                SELECT p.oid::regprocedure::text, p.prorettype = 'trigger'::regtype,
                       coalesce((SELECT min(t.tgrelid::regclass::text) FROM pg_trigger t WHERE t.tgfoid = p.oid), ''),
                       -- Statement triggers with transition tables: the names, for plpgsql_check.
                       coalesce((SELECT max(t.tgnewtable::text) FROM pg_trigger t WHERE t.tgfoid = p.oid), ''),
                       coalesce((SELECT max(t.tgoldtable::text) FROM pg_trigger t WHERE t.tgfoid = p.oid), '')
                FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE l.lanname = 'plpgsql'
                  AND EXISTS (SELECT 1 FROM invariants.repeatable_objects r
                              WHERE r.kind IN ('function', 'trigger function')
                                AND r.key LIKE 'function ' || n.nspname || '.' || p.proname || '(%')
                ORDER BY 1
                """, logger: testLogger).collect()
            var checked = 0
            var findings: [String] = []
            let accepted = try plpgsqlCheckExceptions()
            var used = Set<Int>()
            for row in rows {
                let (function, isTrigger, table, newTable, oldTable) = try row.decode((String, Bool, String, String, String).self)
                let transitionTables = (newTable.isEmpty ? "" : ", newtable => '\(newTable)'") + (oldTable.isEmpty ? "" : ", oldtable => '\(oldTable)'")
                if isTrigger && table.isEmpty { findings.append("\(function): a trigger function no trigger uses"); continue }
                let relid = isTrigger ? "'\(table)'::regclass" : "0"
                let results = try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT level, coalesce(sqlstate, ''), message, coalesce(lineno::text, '?')
                    FROM plpgsql_check_function_tb('\(function)'::regprocedure, \(relid)\(transitionTables),
                         fatal_errors => false, other_warnings => true, performance_warnings => true,
                         extra_warnings => false, security_warnings => true)
                    """), logger: testLogger).collect()
                for result in results {
                    let (level, state, message, line) = try result.decode((String, String, String, String).self)
                    if level == "error" || level.contains("performance") || level.contains("security") {
                        if let index = accepted.firstIndex(where: { $0 == (function, message) }) {
                            used.insert(index)
                            continue
                        }
                        findings.append("\(function) line \(line): \(level) \(state) \(message)")
                    }
                }
                checked += 1
            }
            #expect(checked >= 5, "found only \(checked) PL/pgSQL functions to check")
            #expect(findings.isEmpty, "plpgsql_check:\n\(findings.joined(separator: "\n"))")
            let stale = accepted.indices.filter { !used.contains($0) }.map { "\(accepted[$0].0) | \(accepted[$0].1)" }
            #expect(stale.isEmpty, "lint/plpgsql-check-exceptions lines that match no finding: \(stale)")
        }
    }

    /// `lint/plpgsql-check-exceptions`: `<function> | <message> — <why>` per line.
    func plpgsqlCheckExceptions() throws -> [(String, String)] {
        let text = try String(contentsOfFile: repositoryRoot + "/lint/plpgsql-check-exceptions", encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { line in
            let parts = line.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let dash = parts[1].range(of: " — ") else {
                throw InvariantsError(.invalidInput, "lint/plpgsql-check-exceptions: expected `<function> | <message> — <why>`: \(line)")
            }
            return (parts[0], String(parts[1][..<dash.lowerBound]))
        }
    }

    /// `lint/squawk-exceptions`: `<migration file> <rule>[,<rule>…] — <why>` per line.
    func squawkExceptions() throws -> [String: [String]] {
        let text = try String(contentsOfFile: repositoryRoot + "/lint/squawk-exceptions", encoding: .utf8)
        var exceptions: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.components(separatedBy: " — ")
            let head = parts[0].split(separator: " ")
            try #require(parts.count == 2 && !parts[1].trimmingCharacters(in: .whitespaces).isEmpty && head.count == 2,
                         "lint/squawk-exceptions: every exception is '<file> <rules> — <why>': \(line)")
            exceptions[String(head[0]), default: []] += head[1].split(separator: ",").map(String.init)
        }
        return exceptions
    }

    @Test("squawk: every migration, as the migrator runs it, passes (exceptions justified in lint/squawk-exceptions)")
    func squawk() throws {
        let squawk = ProcessInfo.processInfo.environment["INVARIANTS_SQUAWK"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } ?? "squawk"
        let exceptions = try squawkExceptions()
        let catalog = try committedCatalog()
        let directory = NSTemporaryDirectory() + "invariants-squawk-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files: [String] = []
        for migration in catalog.migrations {
            let label = migration.label
            let name = label.replacingOccurrences(of: "/", with: "__")
            var text = ""
            if let rules = exceptions[label] { text += "-- squawk-ignore-file \(rules.joined(separator: ", "))\n" }
            // What the migrator runs in the migration's transaction: its timeouts, then the steps.
            text += "SET LOCAL lock_timeout = '\(migration.lockTimeoutMilliseconds)ms';\n"
            text += "SET LOCAL statement_timeout = '\(migration.statementTimeoutMilliseconds)ms';\n"
            text += migration.steps.map { $0.sql + ";\n" }.joined()
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
            files.append(name)
        }
        for label in exceptions.keys {
            #expect(catalog.migrations.contains { $0.label == label }, "lint/squawk-exceptions names \(label), which is not a migration")
        }
        let result = try runTool([squawk, "--assume-in-transaction", "--pg-version", "15", "--reporter", "gcc"] + files,
                                 directory: directory, environment: ["NO_COLOR": "1"])
        #expect(result.status == 0, "squawk (\(squawk)) found problems; fix the migration, or justify an exception in lint/squawk-exceptions:\n\(result.output)")
    }

    @Test("make -C extension installcheck: the extension's pgTAP suite passes (pg_prove)")
    func installcheck() async throws {
        let server = try await ThrowawayPostgres.shared()
        let probe = try await server.makeDatabase()
        let connection = try await probe.connect(logger: testLogger)
        let pgtap: Bool = try await connection.scalar("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgtap')")
        let major = try await serverMajorVersion(connection)
        try await requireExtensionInstalled(connection)
        try? await connection.close()
        try? await probe.drop()
        if !pgtap && major != 15 {
            print("skipped: pgTAP is not available for PostgreSQL \(major) (Debian packages it for 15)")
            return
        }
        try #require(pgtap, "pgTAP is missing: apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl (make deps)")
        // The full set, then a single-module database (gig_responses with its dependencies).
        for modules in [nil, "core auth gig_responses"] as [String?] {
            let result = try runTool(["make", "-s", "-C", repositoryRoot + "/extension", "installcheck", "PG_CONFIG=\(pgBin)/pg_config"]
                                     + (modules.map { ["MODULES=\($0)"] } ?? []), server: server)
            #expect(result.status == 0, "make installcheck \(modules ?? "(every module)"):\n\(result.output)")
            #expect(result.output.contains("All tests successful"), "\(result.output)")
        }
    }
}
