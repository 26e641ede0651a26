/// `PRIMARY KEY (…)`, named `<table>_pkey` unless a name is given.
public struct PrimaryKey: Hashable, Sendable {
    public var columns: [String]
    /// Overrides the derived name.
    public var name: String?

    /// The primary key over `columns`.
    public init(_ columns: String..., name: String? = nil) {
        self.init(columns: columns, name: name)
    }

    /// The primary key over `columns`.
    public init(columns: [String], name: String? = nil) {
        self.columns = columns
        self.name = name
    }

    /// The constraint name on `table`.
    public func resolvedName(table: String) -> String {
        name ?? ObjectName.derived(table: table, columns: [], suffix: "pkey")
    }

    /// `CONSTRAINT "…" PRIMARY KEY ("…")`.
    public func sql(table: String) -> String {
        "CONSTRAINT \(SQLText.identifier(resolvedName(table: table))) PRIMARY KEY \(SQLList.identifiers(columns))"
    }
}

/// Small shared rendering helpers.
enum SQLList {
    /// `("a", "b")`.
    static func identifiers(_ names: [String]) -> String {
        "(" + names.map(SQLText.identifier).joined(separator: ", ") + ")"
    }
}
