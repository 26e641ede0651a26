import InvariantsSchema

/// Reads the renderer's statements as text: what a trigger fires on and calls, which tables a
/// body writes or reads, whether it aggregates, notifies, or names a tenant column.
///
/// Textual on purpose: the statements are our own rendered SQL (quoted, schema-qualified), so
/// a few patterns find what the Citus report needs; dynamic SQL (`EXECUTE`) is not followed.
enum CitusSQLText {
    private static let name = #"("[^"]+"|[A-Za-z_][A-Za-z0-9_]*)"#
    private static let qualified = name + #"\s*\.\s*"# + name

    /// `CREATE … FUNCTION "s"."f"(` → `s.f`.
    static func createdFunction(_ text: String) -> QualifiedName? {
        first(#"FUNCTION\s+"# + qualified + #"\s*\("#, in: text).map { QualifiedName($0[0], $0[1]) }
    }

    /// `CREATE … TRIGGER "t" … ON "s"."table" … EXECUTE FUNCTION "s"."f"(` → (t, table, f).
    static func trigger(_ text: String) -> (String, QualifiedName, QualifiedName)? {
        guard let trigger = first(#"TRIGGER\s+"# + name, in: text),
            let table = first(#"\sON\s+"# + qualified, in: text),
            let function = first(#"EXECUTE\s+(?:FUNCTION|PROCEDURE)\s+"# + qualified, in: text)
        else { return nil }
        return (trigger[0], QualifiedName(table[0], table[1]), QualifiedName(function[0], function[1]))
    }

    /// Targets of `INSERT INTO`, `UPDATE`, `DELETE FROM`.
    static func writtenTables(_ text: String) -> [QualifiedName] {
        all(#"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?"# + qualified, in: text).map { QualifiedName($0[0], $0[1]) }
    }

    /// Sources of `FROM` and `JOIN`.
    static func readTables(_ text: String) -> [QualifiedName] {
        all(#"\b(?:FROM|JOIN)\s+(?:ONLY\s+)?"# + qualified, in: text).map { QualifiedName($0[0], $0[1]) }
    }

    static func aggregates(_ text: String) -> Bool {
        first(#"\b(?:count|sum|avg|min|max|array_agg|jsonb_agg|json_agg|string_agg|bool_and|bool_or)\s*\("#, in: text) != nil
    }

    static func notifies(_ text: String) -> Bool {
        first(#"\bpg_notify\s*\(|\bNOTIFY\s+[A-Za-z_"]"#, in: text) != nil
    }

    /// The column appears at all (as a word: `p_user_id` does not name `user_id`).
    static func mentions(_ text: String, column: String) -> Bool {
        first(#"(?:^|[^A-Za-z0-9_])"?"# + column + #""?(?![A-Za-z0-9_])"#, in: text) != nil
    }

    /// The column is compared (`=`, `IN (`, `IS NOT DISTINCT FROM`, either side) or grouped by.
    static func filtersOrGroups(_ text: String, column: String) -> Bool {
        let bare = #""?"# + column + #""?(?![A-Za-z0-9_])"#
        let word = #"(?:^|[^A-Za-z0-9_])"# + bare
        return first(word + #"\s*(?:=|IN\s*\(|IS\s+NOT\s+DISTINCT\s+FROM)"#, in: text) != nil
            || first(#"(?:=|IS\s+NOT\s+DISTINCT\s+FROM)\s*(?:(?:[A-Za-z_][A-Za-z0-9_]*|"[^"]+")\.)?"# + bare, in: text) != nil
            // Up to the next clause: a HAVING that counts user_id does not group by it.
            || first(#"GROUP\s+BY\s+(?:(?!HAVING|ORDER\s+BY|LIMIT|WINDOW|UNION)[^;])*?"# + word, in: text) != nil
    }

    private static func unquote(_ part: Substring) -> String {
        part.hasPrefix("\"") ? String(part.dropFirst().dropLast()) : part.lowercased()
    }

    private static func regex(_ pattern: String) -> Regex<AnyRegexOutput> {
        // The patterns are literals of this file; a typo is a programming error. Simple word
        // boundaries: by Unicode's rules `pg_catalog.count` is one word, and `\b` would not
        // find `count` in it.
        try! Regex(pattern).ignoresCase().wordBoundaryKind(.simple)
    }

    private static func first(_ pattern: String, in text: String) -> [String]? {
        guard let match = text.firstMatch(of: regex(pattern)) else { return nil }
        return captures(match)
    }

    private static func all(_ pattern: String, in text: String) -> [[String]] {
        text.matches(of: regex(pattern)).map(captures)
    }

    private static func captures(_ match: Regex<AnyRegexOutput>.Match) -> [String] {
        (1..<match.output.count).compactMap { match.output[$0].substring.map(unquote) }
    }
}
