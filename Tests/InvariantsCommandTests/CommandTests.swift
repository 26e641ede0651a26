import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import Subprocess
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif
import Testing

let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

let binary = ProcessInfo.processInfo.environment["INVARIANTS_BIN"] ?? root + "/.build/debug/invariants"

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
}

/// Runs the built `invariants` binary and captures everything it prints.
func invariants(_ arguments: [String], environment: [String: String] = [:], directory: String = root) async throws -> CommandResult {
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        Issue.record("build the CLI first (swift build): \(binary) is missing")
        return CommandResult(status: -1, stdout: "", stderr: "", seconds: 0)
    }
    var env: [Environment.Key: String?] = ["DATABASE_URL": nil]
    for (key, value) in environment { env[Environment.Key(rawValue: key)!] = value }
    let started = ContinuousClock.now
    let result = try await run(
        .path(FilePath(binary)), arguments: Arguments(arguments),
        environment: .inherit.updating(env), workingDirectory: FilePath(directory),
        output: .string(limit: 1 << 20), error: .string(limit: 1 << 20)
    )
    let elapsed = ContinuousClock.now - started
    let status: Int32
    switch result.terminationStatus {
    case .exited(let code): status = Int32(code)
    default: status = -1
    }
    return CommandResult(status: status, stdout: result.standardOutput, stderr: result.standardError,
                         seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

@Suite("The invariants CLI, as a user runs it")
struct CommandTests {
    @Test("--help explains every command with an example")
    func help() async throws {
        let top = try await invariants(["--help"])
        #expect(top.status == 0)
        for command in ["migrate", "status", "plan", "generate", "dev", "demo", "lint", "sync-counts", "check-counts", "check"] {
            #expect(top.stdout.contains(command))
            let sub = try await invariants([command, "--help"])
            #expect(sub.status == 0)
            #expect(sub.stdout.contains("Example"), "\(command) --help has an example")
        }
    }

    @Test("bad input gives one clear line and a non-zero exit within seconds", arguments: [
        (["status", "--database-url", "postgres//nope"], "error: invalid database URL"),
        (["migrate", "--database-url", "mysql://u@h/db"], "scheme 'mysql'"),
        (["plan"], "no database: pass --database-url"),
    ])
    func badInput(arguments: [String], expected: String) async throws {
        let result = try await invariants(arguments)
        #expect(result.status == 1)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count <= 3)
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack"))
        // Includes launching the binary on a loaded 2-core CI machine; the failure mode this
        // guards against is PostgresClient's minute-long retry loop.
        #expect(result.seconds < 20)
    }

    @Test("unreachable server, wrong password, missing database: one clear line, fast")
    func connectionErrors() async throws {
        let server = try await ThrowawayPostgres.shared()
        let cases: [(String, String)] = [
            ("postgres://postgres:x@127.0.0.1:1/postgres?sslmode=disable", "cannot connect to 127.0.0.1:1"),
            ("postgres://postgres:wrong@127.0.0.1:\(server.port)/postgres?sslmode=disable", "authentication failed"),
            ("postgres://postgres:\(server.password)@127.0.0.1:\(server.port)/nowhere?sslmode=disable", "database \"nowhere\" does not exist"),
        ]
        for (url, expected) in cases {
            let result = try await invariants(["status", "--database-url", url])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("error: "))
            #expect(result.stderr.contains(expected), "\(result.stderr)")
            #expect(!result.stderr.contains(server.password), "a password never reaches the output")
            #expect(result.seconds < 20)
        }
    }

    @Test("lint: exit 0 on a clean database, exit 1 with each finding as text and JSON")
    func lint() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        defer { Task { try? await server.dropDatabase(database.name) } }

        let clean = try await invariants(["lint", "--database-url", database.url])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("no findings"))

        let connection = try await database.connect()
        _ = try await connection.query("CREATE TABLE public.lint_cli_open (id int PRIMARY KEY)", logger: ThrowawayPostgres.quietLogger).collect()
        try await connection.close()

        let text = try await invariants(["lint"], environment: ["DATABASE_URL": database.url])
        #expect(text.status == 1)
        #expect(text.stdout.contains("rls_disabled_in_public  public.lint_cli_open"), "\(text.stdout)")
        #expect(text.stdout.contains("1 finding"))

        let json = try await invariants(["lint", "--json", "--database-url", database.url])
        #expect(json.status == 1)
        let findings = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]]
        #expect(findings?.count == 1)
        #expect(findings?.first?["rule"] == "rls_disabled_in_public")
        #expect(findings?.first?["object"] == "public.lint_cli_open")
        #expect(findings?.first?["message"]?.contains("ENABLE ROW LEVEL SECURITY") == true)
    }

    @Test("status, plan, migrate against a real database, as text and JSON; DATABASE_URL works")
    func migrateFlow() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let env = ["DATABASE_URL": database.url]

        let before = try await invariants(["status", "--json"], environment: env)
        #expect(before.status == 1, "pending work exits 1")
        let pending = try JSONSerialization.jsonObject(with: Data(before.stdout.utf8)) as? [String: Any]
        let states = (pending?["migrations"] as? [[String: Any]])?.compactMap { $0["state"] as? String }
        #expect(states?.isEmpty == false && states?.allSatisfy { $0 == "pending" } == true)

        let plan = try await invariants(["plan"], environment: env)
        #expect(plan.status == 0)
        #expect(plan.stdout.contains("-- migration: core/0001_invariants_core.sql"), "\(plan.stdout.prefix(400))")
        #expect(plan.stdout.contains("SET LOCAL lock_timeout = '5000ms';"), "timeouts are part of the plan")
        #expect(plan.stdout.contains("INSERT INTO \"invariants\".\"module_migrations\""), "ledger writes are part of the plan")
        #expect(plan.stdout.contains("CREATE TABLE \"invariants\".\"error_codes\""))

        let migrate = try await invariants(["migrate"], environment: env)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("applying core/0001_invariants_core.sql"))
        #expect(migrate.stdout.contains("installed modules: core, auth, model_work_record, chat_logs, gig_responses, generations, support_chat"))

        let again = try await invariants(["migrate", "--json"], environment: env)
        #expect(again.status == 0)
        #expect(again.stdout.contains("\"appliedMigrations\" : ["))
        #expect(!again.stdout.contains("0001"))

        let after = try await invariants(["status"], environment: env)
        #expect(after.status == 0)
        #expect(after.stdout.contains("up to date"))
        #expect(after.stdout.contains("applied") && after.stdout.contains("core/0001_invariants_core.sql"))
    }

    @Test("modules: lists the modules; migrate --modules installs one; an unknown name is one line, nothing applied")
    func modules() async throws {
        let list = try await invariants(["modules"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("gig_responses") && list.stdout.contains("needs core, auth"), "\(list.stdout)")
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        defer { Task { try? await server.dropDatabase(database.name) } }
        let env = ["DATABASE_URL": database.url]

        // A database with tables of its own and no ledger: listed, nothing installed, nothing refused.
        let theirs = try await server.makeDatabase(from: nil)
        defer { Task { try? await server.dropDatabase(theirs.name) } }
        let connection = try await theirs.connect()
        _ = try await connection.query("CREATE TABLE public.their_orders (id int PRIMARY KEY)", logger: ThrowawayPostgres.quietLogger).collect()
        try await connection.close()
        let none = try await invariants(["modules", "--database-url", theirs.url])
        #expect(none.status == 0 && none.stdout.contains("not installed") && !none.stdout.contains("installed at"), "\(none.stdout)\(none.stderr)")
        let plain = try await invariants(["migrate", "--database-url", theirs.url])
        #expect(plain.status == 1 && plain.stderr.contains("choose the modules to install with --modules"), "\(plain.stderr)")
        let unknown = try await invariants(["migrate", "--modules", "gigs"], environment: env)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: unknown module 'gigs'; declared: core, auth, model_work_record, chat_logs, gig_responses, generations, support_chat\n",
                "\(unknown.stderr)")
        #expect(try await invariants(["status"], environment: env).stdout.contains("to install"), "nothing was applied")

        let one = try await invariants(["migrate", "--modules", "gig_responses"], environment: env)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("installed modules: core, auth, gig_responses"), "\(one.stdout)")
        let installed = try await invariants(["modules", "--json"], environment: env)
        let entries = try JSONSerialization.jsonObject(with: Data(installed.stdout.utf8)) as? [[String: Any]]
        let held = entries?.filter { $0["installed"] as? Bool == true }.compactMap { $0["name"] as? String }
        #expect(held == ["core", "auth", "gig_responses"])
        for command in ["status", "verify", "check", "lint"] {
            let result = try await invariants([command], environment: env)
            #expect(result.status == 0, "\(command) on a database with only gig_responses: \(result.stdout)\(result.stderr)")
        }
        let drop = try await invariants(["migrate", "--drop-module", "gig_responses"], environment: env)
        #expect(drop.status == 1 && drop.stderr.contains("--confirm-data-loss"), "\(drop.stderr)")
    }

    @Test("generate --check passes on the committed sql/ and fails with a diff on a stale copy")
    func generateCheck() async throws {
        let clean = try await invariants(["generate", "--check"])
        #expect(clean.status == 0, "committed sql/ must match the declarations: \(clean.stdout)\(clean.stderr)")

        let copyRoot = NSTemporaryDirectory() + "invariants-cli-sql-\(UUID().uuidString)"
        let copy = copyRoot + "/sql"
        try FileManager.default.createDirectory(atPath: copyRoot, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copyRoot) }
        try FileManager.default.copyItem(atPath: root + "/sql", toPath: copy)
        try FileManager.default.copyItem(atPath: root + "/extension", toPath: copyRoot + "/extension")
        let repeatable = copy + "/gig_responses/repeatable.sql"
        try (try String(contentsOfFile: repeatable, encoding: .utf8) + "\n-- stray edit\n").write(toFile: repeatable, atomically: true, encoding: .utf8)
        let stale = try await invariants(["generate", "--check", "--sql-dir", copy])
        #expect(stale.status == 1)
        #expect(stale.stdout.contains("changed: \(copy)/"))
        #expect(stale.stderr.contains("differ from the declarations"))

        let fixed = try await invariants(["generate", "--sql-dir", copy])
        #expect(fixed.status == 0)
        #expect(try await invariants(["generate", "--check", "--sql-dir", copy]).status == 0)
    }
}

