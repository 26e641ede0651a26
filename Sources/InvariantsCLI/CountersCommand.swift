import ArgumentParser
import Foundation
public import Invariants
import InvariantsMigrator
public import InvariantsSchema
public import PostgresNIO

/// `invariants counters check|repair|list`: the same tools for every declared counter cache.
struct CountersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "counters",
        abstract: "Check and repair every declared counter (CounterCache) of the installed modules.",
        discussion: """
            The database keeps each counter exact on every write; these tools are for data loaded with triggers off (a restore, a bulk import with session_replication_role = replica).

            check reads each counter's drift view (stored ≠ actual) and changes nothing. repair calls each counter's set-based repair in batches, one short transaction each (a batch's parents are locked in key order, then counted in a new statement), so writers keep writing while it runs and nothing is lost; every changed value is recorded in invariants.counter_repairs (old, new, when, by whom).

            Examples:
              invariants counters list
              invariants counters check --database-url postgres://postgres@localhost/app
              invariants counters repair --dry-run          # with DATABASE_URL set
            """,
        subcommands: [CountersCheckCommand.self, CountersRepairCommand.self, CountersListCommand.self]
    )
}

/// Which counters and which parents: shared by check and repair.
struct CounterSelection: ParsableArguments {
    @Option(name: .customLong("counter"), help: ArgumentHelp("Only this counter (see `counters list`). Default: every counter of the installed modules.", valueName: "name"))
    var counter: String?

    @Option(name: .customLong("parent"), help: ArgumentHelp("Only this parent row (its key, e.g. a gig's id).", valueName: "key"))
    var parent: String?

    @Option(name: .customLong("scope"), help: ArgumentHelp("Only the parents of this scope (tenant), for a counter declared with one (e.g. a workspace id).", valueName: "key"))
    var scope: String?

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    /// The selected counters of the modules the database holds. Refuses an unknown name, naming
    /// the declared ones, and `--scope` on a counter without a scope.
    func counters(on connection: PostgresConnection, database: DatabaseOptions) async throws(InvariantsError) -> [CounterCache] {
        let installed = try await Migrator(catalog: try database.directory.load(), logger: quietLogger).installedModules(on: connection)
        let declared = InvariantsCommandLine.catalog.modules.filter { installed[$0.name] != nil }.flatMap(\.counters)
        var chosen = declared
        if let counter {
            guard let found = declared.first(where: { $0.name == counter }) else {
                let all = InvariantsCommandLine.catalog.counters.map(\.name)
                throw InvariantsError(.invalidInput, "unknown counter '\(counter)'; "
                    + (declared.isEmpty ? "the installed modules declare none" : "declared: \(declared.map(\.name).joined(separator: ", "))")
                    + (all.count > declared.count ? " (others belong to modules this database does not hold)" : ""), column: "counter")
            }
            chosen = [found]
        }
        if scope != nil, let unscoped = chosen.first(where: { $0.scope == nil }) {
            throw InvariantsError(.invalidInput, "counter \(unscoped.name) has no scope; --scope needs a counter declared with one (use --counter)", column: "scope")
        }
        return chosen
    }
}

struct CounterDrift: Encodable {
    var counter: String
    var parent: String
    var scope: String?
    var column: String
    var stored: String
    var actual: String
}

extension CounterSelection {
    /// The SQL types of the counter's parent key and scope, as its repair function declares them.
    static func types(of counter: CounterCache) -> (key: String, scope: String) {
        let arguments = counter.repairFunction.arguments
        return (arguments[0].type.sql, arguments[1].type.sql)
    }

