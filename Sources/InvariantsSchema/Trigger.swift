/// A trigger as a value: what fires it, on which table, and which function it executes.
///
/// Every trigger of the project is declared this way (in the spirit of django-pgtrigger), so
/// that no module writes `CREATE TRIGGER` or `DROP TRIGGER` text by hand. The value renders
/// its `CREATE OR REPLACE TRIGGER` statement (``createSQL``), its drop (``dropSQL``), its
/// ledger key (``key``) and the stored-logic object the migrator applies
/// (``repeatableObject(source:)``).
///
/// ```swift
/// let notify = Trigger(
///     "generation_jobs_notify", on: QualifiedName("public", "generation_jobs"),
///     .after, [.insert, .update(of: ["status"])],
///     executing: QualifiedName("invariants", "generation_jobs_notify"))
/// ```
///
/// renders
///
/// ```sql
/// CREATE OR REPLACE TRIGGER "generation_jobs_notify"
///     AFTER INSERT OR UPDATE OF "status" ON "public"."generation_jobs"
///     FOR EACH ROW
///     EXECUTE FUNCTION "invariants"."generation_jobs_notify"()
/// ```
///
/// ``validationErrors()`` lists what PostgreSQL would refuse (transition tables on a trigger
/// with several events or a column list, a statement-level WHEN that reads `NEW`, a
/// row-level TRUNCATE trigger, …) as readable sentences; ``repeatableObject(source:)``
/// stops on them, so a bad declaration fails when the SQL is generated, not when it is
/// applied.
public struct Trigger: Hashable, Sendable {
    /// When the trigger fires relative to the event.
    public enum Timing: String, Hashable, Sendable, CaseIterable {
        /// Before the row is written; a row-level BEFORE trigger may change or skip it.
        case before = "BEFORE"
        /// After the row (or statement) is done; the only timing with transition tables.
        case after = "AFTER"
        /// Instead of the operation, on a view (row-level only).
        case insteadOf = "INSTEAD OF"
    }

    /// One event that fires the trigger.
    public enum Event: Hashable, Sendable {
        /// `INSERT`.
        case insert
        /// `UPDATE` (no columns) or `UPDATE OF c1, c2, …`: fires only when the statement's
        /// SET list names one of the columns. Use ``update`` for every UPDATE.
        case update(of: [String])
        /// `DELETE`.
        case delete
        /// `TRUNCATE` (statement-level triggers only).
        case truncate

        /// Every `UPDATE`, whatever it sets.
        public static let update = Event.update(of: [])

        /// The event as SQL: `INSERT`, `UPDATE OF "a", "b"`, …
        public var sql: String {
            switch self {
            case .insert: "INSERT"
            case .update(of: let columns):
                columns.isEmpty ? "UPDATE" : "UPDATE OF " + columns.map(SQLText.identifier).joined(separator: ", ")
            case .delete: "DELETE"
            case .truncate: "TRUNCATE"
            }
        }

        /// The event without its column list, for messages and checks.
        var keyword: String {
            switch self {
            case .insert: "INSERT"
            case .update(of: _): "UPDATE"
            case .delete: "DELETE"
            case .truncate: "TRUNCATE"
            }
        }

        /// The column list of `UPDATE OF`; empty for every other event.
        var columns: [String] {
            if case .update(of: let columns) = self { columns } else { [] }
        }
    }

    /// Whether the function runs once per affected row or once per statement.
    public enum Level: String, Hashable, Sendable, CaseIterable {
        /// `FOR EACH ROW`.
        case row = "ROW"
        /// `FOR EACH STATEMENT` (also for a statement that touches no row).
        case statement = "STATEMENT"
    }

    /// The names under which an AFTER trigger's function sees the statement's old and new
    /// rows as tables (`REFERENCING OLD TABLE AS … NEW TABLE AS …`).
    public struct TransitionTables: Hashable, Sendable {
        /// The old rows (UPDATE, DELETE), or `nil`.
        public var old: String?
        /// The new rows (INSERT, UPDATE), or `nil`.
        public var new: String?

        /// Names the old rows, the new rows, or both.
        public init(old: String? = nil, new: String? = nil) {
            self.old = old
            self.new = new
        }

