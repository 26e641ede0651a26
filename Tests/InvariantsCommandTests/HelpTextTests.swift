import Testing

/// `--help` as a user reads it in a terminal of a given width.
///
/// swift-argument-parser wraps every text to the terminal's width itself and keeps each line
/// break of the source text. A discussion written with hard line breaks therefore comes out
/// ragged (a line wrapped early, then a stub of two words, then the next source line), and an
/// example longer than the terminal is broken in the middle. These tests run the built binary
/// the way a user does, with `COLUMNS` fixing the width, for every subcommand it lists.
@Suite("--help reads cleanly at any terminal width")
struct HelpTextTests {
    /// The commands the bundled CLI must list; the tests also cover any others it lists.
    static let expectedCommands: Set<[String]> = [
        ["modules"], ["migrate"], ["status"], ["plan"], ["verify"], ["check"], ["lint"], ["counters"],
        ["counters", "check"], ["counters", "repair"], ["counters", "list"], ["generate"], ["release"],
        ["dev"], ["demo"], ["sync-counts"], ["check-counts"],
    ]

    @Test("every subcommand: no line wider than the terminal, no paragraph broken early",
          arguments: [80, 120])
    func everySubcommand(columns: Int) async throws {
        let commands = try await Self.commands(columns: columns)
        #expect(Self.expectedCommands.isSubset(of: Set(commands)), "listed: \(commands)")
        for command in [[]] + commands {
            let help = try await invariants(command + ["--help"], environment: ["COLUMNS": "\(columns)"])
            #expect(help.status == 0, "\(command) --help: \(help.stderr)")
            let problems = HelpLayout.problems(in: help.stdout, columns: columns)
            #expect(problems.isEmpty, """
                invariants \(command.joined(separator: " ")) --help at \(columns) columns:
                \(problems.joined(separator: "\n"))
                """)
        }
    }

    @Test("the checker flags a hard-wrapped paragraph and an over-long line, and accepts literal examples")
    func checkerCatchesRaggedText() {
        let ragged = """
            OVERVIEW: Short.

            migration runs in its own transaction (steps marked outside-transaction, such
            as CREATE INDEX CONCURRENTLY, run alone) and is recorded in
            invariants.module_migrations.
            Concurrent migrators wait for one another on an advisory lock.

            Example:
              invariants migrate --database-url postgres://postgres:secret@db.example.com:5432/app
              invariants migrate --database-url
            postgres://postgres:secret@db.example.com:5432/app?sslmode=require
            """
        let problems = HelpLayout.problems(in: ragged, columns: 80)
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.contains("literal line broken") && $0.contains("sslmode=require") })
        #expect(problems.contains { $0.contains("broken early before \"Concurrent\"") })
        #expect(problems.contains { $0.contains("wider than 80") && $0.contains("postgres://") })

        let clean = """
            OVERVIEW: Short.

            Each migration runs in its own transaction (steps marked outside-transaction,
            such as CREATE INDEX CONCURRENTLY, run alone).

            Examples:
              invariants generate
              invariants generate --check

            OPTIONS:
              --sql-dir <path>        Where to write. Default: $INVARIANTS_SQL_DIR, else
                                      ./sql.
              --lock-timeout <seconds>
                                      Seconds to wait for another migrator's lock.
            """
        #expect(HelpLayout.problems(in: clean, columns: 80).isEmpty)
    }

    /// Every subcommand path the CLI lists, found by reading each help screen's SUBCOMMANDS.
    static func commands(columns: Int) async throws -> [[String]] {
        var found: [[String]] = []
        var queue: [[String]] = [[]]
        while let command = queue.popLast() {
            let help = try await invariants(command + ["--help"], environment: ["COLUMNS": "\(columns)"])
            let children = HelpLayout.subcommands(in: help.stdout).map { command + [$0] }
            found += children
            queue += children
        }
        return found.sorted { $0.joined(separator: " ") < $1.joined(separator: " ") }
    }
}

/// What makes a rendered help screen hard to read.
enum HelpLayout {
    /// Where swift-argument-parser starts the help text of an option or a subcommand.
    static let helpColumn = 26

    /// One message per problem: a line wider than `columns`; a paragraph line that ends
    /// although the next line's first word would still have fit on it (a hard line break in
    /// the source text); a line at the left margin right after an indented one (an example
    /// the library wrapped because it was too long, its rest landing at the margin). The
    /// USAGE line is left out: the library does not wrap it. Lines of the discussion that are
    /// indented are literal (examples) and may end anywhere.
    static func problems(in help: String, columns: Int) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var problems: [String] = []
        for (index, line) in lines.enumerated() where !line.hasPrefix("USAGE:") {
            if line.count > columns {
                problems.append("wider than \(columns) columns (\(line.count)): \(line)")
            }
            guard index + 1 < lines.count else { continue }
            let next = lines[index + 1]
            if indent(of: line) > 0 && !next.isEmpty && indent(of: next) == 0 && !next.hasSuffix(":") {
                problems.append("literal line broken by the width (or prose without a blank line before it): \(next)")
            }
            guard continuesParagraph(line, with: next),
                  let word = next.split(separator: " ").first else { continue }
            // The library breaks a line at the last space before column `columns`.
            if line.count + 1 + word.count < columns {
                problems.append("paragraph broken early before \"\(word)\": \(line)")
            }
        }
        return problems
    }

    /// Whether `next` is the same paragraph as `line`, wrapped: prose of the discussion (both
    /// at the left margin), or the help text of an option or subcommand continued at the help
    /// column.
    static func continuesParagraph(_ line: String, with next: String) -> Bool {
        guard !line.isEmpty, !next.isEmpty, !next.hasPrefix("USAGE:"), !next.hasSuffix(":") else { return false }
        if indent(of: line) == 0 && indent(of: next) == 0 { return !line.hasSuffix(":") }
        return indent(of: next) == helpColumn && line.count > helpColumn
    }

    static func indent(of line: String) -> Int {
        line.prefix { $0 == " " }.count
    }

    /// The names listed under SUBCOMMANDS: (each at two spaces of indent).
    static func subcommands(in help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...]
            .prefix { !$0.isEmpty }
            .filter { indent(of: String($0)) == 2 }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }
}
