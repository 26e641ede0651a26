import ArgumentParser
import GigResponses
import InvariantsCLI
import Foundation
import Invariants
import PostgresNIO

/// Seed 004's `sync-gig-counts`: which gigs — one workspace's, or all.
struct GigScope: ParsableArguments {
    @Argument(help: ArgumentHelp("The workspace whose gigs to process (a UUID).", valueName: "workspace-id"))
    var workspace: String?

    @Flag(help: "Process the gigs of every workspace.")
    var all = false

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        if all == (workspace != nil) {
            throw ValidationError("pass a workspace id or --all (exactly one)")
        }
        if let workspace, UUID(uuidString: workspace) == nil {
            throw ValidationError("workspace id '\(workspace)' is not a UUID (e.g. 3f2504e0-4f89-11d3-9a0c-0305e82c3301)")
        }
    }

    var workspaceID: UUID? { workspace.flatMap(UUID.init(uuidString:)) }

    /// Refuses a database without seed 004, or an unknown workspace, with one clear line.
    /// Returns how many gigs are in scope.
    func gigsInScope(_ connection: PostgresConnection) async throws(InvariantsError) -> Int64 {
        try await catching {
            let ready = try await connection.query(
                "SELECT to_regprocedure('invariants.repair_gig_responses(uuid, uuid, boolean, uuid, integer)') IS NOT NULL",
                logger: quietLogger).collect().first!.decode(Bool.self)
            guard ready else {
                throw InvariantsError(.notFound, "this database has no gig counters (invariants.repair_gig_responses is missing): run `invariants migrate` first")
            }
            if let id = workspaceID {
                let found = try await connection.query("SELECT EXISTS (SELECT 1 FROM public.workspaces WHERE id = \(id))", logger: quietLogger)
                    .collect().first!.decode(Bool.self)
                guard found else { throw InvariantsError(.notFound, "workspace \(id.uuidString.lowercased()) not found") }
            }
            return try await connection.query(
                "SELECT count(*) FROM public.gigs WHERE \(workspaceID)::uuid IS NULL OR workspace_id = \(workspaceID)", logger: quietLogger
            ).collect().first!.decode(Int64.self)
        }
    }

    /// Drifted (gig, counter) pairs in scope, from the drift view.
    func drift(_ connection: PostgresConnection) async throws(InvariantsError) -> [DriftRow] {
        try await catching {
            try await connection.query("""
                SELECT parent_key, scope::uuid, counter, stored::bigint, actual::bigint
                FROM invariants.gig_responses_drift
                WHERE \(workspaceID)::uuid IS NULL OR scope = \(workspaceID)
                ORDER BY parent_key, counter
                """, logger: quietLogger).collect().map { row in
                let (gig, workspace, counter, stored, actual) = try row.decode((UUID, UUID, String, Int64, Int64).self)
                return DriftRow(gig: gig.uuidString.lowercased(), workspace: workspace.uuidString.lowercased(), counter: counter, stored: stored, actual: actual)
            }
        }
    }
}

struct DriftRow: Encodable {
    var gig: String
    var workspace: String
    var counter: String
    var stored: Int64
    var actual: Int64
}

func catching<T>(_ body: () async throws -> T) async throws(InvariantsError) -> T {
    do { return try await body() } catch let error as InvariantsError { throw error } catch { throw InvariantsError(error) }
}

