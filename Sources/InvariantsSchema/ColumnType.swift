/// A PostgreSQL column type. Each case renders the canonical spelling `pg_dump` uses,
/// so generated SQL reads like the catalog a DBA already knows.
public indirect enum ColumnType: Hashable, Sendable {
    case uuid
    case text
    /// `character varying(n)`, or unbounded when `n` is `nil`.
    case varchar(Int?)
    case smallint
    case integer
    case bigint
    case boolean
    case real
    case doublePrecision
    /// `numeric(precision, scale)`; `numeric` alone when precision is `nil`.
    case numeric(precision: Int?, scale: Int?)
    case date
    case timestamptz
    /// `timestamp without time zone`. Prefer `timestamptz` for instants.
    case timestamp
    case interval
    case jsonb
    case json
    case bytea
    case inet
    /// An array of another type: `.array(.text)` renders `text[]`.
    case array(ColumnType)
    /// A user-defined type (enum, domain, composite), quoted: `"public"."status"`.
    case named(QualifiedName)
    /// Raw SQL type text, emitted verbatim. Only for trusted, hand-written declarations.
    case custom(String)

    /// `numeric` without precision.
    public static let numeric: ColumnType = .numeric(precision: nil, scale: nil)
    /// `text[]`.
    public static let textArray: ColumnType = .array(.text)

    /// The type as PostgreSQL SQL.
    public var sql: String {
        switch self {
        case .uuid: "uuid"
        case .text: "text"
        case .varchar(let n): n.map { "character varying(\($0))" } ?? "character varying"
        case .smallint: "smallint"
        case .integer: "integer"
        case .bigint: "bigint"
        case .boolean: "boolean"
        case .real: "real"
        case .doublePrecision: "double precision"
        case .numeric(let p, let s):
            switch (p, s) {
            case (nil, _): "numeric"
            case (let p?, nil): "numeric(\(p))"
            case (let p?, let s?): "numeric(\(p), \(s))"
            }
        case .date: "date"
        case .timestamptz: "timestamp with time zone"
        case .timestamp: "timestamp without time zone"
        case .interval: "interval"
        case .jsonb: "jsonb"
        case .json: "json"
        case .bytea: "bytea"
        case .inet: "inet"
        case .array(let element): element.sql + "[]"
        case .named(let name): name.sql
        case .custom(let text): text
        }
    }
}