        /// `REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows` (names quoted when not plain).
        public var sql: String {
            var parts = ["REFERENCING"]
            if let old { parts.append("OLD TABLE AS \(ObjectName.keyPart(old))") }
            if let new { parts.append("NEW TABLE AS \(ObjectName.keyPart(new))") }
            return parts.joined(separator: " ")
        }
    }

    /// The trigger's name, unique per table. BEFORE and AFTER triggers of one event fire in
    /// name order.
    public var name: String
    /// The table (or view, for ``Timing/insteadOf``) the trigger is on.
    public var table: QualifiedName
    /// BEFORE, AFTER or INSTEAD OF.
    public var timing: Timing
    /// The events, rendered in this order and joined by `OR`.
    public var events: [Event]
    /// Once per row (`FOR EACH ROW`) or once per statement.
    public var level: Level
    /// The `WHEN (…)` condition as trusted SQL text, or `nil`. Lines after the first are
    /// rendered as given, so indent them to sit under the clause.
    public var condition: String?
    /// The transition tables, or `nil`.
    public var transitionTables: TransitionTables?
    /// The trigger function (it takes no declared arguments and returns `trigger`).
    public var function: QualifiedName
    /// String arguments passed to the function (`TG_ARGV`), rendered as literals.
    public var arguments: [String]

    /// Declares a trigger; see the type's documentation for an example.
    public init(
        _ name: String, on table: QualifiedName, _ timing: Timing, _ events: [Event], level: Level = .row,
        when condition: String? = nil, referencing transitionTables: TransitionTables? = nil,
        executing function: QualifiedName, arguments: [String] = []
    ) {
        self.name = name
        self.table = table
        self.timing = timing
        self.events = events
        self.level = level
        self.condition = condition
        self.transitionTables = transitionTables
        self.function = function
        self.arguments = arguments
    }

    /// Declares a trigger that executes a declared trigger function.
    public init(
        _ name: String, on table: QualifiedName, _ timing: Timing, _ events: [Event], level: Level = .row,
        when condition: String? = nil, referencing transitionTables: TransitionTables? = nil,
        executing function: StoredFunction, arguments: [String] = []
    ) {
        self.init(name, on: table, timing, events, level: level, when: condition, referencing: transitionTables,
                  executing: function.name, arguments: arguments)
    }

    // MARK: Rendering

    /// `schema.table.name` (parts quoted only when not plain), as in the ledger key.
    var qualifiedKey: String {
        ObjectName.keyPart(table.schema) + "." + ObjectName.keyPart(table.name) + "." + ObjectName.keyPart(name)
    }

    /// The ledger key, e.g. `trigger public.sessions.zz_invariants_updated_at`.
    public var key: String { "trigger " + qualifiedKey }

    /// `CREATE OR REPLACE TRIGGER …`, one clause per line:
    ///
    /// ```sql
    /// CREATE OR REPLACE TRIGGER "name"
    ///     AFTER UPDATE ON "schema"."table"
    ///     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    ///     FOR EACH STATEMENT
    ///     WHEN (…)
    ///     EXECUTE FUNCTION "schema"."function"()
    /// ```
    public var createSQL: String {
        var lines = ["CREATE OR REPLACE TRIGGER \(SQLText.identifier(name))"]
        let events = "    \(timing.rawValue) \(self.events.map(\.sql).joined(separator: " OR "))"
        if SQLLines.fits(events + " ON \(table.sql)") {
            lines.append(events + " ON \(table.sql)")
        } else {
            // A long `UPDATE OF` list: the table on a line of its own, as a DBA breaks it.
            lines.append(SQLLines.filled(events, continuation: "        ") + "\n        ON \(table.sql)")
        }
        if let transitionTables { lines.append("    " + transitionTables.sql) }
        lines.append("    FOR EACH \(level.rawValue)")
        if let condition { lines.append(SQLLines.filled("    WHEN (\(condition))", continuation: "        ")) }
        lines.append("    EXECUTE FUNCTION \(function.sql)(\(arguments.map(SQLText.literal).joined(separator: ", ")))")
        return lines.joined(separator: "\n")
    }

    /// `DROP TRIGGER IF EXISTS "name" ON "schema"."table"`.
    public var dropSQL: String { "DROP TRIGGER IF EXISTS \(SQLText.identifier(name)) ON \(table.sql)" }

