/// Dollar quoting for function bodies and `DO` blocks.
///
/// The tag is chosen so that it does not occur in the body: `$fn$`, else `$fn1$`, `$fn2$`…
/// The body is always framed by line breaks, so the closing tag cannot merge with the
/// body's last characters into an earlier match.
public enum DollarQuote {
    /// The first of `$base$`, `$base1$`, `$base2$`… that does not occur in `body`.
    /// `base` must be a plain identifier (letters, digits, underscores).
    public static func tag(for body: String, base: String = "fn") -> String {
        var candidate = "$\(base)$"
        var counter = 0
        while containsBytes(body, candidate) {
            counter += 1
            candidate = "$\(base)\(counter)$"
        }
        return candidate
    }

    /// Byte-wise search: `String.contains` compares Characters, and a `$` followed by a
    /// combining mark is one Character in Swift but still a `$` byte to PostgreSQL.
    static func containsBytes(_ text: String, _ needle: String) -> Bool {
        let haystack = Array(text.utf8), pattern = Array(needle.utf8)
        guard !pattern.isEmpty, haystack.count >= pattern.count else { return pattern.isEmpty }
        for start in 0...(haystack.count - pattern.count)
        where haystack[start..<(start + pattern.count)].elementsEqual(pattern) {
            return true
        }
        return false
    }

    /// `$tag$\n<body>\n$tag$` with a tag that does not occur in the body.
    public static func quote(_ body: String, base: String = "fn") -> String {
        let tag = tag(for: body, base: base)
        return tag + "\n" + body + "\n" + tag
    }
}

/// An anonymous PL/pgSQL block: `DO $do$ … $do$`, one statement.
public struct DoBlock: Hashable, Sendable {
    /// The PL/pgSQL source, usually `BEGIN … END` or `DECLARE … BEGIN … END`.
    public var body: String

    /// The block's PL/pgSQL body (`BEGIN … END`), without the dollar quotes.
    public init(_ body: String) { self.body = body }

    /// `DO $do$\n…\n$do$`.
    public var sql: String { "DO " + DollarQuote.quote(body, base: "do") }

    /// The block as a migration step.
    public var step: MigrationStep { MigrationStep(sql) }
}