struct SyncCountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-counts",
        abstract: "Repair gigs.responses / gigs.new_responses of one workspace or of all (seed 004's sync-gig-counts).",
        discussion: """
            The database keeps the counters exact on every write; this repairs data that was loaded with triggers off (a restore, a bulk import with session_replication_role = replica).

            Works in batches, one short transaction each: a batch's gigs are locked in id order, then counted in a new statement, so writers can keep writing while it runs and nothing is lost. Each changed value is recorded in invariants.counter_repairs (old, new, when, by whom). Without --force only drifted gigs are rewritten; --force rewrites every counter. --dry-run changes nothing and reports what would be fixed. Exit status 0 on success.

            Examples:
              invariants sync-counts 3f2504e0-4f89-11d3-9a0c-0305e82c3301 \\
                --database-url postgres://postgres@localhost/app
              invariants sync-counts --all --force --json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var scope: GigScope

    @Flag(help: "Rewrite every counter, even those that match.")
    var force = false

    @Flag(name: .customLong("dry-run"), help: "Change nothing; report what would be fixed.")
    var dryRun = false

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Gigs per transaction.", valueName: "n"))
    var batchSize = 1000

    func validate() throws {
        guard batchSize >= 1 && batchSize <= 100_000 else { throw ValidationError("--batch-size must be 1…100000, got \(batchSize)") }
    }

    struct Summary: Encodable {
        var workspace: String?
        var dryRun: Bool
        var force: Bool
        var checked: Int64
        var fixed: Int64
        var elapsedSeconds: Double
        var drifted: [DriftRow]?
    }

    func run() async throws {
        let started = ContinuousClock.now
        let summary = try await failing {
            try await database.withConnection { connection, _ throws(InvariantsError) in
                let total = try await scope.gigsInScope(connection)
                if dryRun {
                    let drift = try await scope.drift(connection)
                    let gigs = Set(drift.map(\.gig)).count
                    return Summary(workspace: scope.workspace, dryRun: true, force: force, checked: total,
                                   fixed: force ? total : Int64(gigs), elapsedSeconds: 0, drifted: drift)
                }
                let progress = ProgressBar(total: total, enabled: scope.all && !scope.json)
                let (checked, fixed) = try await CounterRepair.run(
                    GigResponsesModule.counters, parent: nil, scope: scope.workspaceID?.uuidString, force: force, batchSize: batchSize,
                    on: connection, progress: progress)
                return Summary(workspace: scope.workspace, dryRun: false, force: force, checked: checked, fixed: fixed,
                               elapsedSeconds: 0, drifted: nil)
            }
        }
        var result = summary
        let elapsed = ContinuousClock.now - started
        result.elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if scope.json {
            try printJSON(result)
            return
        }
        let target = scope.workspace.map { "workspace \($0)" } ?? "all workspaces"
        let seconds = String(format: "%.2f", result.elapsedSeconds)
        if dryRun {
            for row in result.drifted ?? [] {
                print("would fix gig \(row.gig) \(row.counter): \(row.stored) → \(row.actual)")
            }
            print("dry run, \(target): checked \(result.checked) gigs, would \(force ? "rewrite" : "fix") \(result.fixed), in \(seconds) s")
        } else {
            print("\(target): checked \(result.checked) gigs, fixed \(result.fixed)\(force ? " (forced rewrite of all)" : ""), in \(seconds) s")
        }
    }
}

struct CheckCountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-counts",
        abstract: "List gigs whose stored response counters differ from their responses; exit 1 if any.",
        discussion: """
            Reads invariants.gig_responses_drift (seed 004's monitoring query as a view); changes nothing. Exit status: 0 when clean, 1 when drift was found (repair it with `invariants sync-counts`) or on an error.

            Examples:
              invariants check-counts --all \\
                --database-url postgres://postgres@localhost/app
              invariants check-counts 3f2504e0-4f89-11d3-9a0c-0305e82c3301 --json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var scope: GigScope

    func run() async throws {
        let (total, drift) = try await failing {
            try await database.withConnection { connection, _ throws(InvariantsError) in
                (try await scope.gigsInScope(connection), try await scope.drift(connection))
            }
        }
        let gigs = Set(drift.map(\.gig)).count
        if scope.json {
            struct Report: Encodable { var checked: Int64; var driftedGigs: Int; var drifted: [DriftRow] }
            try printJSON(Report(checked: total, driftedGigs: gigs, drifted: drift))
        } else {
            for row in drift {
                print("gig \(row.gig) (workspace \(row.workspace)) \(row.counter): stored \(row.stored), actual \(row.actual)")
            }
            print(gigs == 0 ? "all \(total) gigs in sync" : "\(gigs) of \(total) gigs drifted: run `invariants sync-counts`")
        }
        if gigs > 0 { throw ExitCode(1) }
    }
}