    /// The trigger as stored logic (kind ``RepeatableObject/Kind/trigger``): created or
    /// replaced by ``createSQL``, removed by ``dropSQL``. `source` names the declaration in
    /// the generated file. Stops with the ``validationErrors()`` of an invalid declaration.
    public func repeatableObject(source: String) -> RepeatableObject {
        let errors = validationErrors()
        precondition(errors.isEmpty, errors.joined(separator: "; "))
        return RepeatableObject(kind: .trigger, key: key, source: source, statements: [createSQL], dropStatements: [dropSQL])
    }

    // MARK: Validation

    /// What PostgreSQL would refuse in this declaration, one sentence each; empty when it is
    /// consistent.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        let label = "trigger " + SQLText.commentSafe(qualifiedKey)
        func error(_ text: String) { errors.append("\(label): \(text)") }

        if name.isEmpty { error("the name is empty") }
        if name.utf8.count > ObjectName.maxBytes { error("the name is longer than 63 bytes") }
        if function.name.isEmpty { error("the function name is empty") }

        // Events.
        if events.isEmpty { error("it names no event") }
        let keywords = events.map(\.keyword)
        for keyword in Set(keywords).sorted() where keywords.filter({ $0 == keyword }).count > 1 {
            error("\(keyword) is listed more than once")
        }
        let columns = events.flatMap(\.columns)
        if columns.contains(where: \.isEmpty) { error("UPDATE OF names an empty column") }
        if Set(columns).count != columns.count { error("UPDATE OF names a column twice") }
        if keywords.contains("TRUNCATE") && level == .row {
            error("TRUNCATE triggers must be FOR EACH STATEMENT")
        }

        // INSTEAD OF triggers (views).
        if timing == .insteadOf {
            if level != .row { error("INSTEAD OF triggers must be FOR EACH ROW") }
            if condition != nil { error("INSTEAD OF triggers cannot have a WHEN condition") }
            if !columns.isEmpty { error("INSTEAD OF triggers cannot have a column list") }
            if keywords.contains("TRUNCATE") { error("INSTEAD OF triggers cannot fire on TRUNCATE") }
        }

        // Transition tables.
        if let tables = transitionTables {
            if tables.old == nil && tables.new == nil { error("REFERENCING names no transition table") }
            if timing != .after { error("transition tables need an AFTER trigger") }
            if events.count > 1 {
                error("transition tables cannot be specified for a trigger with more than one event; declare one trigger per event")
            }
            if !columns.isEmpty { error("transition tables cannot be specified for a trigger with a column list") }
            if tables.old != nil && !keywords.contains(where: { $0 == "UPDATE" || $0 == "DELETE" }) {
                error("OLD TABLE needs an UPDATE or DELETE event")
            }
            if tables.new != nil && !keywords.contains(where: { $0 == "INSERT" || $0 == "UPDATE" }) {
                error("NEW TABLE needs an INSERT or UPDATE event")
            }
            if let old = tables.old, let new = tables.new, old == new {
                error("OLD TABLE and NEW TABLE have the same name")
            }
            if tables.old?.isEmpty == true || tables.new?.isEmpty == true { error("a transition table name is empty") }
        }

        // WHEN.
        if let condition {
            let references = Self.rowReferences(in: condition)
            if condition.allSatisfy(\.isWhitespace) { error("the WHEN condition is empty") }
            if level == .statement && !references.isEmpty {
                error("a statement-level trigger's WHEN condition cannot reference NEW or OLD")
            }
            if level == .row && keywords.contains("INSERT") && references.contains("OLD") {
                error("an INSERT trigger's WHEN condition cannot reference OLD")
            }
            if level == .row && keywords.contains("DELETE") && references.contains("NEW") {
                error("a DELETE trigger's WHEN condition cannot reference NEW")
            }
        }
        return errors
    }

    /// `OLD` and `NEW` where `condition` names them as unquoted words outside string
    /// literals and quoted identifiers (so `"new"`, `'OLD'` and `renewed` do not count).
    static func rowReferences(in condition: String) -> Set<String> {
        var found = Set<String>()
        var word = ""
        var quote: Character?
        func endWord() {
            let upper = word.uppercased()
            if upper == "OLD" || upper == "NEW" { found.insert(upper) }
            word = ""
        }
        for character in condition {
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            if character == "'" || character == "\"" {
                endWord()
                quote = character
            } else if character.isLetter || character.isNumber || character == "_" || character == "$" {
                word.append(character)
            } else {
                endWord()
            }
        }
        endWord()
        return found
    }
}