@Suite("invariants release")
struct ReleaseCommandTests {
    @Test("freezes every declared migration under a label, once; a frozen file is then never rewritten")
    func release() async throws {
        let copyRoot = NSTemporaryDirectory() + "invariants-release-\(UUID().uuidString)"
        let copy = copyRoot + "/sql"
        try FileManager.default.createDirectory(atPath: copyRoot + "/extension", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copyRoot) }
        try FileManager.default.copyItem(atPath: root + "/sql", toPath: copy)
        try? FileManager.default.removeItem(atPath: copy + "/RELEASED")
        // Nothing released yet: each module extension has only an unreleased dev version.
        #expect(try await invariants(["generate", "--sql-dir", copy]).status == 0)
        let control = copyRoot + "/extension/invariants_gig_responses.control"
        #expect(try String(contentsOfFile: control, encoding: .utf8).contains("default_version = 'dev."))
        #expect(try String(contentsOfFile: control, encoding: .utf8).contains("requires = 'invariants_core'\n"))
        let first = try await invariants(["release", "9.9", "--sql-dir", copy])
        #expect(first.status == 0, "\(first.stderr)")
        // The release froze each module's functions as version 9.9 of its extension and dropped
        // the dev files; auth has no functions, hence no extension.
        #expect(try String(contentsOfFile: control, encoding: .utf8).contains("default_version = '9.9'"))
        let extensionFiles = try FileManager.default.contentsOfDirectory(atPath: copyRoot + "/extension").sorted()
        let modules = ["chat_logs", "core", "generations", "gig_responses", "model_work_record", "support_chat"]
        #expect(extensionFiles == modules.flatMap { ["invariants_\($0)--9.9.sql", "invariants_\($0).control"] }, "\(extensionFiles)")
        #expect(try await invariants(["generate", "--check", "--sql-dir", copy]).status == 0)
        let marker = try String(contentsOfFile: copy + "/RELEASED", encoding: .utf8)
        #expect(marker.hasSuffix("9.9 auth=2 chat_logs=7 core=3 generations=6 gig_responses=3 model_work_record=1 support_chat=2\n"), "\(marker)")