    /// The drifted (parent, column) pairs of `counter` in the selection.
    func drift(of counter: CounterCache, on connection: PostgresConnection) async throws(InvariantsError) -> [CounterDrift] {
        // Keys compare as their declared types (a UUID in any case, 007 = 7), not as text.
        let (keyType, scopeType) = Self.types(of: counter)
        let sql = """
            SELECT parent_key::text, scope::text, counter, stored::text, actual::text FROM \(counter.driftViewName.sql)
            WHERE ($1::text IS NULL OR parent_key = $1::text::\(keyType)) AND ($2::text IS NULL OR scope = $2::text::\(scopeType))
            ORDER BY parent_key, counter
            """
        var binds = PostgresBindings()
        binds.append(parent)
        binds.append(scope)
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: quietLogger).collect().map { row in
                let (key, scope, column, stored, actual) = try row.decode((String, String?, String, String, String).self)
                return CounterDrift(counter: counter.name, parent: key, scope: scope, column: column, stored: stored, actual: actual)
            }
        } catch { throw InvariantsError(error) }
    }

    /// How many parents of `counter` are in the selection (the repair's total, for progress).
    func parentCount(of counter: CounterCache, on connection: PostgresConnection) async throws(InvariantsError) -> Int64 {
        let (keyType, scopeType) = Self.types(of: counter)
        var conditions = ["($1::text IS NULL OR p.\(SQLText.identifier(counter.parentKey)) = $1::text::\(keyType))"]
        if let scopeColumn = counter.scope {
            conditions.append("($2::text IS NULL OR p.\(SQLText.identifier(scopeColumn)) = $2::text::\(scopeType))")
        }
        var binds = PostgresBindings()
        binds.append(parent)
        binds.append(scope)
        let sql = "SELECT count(*) FROM \(counter.parent.sql) AS p WHERE " + conditions.joined(separator: " AND ") + (counter.scope == nil ? " AND $2::text IS NULL" : "")
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: quietLogger).collect().first?.decode(Int64.self) ?? 0
        } catch { throw InvariantsError(error) }
    }
}

struct CountersCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "List every counter value that differs from its children; exit 1 if any.",
        discussion: """
            Reads each selected counter's drift view; changes nothing. Exit status: 0 when clean, 1 when drift was found (repair it with `counters repair`) or on an error.

            Examples:
              invariants counters check --database-url postgres://postgres@localhost/app
              invariants counters check --counter gig_responses \\
                --scope 3f2504e0-4f89-11d3-9a0c-0305e82c3301 --json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var selection: CounterSelection

    func run() async throws {
        let (counters, drift) = try await failing {
            try await database.withConnection { connection, _ throws(InvariantsError) in
                let counters = try await selection.counters(on: connection, database: database)
                var drift: [CounterDrift] = []
                for counter in counters { drift += try await selection.drift(of: counter, on: connection) }
                return (counters.map(\.name), drift)
            }
        }
        if selection.json {
            struct Report: Encodable { var counters: [String]; var drifted: [CounterDrift] }
            try printJSON(Report(counters: counters, drifted: drift))
        } else {
            for row in drift {
                print("\(row.counter): parent \(row.parent)\(row.scope.map { " (scope \($0))" } ?? "") \(row.column): stored \(row.stored), actual \(row.actual)")
            }
            print(drift.isEmpty ? "\(counters.count) counter(s) in sync: \(counters.joined(separator: ", "))"
                                : "\(drift.count) value(s) drifted: run `counters repair`")
        }
        if !drift.isEmpty { throw ExitCode(1) }
    }
}

struct CountersRepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Repair the selected counters in batches while the app keeps writing; audit every change.",
        discussion: """
            Without --force only drifted values are rewritten; --force rewrites every selected counter. --dry-run changes nothing and lists what would be fixed. Progress is drawn on a terminal; a summary is printed at the end.

            Examples:
              invariants counters repair --database-url postgres://postgres@localhost/app
              invariants counters repair --counter chat_session_messages \\
                --parent 42 --dry-run
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var selection: CounterSelection

    @Flag(help: "Rewrite every counter value in the selection, even those that match.")
    var force = false

    @Flag(name: .customLong("dry-run"), help: "Change nothing; list what would be fixed.")
    var dryRun = false

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Parents per transaction.", valueName: "n"))
    var batchSize = 1000

    func validate() throws {
        guard batchSize >= 1 && batchSize <= 100_000 else { throw ValidationError("--batch-size must be 1…100000, got \(batchSize)") }
    }

    struct Summary: Encodable {
        var counter: String
        var checked: Int64
        var fixed: Int64
        var drifted: [CounterDrift]?
    }

    func run() async throws {
        let summaries = try await failing {
            try await database.withConnection { connection, _ throws(InvariantsError) in
                var summaries: [Summary] = []
                for counter in try await selection.counters(on: connection, database: database) {
                    let total = try await selection.parentCount(of: counter, on: connection)
                    if dryRun {
                        let drift = try await selection.drift(of: counter, on: connection)
                        summaries.append(Summary(counter: counter.name, checked: total,
                                                 fixed: force ? total : Int64(Set(drift.map(\.parent)).count), drifted: drift))
                        continue
                    }
                    summaries.append(try await repair(counter, total: total, on: connection))
                }
                return summaries
            }
        }
        if selection.json { return try printJSON(summaries) }
        for summary in summaries {
            for row in summary.drifted ?? [] { print("would fix \(row.counter) parent \(row.parent) \(row.column): \(row.stored) → \(row.actual)") }
            print("\(summary.counter): checked \(summary.checked) parent(s), \(dryRun ? "would \(force ? "rewrite" : "fix")" : "fixed") \(summary.fixed)")
        }
    }

    private func repair(_ counter: CounterCache, total: Int64, on connection: PostgresConnection) async throws(InvariantsError) -> Summary {
        let progress = ProgressBar(total: total, enabled: !selection.json, unit: "parents")
        let result = try await CounterRepair.run(counter, parent: selection.parent, scope: selection.scope, force: force,
                                                 batchSize: batchSize, on: connection, progress: progress)
        return Summary(counter: counter.name, checked: result.checked, fixed: result.fixed, drifted: nil)
    }
}

