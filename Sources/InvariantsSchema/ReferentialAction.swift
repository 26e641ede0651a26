/// What a foreign key does when the referenced row is deleted or its key updated.
public struct ReferentialAction: Hashable, Sendable {
    enum Kind: Hashable, Sendable { case noAction, restrict, cascade, setNull, setDefault }
    let kind: Kind
    /// For `SET NULL (…)` / `SET DEFAULT (…)` (PostgreSQL 15, `ON DELETE` only): the
    /// subset of the key's columns to change; empty means all of them.
    public let columns: [String]

    /// `NO ACTION` (the default; checked at the end of the statement).
    public static let noAction = ReferentialAction(kind: .noAction, columns: [])
    /// `RESTRICT` (checked immediately).
    public static let restrict = ReferentialAction(kind: .restrict, columns: [])
    /// `CASCADE`.
    public static let cascade = ReferentialAction(kind: .cascade, columns: [])
    /// `SET NULL` on all key columns.
    public static let setNull = ReferentialAction(kind: .setNull, columns: [])
    /// `SET DEFAULT` on all key columns.
    public static let setDefault = ReferentialAction(kind: .setDefault, columns: [])

    /// `SET NULL ("a", …)`: only these key columns (PostgreSQL 15+, `ON DELETE` only).
    public static func setNull(columns: [String]) -> ReferentialAction {
        ReferentialAction(kind: .setNull, columns: columns)
    }

    /// `SET DEFAULT ("a", …)`: only these key columns (PostgreSQL 15+, `ON DELETE` only).
    public static func setDefault(columns: [String]) -> ReferentialAction {
        ReferentialAction(kind: .setDefault, columns: columns)
    }

    /// The action's letter in `pg_constraint.confdeltype` / `confupdtype`.
    var catalogCode: String {
        switch kind {
        case .noAction: "a"
        case .restrict: "r"
        case .cascade: "c"
        case .setNull: "n"
        case .setDefault: "d"
        }
    }

    /// The action as SQL, e.g. `SET NULL ("owner_id")`.
    public var sql: String {
        let base = switch kind {
        case .noAction: "NO ACTION"
        case .restrict: "RESTRICT"
        case .cascade: "CASCADE"
        case .setNull: "SET NULL"
        case .setDefault: "SET DEFAULT"
        }
        return columns.isEmpty ? base : base + " " + SQLList.identifiers(columns)
    }
}
