/// Quoting helpers: every identifier and literal the renderer emits goes through here,
/// so a hostile name can never end a string, an identifier or a comment early.
public enum SQLText {
    /// `"name"` with embedded double quotes doubled. Always quoted, so reserved words and
    /// mixed case survive, and the output never depends on Postgres's keyword list.
    public static func identifier(_ name: String) -> String {
        "\"" + doubling("\"", in: name) + "\""
    }

    /// `'text'` with embedded single quotes doubled. Standard-conforming strings are on
    /// by default since PostgreSQL 9.1, so backslashes need no escaping.
    public static func literal(_ text: String) -> String {
        "'" + doubling("'", in: text) + "'"
    }

    /// `text` with every `quote` scalar written twice (no Foundation needed). Works on
    /// Unicode scalars, not Characters: a quote followed by a combining mark is one
    /// Character in Swift but still a quote byte to PostgreSQL.
    static func doubling(_ quote: Unicode.Scalar, in text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(scalar)
            if scalar == quote { out.append(quote) }
        }
        return String(out)
    }

    /// Text safe to put after `-- `: line breaks and other control characters are
    /// escaped, so a name containing a newline cannot start a statement inside a comment.
    public static func commentSafe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// A schema-qualified name such as `"public"."sessions"`.
public struct QualifiedName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var schema: String
    public var name: String

    /// `schema`.`name`, quoted when rendered.
    public init(_ schema: String, _ name: String) {
        self.schema = schema
        self.name = name
    }

    /// The quoted form for SQL: `"schema"."name"`.
    public var sql: String { SQLText.identifier(schema) + "." + SQLText.identifier(name) }

    /// `schema.name`, unquoted, for messages and comments (pass through `SQLText.commentSafe`).
    public var description: String { "\(schema).\(name)" }

    public static func < (lhs: QualifiedName, rhs: QualifiedName) -> Bool {
        (lhs.schema, lhs.name) < (rhs.schema, rhs.name)
    }
}