/// A counter's set-based repair, batch after batch (one short transaction each, so writers keep
/// writing), until every parent in the selection was checked. `counters repair` and an app's own
/// commands (seed 004's `sync-counts`) share it.
public enum CounterRepair {
    /// Repairs `counter`'s parents (one parent, one scope, or all), `batchSize` per call of its
    /// repair function; with `force` every value is rewritten. Returns what was checked and fixed.
    public static func run(
        _ counter: CounterCache, parent: String?, scope: String?, force: Bool, batchSize: Int,
        on connection: PostgresConnection, progress: ProgressBar
    ) async throws(InvariantsError) -> (checked: Int64, fixed: Int64) {
        let types = counter.repairFunction.arguments.map(\.type.sql)
        let sql = "SELECT checked, fixed, last_key::text FROM \(counter.repairFunctionName.sql)"
            + "($1::text::\(types[0]), $2::text::\(types[1]), $3, $4::text::\(types[3]), $5)"
        var checked: Int64 = 0, fixed: Int64 = 0
        var after: String? = nil
        while true {
            var binds = PostgresBindings()
            binds.append(parent)
            binds.append(scope)
            binds.append(force)
            binds.append(after)
            binds.append(Int32(batchSize))
            let row: (Int64, Int64, String?)
            do {
                guard let first = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: quietLogger).collect().first else { break }
                row = try first.decode((Int64, Int64, String?).self)
            } catch { throw InvariantsError(error) }
            checked += row.0
            fixed += row.1
            progress.update(checked, fixed: fixed)
            guard let last = row.2, row.0 == Int64(batchSize) else { break }
            after = last
        }
        progress.finish()
        return (checked, fixed)
    }
}

struct CountersListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the declared counters: module, parent, children, columns, strategy."
    )

    @Flag(help: "Print the list as JSON.")
    var json = false

    func run() async throws {
        struct Entry: Encodable { var name: String; var module: String; var parent: String; var child: String; var columns: [String]; var strategy: String }
        let entries = InvariantsCommandLine.catalog.modules.flatMap { module in
            module.counters.map { Entry(name: $0.name, module: module.name, parent: $0.parent.description, child: $0.child.description,
                                        columns: $0.counters.map(\.column), strategy: "\($0.strategy)") }
        }
        if json { return try printJSON(entries) }
        for entry in entries {
            print("\(entry.name) (module \(entry.module)): \(entry.parent) \(entry.columns.joined(separator: ", ")) from \(entry.child), \(entry.strategy)")
        }
        if entries.isEmpty { print("no counters declared") }
    }
}
