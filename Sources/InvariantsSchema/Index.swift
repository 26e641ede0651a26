/// One key of an ``Index``: a column (optionally descending) or an expression.
public enum IndexKey: Hashable, Sendable, ExpressibleByStringLiteral {
    case column(String)
    case descending(String)
    /// A SQL expression, emitted verbatim in parentheses (trusted declaration text).
    case expression(String)

    /// A column key, from a string literal.
    public init(stringLiteral value: String) { self = .column(value) }

    /// `"col"`, `"col" DESC` or `(expression)`.
    public var sql: String {
        switch self {
        case .column(let name): SQLText.identifier(name)
        case .descending(let name): SQLText.identifier(name) + " DESC"
        case .expression(let text): "(" + text + ")"
        }
    }

    /// The part of a derived index name: the column, or `expr` as PostgreSQL does.
    var namePart: String {
        switch self {
        case .column(let name), .descending(let name): name
        case .expression: "expr"
        }
    }

    var columnName: String? {
        switch self {
        case .column(let name), .descending(let name): name
        case .expression: nil
        }
    }
}

/// The access method of an index.
public enum IndexMethod: String, Hashable, Sendable {
    case btree, hash, gist, gin, brin, spgist
}

/// `CREATE [UNIQUE] INDEX …`, named `<table>_<keys>_idx` unless a name is given.
///
/// A `concurrently` index is built with `CREATE INDEX CONCURRENTLY IF NOT EXISTS` in a step
/// outside any transaction; the step names the index so the migrator can drop an INVALID
/// leftover of a failed attempt first (`IF NOT EXISTS` would silently skip it).
public struct Index: Hashable, Sendable {
    public var keys: [IndexKey]
    public var unique: Bool
    public var method: IndexMethod
    /// Columns stored in the index but not part of the key (`INCLUDE`).
    public var include: [String]
    /// A partial index predicate, emitted verbatim (trusted declaration text).
    public var predicate: String?
    public var concurrently: Bool
    /// Overrides the derived name.
    public var name: String?

    /// An index over `keys`; `where` makes it partial, `concurrently` builds it with `CREATE INDEX
    /// CONCURRENTLY` (a migration of its own).
    public init(
        _ keys: IndexKey..., unique: Bool = false, method: IndexMethod = .btree, include: [String] = [],
        where predicate: String? = nil, concurrently: Bool = false, name: String? = nil
    ) {
        self.init(
            keys: keys, unique: unique, method: method, include: include, where: predicate,
            concurrently: concurrently, name: name)
    }

    /// An index over `keys`; `where` makes it partial, `concurrently` builds it with `CREATE INDEX
    /// CONCURRENTLY` (a migration of its own).
    public init(
        keys: [IndexKey], unique: Bool = false, method: IndexMethod = .btree, include: [String] = [],
        where predicate: String? = nil, concurrently: Bool = false, name: String? = nil
    ) {
        self.keys = keys
        self.unique = unique
        self.method = method
        self.include = include
        self.predicate = predicate
        self.concurrently = concurrently
        self.name = name
    }

    /// The index name for an index on `table`.
    public func resolvedName(table: String) -> String {
        name ?? ObjectName.derived(table: table, columns: keys.map(\.namePart), suffix: "idx")
    }

    /// The `CREATE INDEX` statement for an index on `table`, one clause per line.
    public func createSQL(on table: QualifiedName) -> String {
        var head = "CREATE " + (unique ? "UNIQUE " : "") + "INDEX "
        if concurrently { head += "CONCURRENTLY IF NOT EXISTS " }
        var lines = [head + SQLText.identifier(resolvedName(table: table.name))]
        lines.append("    ON \(table.sql) USING \(method.rawValue) (" + keys.map(\.sql).joined(separator: ", ") + ")")
        if !include.isEmpty { lines.append("    INCLUDE " + SQLList.identifiers(include)) }
        if let predicate { lines.append("    WHERE " + predicate) }
        return lines.joined(separator: "\n")
    }

    /// The migration step creating this index on `table`.
    public func createStep(on table: QualifiedName) -> MigrationStep {
        let sql = createSQL(on: table)
        guard concurrently else { return MigrationStep(sql) }
        return .outsideTransaction(
            sql, rebuildsInvalidIndex: QualifiedName(table.schema, resolvedName(table: table.name)))
    }
}
