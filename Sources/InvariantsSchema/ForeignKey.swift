/// `FOREIGN KEY (…) REFERENCES …`, named `<table>_<columns>_fkey` unless a name is given.
///
/// ```swift
/// ForeignKey(["user_id"], references: QualifiedName("auth", "users"), ["id"], onDelete: .cascade)
/// ```
public struct ForeignKey: Hashable, Sendable {
    public var columns: [String]
    public var referencedTable: QualifiedName
    public var referencedColumns: [String]
    public var onDelete: ReferentialAction
    public var onUpdate: ReferentialAction
    /// Overrides the derived name.
    public var name: String?

    /// `FOREIGN KEY (columns) REFERENCES table (referenced)` with its referential actions, named
    /// `<table>_<columns>_fkey` unless `name` is given.
    public init(
        _ columns: [String], references referencedTable: QualifiedName, _ referencedColumns: [String],
        onDelete: ReferentialAction = .noAction, onUpdate: ReferentialAction = .noAction, name: String? = nil
    ) {
        self.columns = columns
        self.referencedTable = referencedTable
        self.referencedColumns = referencedColumns
        self.onDelete = onDelete
        self.onUpdate = onUpdate
        self.name = name
    }

    /// The constraint name on `table`.
    public func resolvedName(table: String) -> String {
        name ?? ObjectName.derived(table: table, columns: columns, suffix: "fkey")
    }

    /// `CONSTRAINT "…" FOREIGN KEY (…) REFERENCES "s"."t" (…) [ON DELETE …] [ON UPDATE …]`.
    /// `NO ACTION`, the default, is not spelled out.
    public func sql(table: String) -> String {
        var text = "CONSTRAINT \(SQLText.identifier(resolvedName(table: table))) FOREIGN KEY \(SQLList.identifiers(columns))"
        text += " REFERENCES \(referencedTable.sql) \(SQLList.identifiers(referencedColumns))"
        if onDelete != .noAction { text += " ON DELETE \(onDelete.sql)" }
        if onUpdate != .noAction { text += " ON UPDATE \(onUpdate.sql)" }
        return text
    }
}
