/// A table-level constraint, rendered inside `CREATE TABLE` or by `ALTER TABLE … ADD`.
public enum TableConstraint: Hashable, Sendable {
    case primaryKey(PrimaryKey)
    case foreignKey(ForeignKey)
    case unique(Unique)
    case check(Check)

    /// The constraint name on `table` (derived unless overridden).
    public func resolvedName(table: String) -> String {
        switch self {
        case .primaryKey(let c): c.resolvedName(table: table)
        case .foreignKey(let c): c.resolvedName(table: table)
        case .unique(let c): c.resolvedName(table: table)
        case .check(let c): c.resolvedName(table: table)
        }
    }

    /// `CONSTRAINT "…" …` as it appears in a column list.
    public func sql(table: String) -> String {
        switch self {
        case .primaryKey(let c): c.sql(table: table)
        case .foreignKey(let c): c.sql(table: table)
        case .unique(let c): c.sql(table: table)
        case .check(let c): c.sql(table: table)
        }
    }

    /// Whether `ADD CONSTRAINT … NOT VALID` is allowed (foreign keys and checks only).
    public var canBeNotValid: Bool {
        switch self {
        case .foreignKey, .check: true
        case .primaryKey, .unique: false
        }
    }

    /// Columns the constraint names on its own table.
    var columns: [String] {
        switch self {
        case .primaryKey(let c): c.columns
        case .foreignKey(let c): c.columns
        case .unique(let c): c.columns
        case .check(let c): c.columns
        }
    }
}
