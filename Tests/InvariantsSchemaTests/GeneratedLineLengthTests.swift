import InvariantsSchema
import SeedApps
import Testing

/// Generated SQL a DBA is glad to read: the files `invariants generate` writes keep every line
/// within ``SQLLines/limit`` columns. Two kinds of line are left as they are, each for a reason:
/// the `-- invariants:` markers, which the migrator reads one line at a time, and `COMMENT ON`,
/// whose text is one literal shared with released (immutable) migrations.
@Suite struct GeneratedLineLengthTests {
    static func longLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { line in
            line.count > SQLLines.limit && !line.hasPrefix("-- invariants:") && !line.hasPrefix("COMMENT ON ")
        }
    }

    @Test("every module's repeatable.sql: no line over 120 columns")
    func repeatableSets() {
        let modules = ProjectCatalog.catalog.modules.filter { !$0.repeatables.isEmpty }
        #expect(modules.count >= 5)
        for module in modules {
            let long = Self.longLines(RepeatableSetFile.render(module.repeatables, module: module.name))
            #expect(long.isEmpty, "\(module.name)/repeatable.sql: \(long.count) long lines, first: \(long.first ?? "")")
        }
    }

    @Test("every module's adopt.sql: no line over 120 columns")
    func adoptions() {
        let adoptions = ProjectCatalog.catalog.modules.compactMap(\.adoption)
        #expect(adoptions.count >= 4)
        for adoption in adoptions {
            let long = Self.longLines(AdoptionFile.render(adoption))
            #expect(long.isEmpty, "\(adoption.module)/adopt.sql: \(long.count) long lines, first: \(long.first ?? "")")
        }
    }

    @Test("SQLLines: a statement that fits is untouched; a long one wraps outside quotes only")
    func wrapping() {
        #expect(SQLLines.clause("REVOKE ALL ON t", "FROM PUBLIC") == "REVOKE ALL ON t FROM PUBLIC")
        let head = "GRANT EXECUTE ON FUNCTION " + String(repeating: "x", count: 100)
        #expect(SQLLines.clause(head, "TO \"service_role\"") == head + "\n    TO \"service_role\"")
        #expect(SQLLines.list("f(", ["a", "b"], ")") == "f(a, b)")
        let items = (1...30).map { "\"argument_\($0)\" uuid" }
        let wrapped = SQLLines.list("CREATE FUNCTION f(", items, ")")
        #expect(wrapped.split(separator: "\n").count == 32)
        #expect(SQLLines.fits(wrapped))
        // Breaks fall outside quotes; a literal too long for a line of its own is continued as
        // adjacent literals, which PostgreSQL joins back into the same text.
        let literal = "'" + String(repeating: "a b ", count: 40) + "'"
        let filled = SQLLines.filled("    RAISE EXCEPTION " + literal + ", NEW.\"status\", OLD.\"status\"", continuation: "        ")
        #expect(SQLLines.fits(filled))
        #expect(filled.replacingOccurrences(of: "'\n        '", with: "").replacingOccurrences(of: "\n        ", with: " ")
                == "    RAISE EXCEPTION " + literal + ", NEW.\"status\", OLD.\"status\"")
        let identifiers = SQLLines.filled("    " + (1...20).map { "\"a column \($0)\"" }.joined(separator: ", "), continuation: "        ")
        #expect(SQLLines.fits(identifiers))
        #expect(identifiers.split(separator: "\n").allSatisfy { $0.filter { $0 == "\"" }.count % 2 == 0 })
        // A line holding a comment is left whole: a break would move text out of the comment.
        let commented = "    x := 1; -- " + String(repeating: "word ", count: 30)
        #expect(SQLLines.filled(commented, continuation: "        ") == commented)
    }
}
