/// A parent column set once, by the earliest inserted child row that matches — written by the
/// counter's own UPDATE of the parent, so a child INSERT still costs one parent UPDATE.
///
/// Seed 001's `chat_sessions.first_response_time_ms` is one: the delay from the session's start
/// to its first `assistant` message.
///
/// ```swift
/// CounterCache.SetOnce("first_response_time_ms", earliest: "created_at",
///                      where: .init("role", in: ["assistant"])) { earliest, session in
///     "pg_catalog.round(pg_catalog.date_part('epoch', \(earliest) - \(session).created_at) * 1000)::integer"
/// }
/// ```
///
/// Only inserts set it, and only while the parent's column is NULL; a statement that inserts
/// several matching rows for one parent uses the earliest `earliest` value among them.
public struct CounterCacheSetOnce: Hashable, Sendable {
    /// The parent column, set while it is NULL.
    public var column: String
    /// The child column whose earliest value (among the statement's matching rows) feeds the value.
    public var earliest: String
    /// Only child rows that match count.
    public var filter: CounterCache.Filter?
    /// The value, with placeholders for the earliest child value and the parent row's alias.
    private var template: String
    /// The SQL type of ``earliest`` (set by ``CounterCache``, which has the child table).
    var earliestType = "text"

    private static let earliestToken = "\u{1}earliest\u{1}"
    private static let parentToken = "\u{1}parent\u{1}"

    /// `value(earliest, parent)` is the SQL of the value: `earliest` is the child value, `parent`
    /// the alias of the parent row (`\(parent).created_at`). Functions in it should be
    /// schema-qualified: it runs in a SECURITY DEFINER function with an empty `search_path`.
    public init(
        _ column: String, earliest: String, where filter: CounterCache.Filter? = nil,
        value: (_ earliest: String, _ parent: String) -> String
    ) {
        self.column = column
        self.earliest = earliest
        self.filter = filter
        self.template = value(Self.earliestToken, Self.parentToken)
    }

    /// The value SQL over `earliest` (an expression) and the parent alias `parent`.
    func value(earliest: String, parent: String) -> String {
        template.replacing(Self.earliestToken, with: earliest).replacing(Self.parentToken, with: parent)
    }

    /// What one child row offers: its `earliest` column when it matches, else NULL.
    func childValue(_ alias: String) -> String {
        let value = "\(alias).\(SQLText.identifier(earliest))"
        guard let filter else { return value }
        return "CASE WHEN \(filter.predicate(alias)) THEN \(value) END"
    }

    /// `column = COALESCE(p.column, <value>)`: kept when set, the value only where a child offered one
    /// (GREATEST and LEAST skip NULLs, so the value alone could turn a NULL into a number).
    func assignment(earliest: String, parent: String) -> String {
        assignment(offered: "\(earliest) IS NOT NULL", earliest: earliest, parent: parent)
    }

    /// The assignment for one child row `alias` (`NEW`, or a record of its columns): the value
    /// where the row matches and its `earliest` column is not NULL.
    func assignment(row alias: String, parent: String) -> String {
        let earliest = "\(alias).\(SQLText.identifier(self.earliest))"
        let offered = (filter.map { [$0.predicate(alias)] } ?? []) + ["\(earliest) IS NOT NULL"]
        return assignment(offered: offered.joined(separator: " AND "), earliest: earliest, parent: parent)
    }

    private func assignment(offered: String, earliest: String, parent: String) -> String {
        let column = SQLText.identifier(column)
        return "\(column) = COALESCE(\(parent).\(column),\n    CASE WHEN \(offered) THEN\n"
            + "        \(value(earliest: earliest, parent: parent).indentingContinuation(by: 8))\n    END)"
    }
}

extension CounterCache {
    /// A parent column set once by the earliest matching child (``CounterCacheSetOnce``).
    public typealias SetOnce = CounterCacheSetOnce
}
