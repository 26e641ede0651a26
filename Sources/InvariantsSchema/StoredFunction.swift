/// A stored function rendered as `CREATE OR REPLACE FUNCTION`, with the companions the
/// repeatable set needs: `REVOKE EXECUTE … FROM PUBLIC` and `DROP FUNCTION IF EXISTS`.
public struct StoredFunction: Hashable, Sendable {
    /// One argument: `"name" type`.
    public struct Argument: Hashable, Sendable {
        public var name: String
        public var type: ColumnType
        /// An argument `name` of `type`.
        public init(_ name: String, _ type: ColumnType) {
            self.name = name
            self.type = type
        }
    }

    /// `VOLATILE` (the default), `STABLE` (no writes, same result within a statement) or
    /// `IMMUTABLE`.
    public enum Volatility: String, Hashable, Sendable {
        case volatile = "VOLATILE", stable = "STABLE", immutable = "IMMUTABLE"
    }

    public var name: QualifiedName
    public var arguments: [Argument]
    /// The return type as SQL, e.g. `trigger`, `void`, `TABLE (…)` (trusted text). For a function
    /// declared with ``init(_:arguments:returnsTable:language:volatility:securityDefiner:searchPath:body:)``
    /// it is rendered from ``resultColumns``.
    public var returns: String
    /// The result columns, when the function was declared with them (`RETURNS TABLE`): the one
    /// place its result's shape is written; typed calls derive their SQL and decoding from it.
    /// `nil` for a function whose ``returns`` is text.
    public var resultColumns: [ResultColumn]?
    public var language: String
    public var volatility: Volatility
    public var securityDefiner: Bool
    /// `SET search_path = …`; `[]` renders `''` (only `pg_catalog`), `nil` leaves it unset.
    public var searchPath: [String]?
    /// The function body, without dollar quotes.
    public var body: String

    /// A function whose return type is SQL text (`trigger`, `void`, …); `searchPath` `[]` renders
    /// `SET search_path = ''`.
    public init(
        _ name: QualifiedName, arguments: [Argument] = [], returns: String, language: String = "plpgsql",
        volatility: Volatility = .volatile, securityDefiner: Bool = false, searchPath: [String]? = [],
        body: String
    ) {
        self.name = name
        self.arguments = arguments
        self.returns = returns
        self.resultColumns = nil
        self.language = language
        self.volatility = volatility
        self.securityDefiner = securityDefiner
        self.searchPath = searchPath
        self.body = body
    }

    /// `"schema"."name"(type, …)`: identifies the function in DROP, REVOKE, GRANT.
    public var signatureSQL: String {
        name.sql + "(" + arguments.map(\.type.sql).joined(separator: ", ") + ")"
    }

    /// `schema.name(type, …)` for ledger keys (names quoted only when not plain).
    public var keySignature: String {
        ObjectName.keyPart(name.schema) + "." + ObjectName.keyPart(name.name)
            + "(" + arguments.map(\.type.sql).joined(separator: ", ") + ")"
    }

    /// `CREATE OR REPLACE FUNCTION …`, one clause per line, body dollar-quoted safely.
    public var createSQL: String {
        let args = arguments.map { SQLText.identifier($0.name) + " " + $0.type.sql }
        var lines = [SQLLines.list("CREATE OR REPLACE FUNCTION \(name.sql)(", args, ")")]
        if let columns = resultColumns, returns == Self.tableSQL(columns) {
            lines.append(SQLLines.list("RETURNS TABLE (", columns.map(\.sql), ")", indent: "    "))
        } else {
            lines.append("    RETURNS \(returns)")
        }
        lines.append("    LANGUAGE \(language)")
        if volatility != .volatile { lines.append("    \(volatility.rawValue)") }
        if securityDefiner { lines.append("    SECURITY DEFINER") }
        if let searchPath {
            let value = searchPath.isEmpty ? "''" : searchPath.map(SQLText.identifier).joined(separator: ", ")
            lines.append("    SET search_path = \(value)")
        }
        lines.append("AS " + DollarQuote.quote(body))
        return lines.joined(separator: "\n")
    }

    /// `REVOKE EXECUTE ON FUNCTION … FROM PUBLIC`.
    public var revokeFromPublicSQL: String { "REVOKE EXECUTE ON FUNCTION \(signatureSQL) FROM PUBLIC" }

    /// `DROP FUNCTION IF EXISTS …` (no CASCADE: fails while a trigger still uses it).
    public var dropSQL: String { "DROP FUNCTION IF EXISTS \(signatureSQL)" }
}
