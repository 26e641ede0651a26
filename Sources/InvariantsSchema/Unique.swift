/// `UNIQUE [NULLS NOT DISTINCT] (…)`, named `<table>_<columns>_key` unless a name is given.
public struct Unique: Hashable, Sendable {
    public var columns: [String]
    /// PostgreSQL 15: treat NULLs as equal, so at most one row may have a NULL key.
    public var nullsNotDistinct: Bool
    /// Overrides the derived name.
    public var name: String?

    /// A unique key over `columns`; `nullsNotDistinct` makes NULLs equal (PostgreSQL 15+).
    public init(_ columns: String..., nullsNotDistinct: Bool = false, name: String? = nil) {
        self.init(columns: columns, nullsNotDistinct: nullsNotDistinct, name: name)
    }

    /// A unique key over `columns`; `nullsNotDistinct` makes NULLs equal (PostgreSQL 15+).
    public init(columns: [String], nullsNotDistinct: Bool = false, name: String? = nil) {
        self.columns = columns
        self.nullsNotDistinct = nullsNotDistinct
        self.name = name
    }

    /// The constraint name on `table`.
    public func resolvedName(table: String) -> String {
        name ?? ObjectName.derived(table: table, columns: columns, suffix: "key")
    }

    /// `CONSTRAINT "…" UNIQUE [NULLS NOT DISTINCT] (…)`.
    public func sql(table: String) -> String {
        "CONSTRAINT \(SQLText.identifier(resolvedName(table: table))) UNIQUE"
            + (nullsNotDistinct ? " NULLS NOT DISTINCT" : "") + " " + SQLList.identifiers(columns)
    }
}
