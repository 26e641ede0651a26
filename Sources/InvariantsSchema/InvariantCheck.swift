/// One invariant as a query: it returns the rows that break the invariant, so an empty result
/// means it holds. Every catalog module lists its checks; `invariants check` and the torture
/// tests run them all.
///
/// ```swift
/// InvariantCheck("responses: no orphans", """
///     SELECT r.id FROM public.responses AS r
///     WHERE NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = r.entity_id)
///     """)
/// ```
public struct InvariantCheck: Hashable, Sendable {
    /// A short, human name: what must hold.
    public var name: String
    /// A read-only query returning violating rows (any columns).
    public var sql: String

    /// The invariant `name`, checked by `sql`: a read-only query returning the violating rows.
    public init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }
}

extension CounterCache {
    /// The counter's drift view is empty (pending deltas counted).
    public var check: InvariantCheck {
        InvariantCheck("counter \(name): stored equals actual", "SELECT * FROM \(driftViewName.sql)")
    }
}
