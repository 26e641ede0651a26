extension UpdatedAt {
    /// The trigger function every table without generated columns shares for `column`
    /// (`invariants.touch_<column>()`), as its own object: declared once by the module every
    /// user of ``UpdatedAt`` depends on (the bundled catalog's `core`), so that no two app
    /// modules own it.
    public static func sharedFunction(column: String) -> RepeatableObject {
        UpdatedAt(table: QualifiedName("public", "any_table"), column: column).repeatableObjects()[0]
    }
}