        let again = try await invariants(["release", "9.9", "--sql-dir", copy])
        #expect(again.status == 1 && again.stderr.contains("already exists"))
        // Neither a new migration nor a changed function: nothing to release.
        let empty = try await invariants(["release", "9.10", "--sql-dir", copy])
        #expect(empty.status == 1 && empty.stderr.contains("nothing to release"), "\(empty.stderr)")
        let bad = try await invariants(["release", "no spaces", "--sql-dir", copy])
        #expect(bad.status == 1 && bad.stderr.contains("must be letters"))

        // A frozen file edited by hand: generate neither rewrites it nor reports it…
        let file = copy + "/core/migrations/0001_invariants_core.sql"
        let edited = try String(contentsOfFile: file, encoding: .utf8) + "-- a DBA's note\n"
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await invariants(["generate", "--check", "--sql-dir", copy]).status == 0)
        #expect(try await invariants(["generate", "--sql-dir", copy]).status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == edited)
    }
}

@Suite("invariants dev")
struct DevCommandTests {
    @Test("starts a migrated throwaway PostgreSQL, prints its URL, and on Ctrl-C stops it and removes its data")
    func devLifecycle() async throws {
        let base = NSTemporaryDirectory() + "invariants-dev-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let result = try await run(
            .path(FilePath(binary)), arguments: ["dev", "--directory", base],
            environment: .inherit, workingDirectory: FilePath(root),
            input: .none, output: .sequence, error: .string(limit: 1 << 16)
        ) { execution -> (String?, Bool) in
            var url: String?
            var answered = false
            for try await line in execution.standardOutput.strings() {
                if line.hasPrefix("DATABASE_URL="), url == nil {
                    url = String(line.dropFirst("DATABASE_URL=".count)).trimmingCharacters(in: .whitespacesAndNewlines)
                    let client = try await InvariantsClient.connect(url: url!)
                    let rows = try await client.query("SELECT count(*) FROM invariants.module_migrations")
                    answered = try rows.first?.decode(Int64.self) ?? 0 >= 1
                    client.close()
                    try execution.send(signal: .interrupt)
                }
            }
            return (url, answered)
        }
        let (url, answered) = result.closureResult
        #expect(url != nil, "dev printed DATABASE_URL; stderr: \(result.standardError)")
        #expect(answered, "the printed URL served a migrated database")
        #expect(result.terminationStatus.isSuccess, "Ctrl-C is a clean exit")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: base))?.filter { $0.hasPrefix("invariants-pg-") } ?? []
        #expect(leftovers.isEmpty, "the server directory is removed: \(leftovers)")
        if let url, let parsed = try? DatabaseURL(url) {
            await #expect(throws: InvariantsError.self, "the server is gone") { try await InvariantsClient.connect(url: parsed) }
        }
    }
}
