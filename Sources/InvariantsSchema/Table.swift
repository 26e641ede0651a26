/// A table declaration: columns, constraints in declared order, indexes and comments.
///
/// ```swift
/// let sessions = Table("public", "sessions", comment: "One chat session per row.") {
///     Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
///     Column("user_id", .uuid, nullable: false)
///     Column("session_config", .jsonb, nullable: false, default: "'{}'::jsonb")
///     PrimaryKey("id")
///     ForeignKey(["user_id"], references: QualifiedName("auth", "users"), ["id"], onDelete: .cascade)
///     Index("user_id")
/// }
/// let steps = sessions.createSteps()
/// ```
public struct Table: Hashable, Sendable {
    public var schema: String
    public var name: String
    public var columns: [Column]
    /// Table constraints in declared order (the primary key among them).
    public var constraints: [TableConstraint]
    public var indexes: [Index]
    /// `COMMENT ON TABLE`.
    public var comment: String?

    /// The table `schema`.`name`, its columns, constraints and indexes given in declaration order.
    public init(
        _ schema: String, _ name: String, comment: String? = nil,
        @TableBuilder _ elements: () -> [TableElement] = { [] }
    ) {
        self.schema = schema
        self.name = name
        self.comment = comment
        self.columns = []
        self.constraints = []
        self.indexes = []
        for element in elements() {
            switch element {
            case .column(let column): columns.append(column)
            case .constraint(let constraint): constraints.append(constraint)
            case .index(let index): indexes.append(index)
            }
        }
    }

    /// `schema.name` as a ``QualifiedName``.
    public var qualifiedName: QualifiedName { QualifiedName(schema, name) }

    /// The sequences PostgreSQL creates for the identity columns, by its naming rule
    /// (`<table>_<column>_seq`, fitted to 63 bytes; `invariants lint` reports any sequence whose
    /// grants this misses).
    public var identitySequences: [QualifiedName] {
        columns.filter { $0.identity != nil }.map { QualifiedName(schema, ObjectName.fitted("\(name)_\($0.name)_seq")) }
    }

    /// The primary key, if one is declared.
    public var primaryKey: PrimaryKey? {
        for case .primaryKey(let key) in constraints { return key }
        return nil
    }

    /// The column named `name`, if declared.
    public func column(_ name: String) -> Column? { columns.first { $0.name == name } }
}

/// One element of a ``Table`` declaration body.
public enum TableElement: Hashable, Sendable {
    case column(Column)
    case constraint(TableConstraint)
    case index(Index)
}

/// Collects columns, constraints and indexes of a ``Table`` in declared order.
@resultBuilder
public enum TableBuilder {
    public static func buildExpression(_ column: Column) -> [TableElement] { [.column(column)] }
    public static func buildExpression(_ key: PrimaryKey) -> [TableElement] { [.constraint(.primaryKey(key))] }
    public static func buildExpression(_ key: ForeignKey) -> [TableElement] { [.constraint(.foreignKey(key))] }
    public static func buildExpression(_ unique: Unique) -> [TableElement] { [.constraint(.unique(unique))] }
    public static func buildExpression(_ check: Check) -> [TableElement] { [.constraint(.check(check))] }
    public static func buildExpression(_ index: Index) -> [TableElement] { [.index(index)] }
    public static func buildExpression(_ element: TableElement) -> [TableElement] { [element] }
    public static func buildBlock(_ parts: [TableElement]...) -> [TableElement] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [TableElement]?) -> [TableElement] { part ?? [] }
    public static func buildEither(first part: [TableElement]) -> [TableElement] { part }
    public static func buildEither(second part: [TableElement]) -> [TableElement] { part }
    public static func buildArray(_ parts: [[TableElement]]) -> [TableElement] { parts.flatMap { $0 } }
}
