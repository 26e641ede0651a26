extension StoredFunction {
    /// One result column of a `RETURNS TABLE (…)` function: a name and a ``ColumnType``.
    ///
    /// Rendered as `name type`, the name quoted only when it has to be (see ``nameSQL``), so the
    /// rendered `TABLE (…)` reads like hand-written SQL and stays byte-identical to what was
    /// written by hand before the columns were declared as values.
    public struct ResultColumn: Hashable, Sendable {
        public var name: String
        public var type: ColumnType

        /// A result column `name` of `type`.
        public init(_ name: String, _ type: ColumnType) {
            self.name = name
            self.type = type
        }

        /// The name as SQL: bare when it is a plain lower-case identifier that is not a reserved
        /// keyword, else quoted. `new` and `old` are quoted too: in a PL/pgSQL body a `RETURNS
        /// TABLE` column is a variable, and those two name the trigger rows.
        public var nameSQL: String {
            let plain = ObjectName.keyPart(name) == name
            return plain && !Self.quotedWords.contains(name) ? name : SQLText.identifier(name)
        }

        /// `name type`.
        public var sql: String { nameSQL + " " + type.sql }

        /// PostgreSQL's reserved key words (reserved, and reserved but usable as a function or
        /// type name; PostgreSQL 15–18), plus PL/pgSQL's `new` and `old`.
        static let quotedWords: Set<String> = [
            "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
            "check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
            "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
            "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
            "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
            "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select",
            "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union",
            "unique", "user", "using", "variadic", "when", "where", "window", "with",
            "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full",
            "ilike", "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps",
            "right", "similar", "tablesample", "verbose",
            "new", "old",
        ]
    }

    /// A set-returning function whose result columns are declared as values: `RETURNS TABLE
    /// (<columns>)` is rendered from `columns`, and ``resultColumns`` keeps them for typed calls.
    public init(
        _ name: QualifiedName, arguments: [Argument] = [], returnsTable columns: [ResultColumn],
        language: String = "plpgsql", volatility: Volatility = .volatile, securityDefiner: Bool = false,
        searchPath: [String]? = [], body: String
    ) {
        self.init(
            name, arguments: arguments, returns: Self.tableSQL(columns), language: language, volatility: volatility,
            securityDefiner: securityDefiner, searchPath: searchPath, body: body)
        self.resultColumns = columns
    }

    /// `TABLE (name type, …)`.
    public static func tableSQL(_ columns: [ResultColumn]) -> String {
        "TABLE (" + columnDefinitionList(columns) + ")"
    }

    /// `name type, …`: the body of `RETURNS TABLE (…)`, and the column definition list a caller
    /// gives `invariants.call_as(…) AS result(…)`.
    public static func columnDefinitionList(_ columns: [ResultColumn]) -> String {
        columns.map(\.sql).joined(separator: ", ")
    }
}
