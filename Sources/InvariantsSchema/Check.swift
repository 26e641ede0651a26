/// `CHECK (expression)`, named `<table>_<columns>_check` unless a name is given.
///
/// `columns` only feeds the derived name (PostgreSQL names a check after the columns it
/// uses); the expression is trusted declaration text, emitted verbatim.
public struct Check: Hashable, Sendable {
    public var expression: String
    public var columns: [String]
    /// Overrides the derived name.
    public var name: String?

    /// `CHECK (expression)`; `columns` name the columns it reads (for its name
    /// `<table>_<column>_check` and for reviews).
    public init(_ expression: String, columns: [String] = [], name: String? = nil) {
        self.expression = expression
        self.columns = columns
        self.name = name
    }

    /// The constraint name on `table`.
    public func resolvedName(table: String) -> String {
        name ?? ObjectName.derived(table: table, columns: columns, suffix: "check")
    }

    /// `CONSTRAINT "…" CHECK (…)`.
    public func sql(table: String) -> String {
        "CONSTRAINT \(SQLText.identifier(resolvedName(table: table))) CHECK (\(expression))"
    }
}
