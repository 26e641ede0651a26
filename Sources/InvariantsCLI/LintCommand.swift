import ArgumentParser
import Invariants
import InvariantsMigrator

struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check a database for row-level-security and privilege mistakes (Supabase's linter rules).",
        discussion: """
            Reads pg_catalog only; changes nothing. Exits 0 when there are no findings and 1 when there are (one line each: rule, object, what to do), so CI can gate on it.

            Rules: \(SecurityLint.rules.map(\.name).joined(separator: ", ")). The exposed schemas are public and every schema that anon, authenticated or PUBLIC may use.

            With --citus it prints a Citus readiness report instead, from the Swift declarations of the installed modules (with a database), of --modules a,b, or of every module of the catalog: each table's distribution column or reference table, every key, foreign key, counter, cascade, trigger, NOTIFY or global aggregate Citus would refuse or that crosses shards, the change that removes it and who makes it (a new migration of this project or the operator), and the create_reference_table / create_distributed_table calls; it exits 0 whenever the report ran, and is not verified against a real Citus.

            Examples:
              invariants lint --database-url postgres://postgres:secret@localhost:5432/app
              invariants lint --json        # with DATABASE_URL set
              invariants lint --citus --modules gig_responses
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print the findings as a JSON array of {rule, object, message}.")
    var json = false

    @OptionGroup var citus: CitusLintOptions

    func run() async throws {
        if citus.citus { return try await CitusLint.run(citus, database: database, json: json) }
        let findings = try await failing {
            try await database.withConnection { connection, _ throws(InvariantsError) in
                try await SecurityLint.run(on: connection, logger: quietLogger)
            }
        }
        if json {
            try printJSON(findings)
        } else if findings.isEmpty {
            print("no findings (\(SecurityLint.rules.count) rules)")
        } else {
            for finding in findings {
                print("\(finding.rule)  \(finding.object)\n    \(finding.message)")
            }
            print("\(findings.count) finding\(findings.count == 1 ? "" : "s")")
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }
}
