/// Keeps generated statements within ``limit`` columns, so a DBA reads them in a review or a
/// terminal without scrolling. A statement that fits stays on one line, exactly as before: a
/// released migration that embeds a short statement renders the same bytes.
///
/// Machine-read marker lines (`-- invariants:object {json}`, `-- invariants:step …`) are not
/// wrapped: their readers take one line each.
public enum SQLLines {
    /// The longest line generated SQL writes, in columns.
    public static let limit = 120

    /// `head` and `tail` on one line (`indent` + `head tail`) when it fits, else `tail` on its own
    /// line, four spaces deeper: `REVOKE EXECUTE ON FUNCTION …(…)` / `    FROM PUBLIC, …`.
    public static func clause(_ head: String, _ tail: String, indent: String = "") -> String {
        let line = indent + head + " " + tail
        return fits(line) ? line : indent + head + "\n" + indent + "    " + tail
    }

    /// `open` + the items joined by `", "` + `close` on one line when it fits, else one item per
    /// line, four spaces deeper than `indent`, and `close` on a line of its own at `indent`:
    /// a long `"name"(…)` signature or `TABLE (…)` list.
    public static func list(_ open: String, _ items: [String], _ close: String, indent: String = "") -> String {
        let line = indent + open + items.joined(separator: ", ") + close
        guard !fits(line), !items.isEmpty else { return line }
        let body = items.map { indent + "    " + $0 }.joined(separator: ",\n")
        return indent + open + "\n" + body + "\n" + indent + close
    }

    /// Whether every line of `text` is within ``limit`` columns, leaving one for the `;` or `,`
    /// that may follow the statement or list item in its file.
    public static func fits(_ text: String) -> Bool {
        text.split(separator: "\n", omittingEmptySubsequences: false).allSatisfy { $0.count < limit }
    }

    /// `statement` with each long line ``filled(_:continuation:)``, continuing four spaces deeper
    /// than the line itself.
    public static func wrapped(_ statement: String) -> String {
        guard !fits(statement) else { return statement }
        return statement.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard !fits(String(line)) else { return String(line) }
            return filled(String(line), continuation: String(line.prefix { $0 == " " }) + "    ")
        }.joined(separator: "\n")
    }
}

extension SQLLines {
    /// `line` broken at spaces outside quotes (`'…'`, `"…"`) so each piece fits, the pieces after
    /// the first indented by `continuation`: a trigger's long `UPDATE OF` column list, a long
    /// `RAISE`. A string literal too long for a line of its own is continued as adjacent literals
    /// (`'…'` newline `'…'`: PostgreSQL joins string constants separated by a line break, in SQL
    /// and in PL/pgSQL). A line that fits, or holds a `--` comment or a `$` outside quotes (a
    /// dollar quote, a parameter), is returned as it is.
    public static func filled(_ line: String, continuation: String) -> String {
        guard !fits(line), let words = words(line) else { return line }
        let indent = String(line.prefix { $0 == " " })
        var pieces: [String] = []
        var current = ""
        func room() -> Int { limit - 1 - (pieces.isEmpty ? indent : continuation).count }
        func add(_ word: String) {
            if !current.isEmpty, current.count + 1 + word.count > room() {
                pieces.append(current)
                current = word
            } else {
                current += current.isEmpty ? word : " " + word
            }
        }
        for word in words {
            let chunks = word.count > limit - 1 - continuation.count ? literalChunks(word, room: limit - 1 - continuation.count) : [word]
            for chunk in chunks { add(chunk) }
        }
        if !current.isEmpty { pieces.append(current) }
        return indent + pieces.enumerated().map { $0.offset == 0 ? $0.element : continuation + $0.element }
            .joined(separator: "\n")
    }

    /// The line's words, split at spaces outside quotes; `nil` when it holds `--` or `$` outside
    /// quotes.
    private static func words(_ line: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var previous: Character?
        for character in line.drop(while: { $0 == " " }) {
            if let open = quote {
                if character == open { quote = nil }
                word.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                word.append(character)
            } else if character == "$" || (character == "-" && previous == "-") {
                return nil
            } else if character == " " {
                if !word.isEmpty { words.append(word) }
                word = ""
            } else {
                word.append(character)
            }
            previous = quote == nil ? character : nil
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// A word that is a plain string literal (`'…'` and what follows its closing quote, e.g. `',`)
    /// as adjacent literals of at most `room` columns each, split after spaces inside it; any other
    /// word as it is.
    private static func literalChunks(_ word: String, room: Int) -> [String] {
        guard word.hasPrefix("'"), let close = word.lastIndex(of: "'"), close > word.startIndex else { return [word] }
        let body = word[word.index(after: word.startIndex)..<close]
        let suffix = word[word.index(after: close)...]
        var chunks: [String] = []
        var chunk = ""
        for part in body.split(separator: " ", omittingEmptySubsequences: false).enumerated().map({ $0.offset == 0 ? String($0.element) : " " + $0.element }) {
            // Each space starts the next part, so a chunk ends before a space: the next begins with it.
            if !chunk.isEmpty, chunk.count + part.count + 2 > room {
                chunks.append("'" + chunk + "'")
                chunk = part
            } else {
                chunk += part
            }
        }
        chunks.append("'" + chunk + "'" + suffix)
        return chunks
    }
}
