/// Invariant: a column's value moves only along declared transitions.
///
/// A row is inserted in one of the ``initial`` states, then changes state only along a declared
/// ``Transition``; a ``terminal`` state has no way out. Anything else is refused with
/// SQLSTATE `IV001` (`ProjectErrorCode.illegalTransition`) and a message naming both
/// states, e.g. `illegal transition of generation_jobs.status: completed -> processing`
/// (the client sees it as `InvariantsError.Kind.illegalTransition`,
/// with `column` set to the state column).
///
/// ```swift
/// let jobStatus = StateMachine(
///     table: QualifiedName("public", "generation_jobs"), column: "status",
///     initial: ["pending"],
///     transitions: [
///         .init(from: ["pending"], to: "processing"),
///         .init(from: ["pending", "processing"], to: "completed"),
///         .init(from: ["pending", "processing"], to: "failed"),
///     ],
///     terminal: ["completed", "failed"],
///     entering: [
///         .init("processing", set: [.now("started_at")]),
///         .init("completed", when: .init("NEW.image_url IS NOT NULL", "a completed job needs image_url",
///                                        code: .invalidInput, column: "image_url"),
///               set: [.now("completed_at")]),
///     ])
/// ```
///
/// Side effects and guards:
/// - ``Transition/set`` and ``Entering/set`` assign columns of `NEW` (`resolved_at = now()`),
///   as SQL expressions over `NEW` and, for a transition, `OLD`.
/// - ``Transition/when`` and ``Entering/when`` are ``Guard``s: a boolean SQL expression that must
///   be true, else the change is refused (by default with IV001 and the guard's message appended:
///   `illegal transition of tool_executions.status: pending -> executing: approval required`).
///   A NULL result refuses too.
/// - ``Entering`` applies on every way into a state: an INSERT in it and every transition to it.
///   Transition guards run before entering guards; assignments run transition first, then entering.
/// - An UPDATE that leaves the state unchanged is not a transition: no guard, no assignment
///   (a terminal row's other columns can still be changed; restrict those with grants) — unless
///   the machine declares ``finalColumns``: then a terminal row is final. Its final columns
///   never change again (IV001 naming the column), and an UPDATE naming the state column of a
///   terminal row — a second completion — is refused with IV001 even when the value is the same.
///
/// Renders one trigger function `invariants.state_<schema>_<table>_<column>` and one
/// `BEFORE INSERT OR UPDATE OF <column>` row trigger named `invariants_state_<column>`.
/// BEFORE triggers fire in name order: it runs before `save_…` or `zz_…` triggers (so they see a
/// checked state and the assignments, and `UpdatedAt`'s `zz_invariants_updated_at` runs last).
/// The function has invoker rights (it only reads and edits `NEW`); guards that read other
/// tables therefore see what the writer sees under RLS: keep guards on the row's own columns.
///
/// Declare the column `NOT NULL` and add ``check`` to the table: the check holds the state set
/// even for rows written with triggers disabled.
public struct StateMachine: Hashable, Sendable {
    /// `column = expression` on `NEW`, e.g. `.now("resolved_at")`.
    public struct Assignment: Hashable, Sendable {
        public var column: String
        /// A SQL expression (trusted text), evaluated in the trigger; may use `NEW` and `OLD`
        /// (on INSERT only `NEW`). Schema-qualify function calls: `pg_catalog.now()`.
        public var expression: String

        /// Sets `column` of `NEW` to `expression` (trusted SQL).
        public init(_ column: String, _ expression: String) {
            self.column = column
            self.expression = expression
        }

        /// `column = pg_catalog.now()`: the transaction's timestamp.
        public static func now(_ column: String) -> Assignment { Assignment(column, "pg_catalog.now()") }
        /// `column = NULL`.
        public static func null(_ column: String) -> Assignment { Assignment(column, "NULL") }
    }

    /// A condition a change must meet.
    public struct Guard: Hashable, Sendable {
        /// A boolean SQL expression (trusted text) over `NEW` (and `OLD` in a transition).
        public var condition: String
        /// Said to the caller when the condition is not true.
        public var message: String
        /// The SQLSTATE raised: IV001 by default; `.invalidInput` (IV422) for missing data.
        public var code: ProjectErrorCode
        /// The `COLUMN` field of the error; `nil`: the state column.
        public var column: String?

        /// A guard: `condition` must be true, else the change is refused with `message` (by default
        /// IV001; `code` and `column` choose another code and name the input).
        public init(_ condition: String, _ message: String, code: ProjectErrorCode = .illegalTransition, column: String? = nil) {
            self.condition = condition
            self.message = message
            self.code = code
            self.column = column
        }
    }

    /// A permitted change of state: from any of `from` to `to`.
    public struct Transition: Hashable, Sendable {
        public var from: [String]
        public var to: String
        public var when: Guard?
        public var set: [Assignment]

        /// A move from any of `from` to `to`, allowed when `when` holds; `set` assigns columns on
        /// the way.
        public init(from: [String], to: String, when: Guard? = nil, set: [Assignment] = []) {
            self.from = from
            self.to = to
            self.when = when
            self.set = set
        }
    }

    /// What happens on every way into `state` (INSERT in it or a transition to it).
    public struct Entering: Hashable, Sendable {
        public var state: String
        public var when: Guard?
        public var set: [Assignment]

        /// Applies on every way into `state` (an INSERT in it and every transition to it): `when`
        /// must hold, `set` assigns columns.
        public init(_ state: String, when: Guard? = nil, set: [Assignment] = []) {
            self.state = state
            self.when = when
            self.set = set
        }
    }

    public var table: QualifiedName
    public var column: String
    /// States a row may be inserted in.
    public var initial: [String]
    public var transitions: [Transition]
    /// States without a way out (validated: no transition may start in one).
    public var terminal: [String]
    public var entering: [Entering]
    /// Columns that hold a terminal row's result (`image_url`, `tokens_cost`…): once the row is
    /// in a terminal state they never change, and its state is not named again. Empty: terminal
    /// rows' other columns stay writable (restrict them with grants). Leave out columns that
    /// foreign-key actions write (`ON DELETE SET NULL`).
    public var finalColumns: [String]

    /// A state machine on `table.column`: rows start in one of `initial`, move only along
    /// `transitions`, never leave `terminal`.
    public init(
        table: QualifiedName, column: String = "status", initial: [String], transitions: [Transition],
        terminal: [String] = [], entering: [Entering] = [], finalColumns: [String] = []
    ) {
        self.table = table
        self.column = column
        self.initial = initial
        self.transitions = transitions
        self.terminal = terminal
        self.entering = entering
        self.finalColumns = finalColumns
    }

    /// For a declared table.
    public init(
        _ table: Table, column: String = "status", initial: [String], transitions: [Transition],
        terminal: [String] = [], entering: [Entering] = [], finalColumns: [String] = []
    ) {
        self.init(table: table.qualifiedName, column: column, initial: initial, transitions: transitions,
                  terminal: terminal, entering: entering, finalColumns: finalColumns)
    }

    /// Every state, in first-mention order: initial, then transitions, then terminal.
    public var states: [String] {
        var seen: [String] = []
        for state in initial + transitions.flatMap({ $0.from + [$0.to] }) + terminal where !seen.contains(state) {
            seen.append(state)
        }
        return seen
    }

    /// Whether `from → to` is declared (a same-state update is not a transition and always passes).
    public func allows(from: String, to: String) -> Bool {
        from == to || transitions.contains { $0.to == to && $0.from.contains(from) }
    }

    /// Problems with the declaration; empty when it is sound.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        if initial.isEmpty { errors.append("state machine \(table).\(column): no initial state") }
        for state in terminal {
            if transitions.contains(where: { $0.from.contains(state) }) {
                errors.append("state machine \(table).\(column): terminal state \(state) has a transition out")
            }
        }
        for transition in transitions where transition.from.contains(transition.to) {
            errors.append("state machine \(table).\(column): \(transition.to) -> \(transition.to) is not a transition")
        }
        for entry in entering where !states.contains(entry.state) {
            errors.append("state machine \(table).\(column): entering unknown state \(entry.state)")
        }
        let reachable = Set(initial + transitions.map(\.to))
        for state in states where !reachable.contains(state) {
            errors.append("state machine \(table).\(column): state \(state) is unreachable")
        }
        for state in states where state.isEmpty { errors.append("state machine \(table).\(column): empty state name") }
        if !finalColumns.isEmpty && terminal.isEmpty {
            errors.append("state machine \(table).\(column): final columns without a terminal state")
        }
        if finalColumns.contains(column) {
            errors.append("state machine \(table).\(column): the state column itself is not a final column")
        }
        return errors
    }

    /// `CHECK (<column> IN (…))`, for the table declaration.
    public var check: Check {
        Check("\(SQLText.identifier(column)) IN (\(states.map(SQLText.literal).joined(separator: ", ")))", columns: [column])
    }

    /// `invariants.state_<schema>_<table>_<column>`.
    public var functionName: QualifiedName {
        Schema.invariants(ObjectName.fitted("state_\(table.schema)_\(table.name)_\(column)"))
    }

    /// `invariants_state_<column>`.
    public var triggerName: String { ObjectName.fitted("invariants_state_" + column) }

    private var label: String { SQLText.commentSafe("\(table.name).\(column)") }

    private func list(_ states: [String]) -> String { states.map(SQLText.literal).joined(separator: ", ") }

    private func raise(_ guardClause: Guard, transition: Bool, indent: String) -> String {
        let column = SQLText.literal(guardClause.column ?? self.column)
        let text: String
        let arguments: String
        if transition {
            text = "illegal transition of " + label.replacingPercent() + ": % -> %: " + guardClause.message.replacingPercent()
            arguments = "OLD.\(SQLText.identifier(self.column)), NEW.\(SQLText.identifier(self.column))"
        } else {
            text = "cannot enter " + label.replacingPercent() + " %: " + guardClause.message.replacingPercent()
            arguments = "NEW.\(SQLText.identifier(self.column))"
        }
        return """
            \(indent)IF (\(guardClause.condition)) IS NOT TRUE THEN
            \(Self.raise(text, arguments, indent: indent + "    "))
            \(indent)        USING ERRCODE = \(guardClause.code.sqlLiteral), COLUMN = \(column);
            \(indent)END IF;
            """
    }

    /// `RAISE EXCEPTION 'format', arguments` at `indent`; the arguments on a line of their own when
    /// one line would be too long, and a long format continued as adjacent literals.
    private static func raise(_ format: String, _ arguments: String, indent: String) -> String {
        let line = "\(indent)RAISE EXCEPTION \(SQLText.literal(format)), \(arguments)"
        if SQLLines.fits(line) { return line }
        let head = SQLLines.filled("\(indent)RAISE EXCEPTION \(SQLText.literal(format)),", continuation: indent + "        ")
        return head + "\n\(indent)        \(arguments)"
    }

    private func assignments(_ list: [Assignment], indent: String) -> String {
        list.map { SQLLines.filled("\(indent)NEW.\(SQLText.identifier($0.column)) := \($0.expression);", continuation: indent + "    ") }
            .joined(separator: "\n")
    }

    /// The trigger function.
    public var function: StoredFunction {
        let col = "NEW." + SQLText.identifier(column)
        let old = "OLD." + SQLText.identifier(column)
        let code = ProjectErrorCode.illegalTransition.sqlLiteral
        let columnLiteral = SQLText.literal(column)
        let initialStates = SQLText.commentSafe(initial.joined(separator: ", "))
        let terminalStates = SQLText.commentSafe(terminal.isEmpty ? "none" : terminal.joined(separator: ", "))
        var summary = "    -- Invariant state machine on \(label): initial \(initialStates); terminal \(terminalStates)."
        if !SQLLines.fits(summary) {
            summary = "    -- Invariant state machine on \(label):\n    -- initial \(initialStates); terminal \(terminalStates)."
        }
        var body = """
            BEGIN
            \(summary)
                IF TG_OP = 'INSERT' THEN
                    IF \(col) IS NULL OR \(col)::text NOT IN (\(list(initial))) THEN
            \(Self.raise("illegal initial state of " + label.replacingPercent() + ": %", "COALESCE(\(col)::text, 'NULL')", indent: "            "))
                            USING ERRCODE = \(code), COLUMN = \(columnLiteral),
                                  HINT = \(SQLText.literal("a row starts in " + initial.joined(separator: ", ")));
                    END IF;
                ELSIF \(col) IS DISTINCT FROM \(old) THEN

            """
        var first = true
        for transition in transitions {
            let keyword = first ? "IF" : "ELSIF"
            first = false
            body += "        \(keyword) \(old)::text IN (\(list(transition.from))) AND \(col)::text = \(SQLText.literal(transition.to)) THEN\n"
            var inner: [String] = []
            if let guardClause = transition.when { inner.append(raise(guardClause, transition: true, indent: "            ")) }
            if !transition.set.isEmpty { inner.append(assignments(transition.set, indent: "            ")) }
            body += (inner.isEmpty ? "            NULL;" : inner.joined(separator: "\n")) + "\n"
        }
        // DETAIL names a terminal state the row cannot leave; empty for any other refusal.
        let terminalDetail = terminal.isEmpty
            ? ["''"]
            : ["CASE WHEN \(old)::text IN (\(list(terminal)))", "     THEN \(old)::text || ' is a terminal state' ELSE '' END"]
        func refuse(indent: String) -> String {
            let format = "illegal transition of " + label.replacingPercent() + ": % -> %"
            let detail = "\(indent)          DETAIL = " + terminalDetail.joined(separator: "\n\(indent)                   ")
            return Self.raise(format, "COALESCE(\(old)::text, 'NULL'), COALESCE(\(col)::text, 'NULL')", indent: indent) + "\n"
                + "\(indent)    USING ERRCODE = \(code), COLUMN = \(columnLiteral),\n" + detail + ";\n"
        }
        if transitions.isEmpty {
            body += refuse(indent: "        ")
        } else {
            body += "        ELSE\n" + refuse(indent: "            ")
            body += "        END IF;\n"
        }
        if !finalColumns.isEmpty && !terminal.isEmpty {
            body += "    ELSIF \(old)::text IN (\(list(terminal))) THEN\n"
            body += "        -- A terminal row is final: naming its state again is a second completion.\n"
            body += refuse(indent: "        ")
        }
        body += "    ELSE\n        -- Same state: not a transition.\n        RETURN NEW;\n    END IF;\n"
        for entry in entering where entry.when != nil || !entry.set.isEmpty {
            body += "    IF \(col)::text = \(SQLText.literal(entry.state)) THEN\n"
            var inner: [String] = []
            if let guardClause = entry.when { inner.append(raise(guardClause, transition: false, indent: "        ")) }
            if !entry.set.isEmpty { inner.append(assignments(entry.set, indent: "        ")) }
            body += inner.joined(separator: "\n") + "\n    END IF;\n"
        }
        body += "    RETURN NEW;\nEND"
        return StoredFunction(functionName, returns: "trigger", searchPath: [], body: body)
    }

    /// `invariants.state_<schema>_<table>_<column>_final`: refuses a change of a final column
    /// of a terminal row (``finalColumns``), naming the column.
    public var finalFunction: StoredFunction {
        let old = "OLD." + SQLText.identifier(column)
        let code = ProjectErrorCode.illegalTransition.sqlLiteral
        var body = "BEGIN\n"
        body += "    -- A terminal row of \(label) is final: its result columns keep their values.\n"
        for name in finalColumns {
            let identifier = SQLText.identifier(name)
            let text = SQLText.commentSafe(table.name).replacingPercent() + " is % (a terminal state of "
                + SQLText.commentSafe(column).replacingPercent() + "): " + SQLText.commentSafe(name).replacingPercent()
                + " is final"
            body += """
                    IF NEW.\(identifier) IS DISTINCT FROM OLD.\(identifier) THEN
                        RAISE EXCEPTION \(SQLText.literal(text)), \(old)
                            USING ERRCODE = \(code), COLUMN = \(SQLText.literal(name));
                    END IF;

                """
        }
        body += "    RETURN NEW;\nEND"
        return StoredFunction(Schema.invariants(ObjectName.fitted(functionName.name + "_final")), returns: "trigger",
                              searchPath: [], body: body)
    }

    /// `BEFORE UPDATE OF <final columns> … WHEN (OLD.<column> IN (<terminal>))`.
    public var finalTrigger: Trigger {
        Trigger(ObjectName.fitted(triggerName + "_final"), on: table, .before, [.update(of: finalColumns)],
                when: "OLD.\(SQLText.identifier(column))::text IN (\(list(terminal)))", executing: finalFunction)
    }

    /// The `BEFORE INSERT OR UPDATE OF <column> … FOR EACH ROW` trigger.
    public var trigger: Trigger {
        Trigger(triggerName, on: table, .before, [.insert, .update(of: [column])], executing: function)
    }

    /// `CREATE OR REPLACE TRIGGER … BEFORE INSERT OR UPDATE OF <column> … FOR EACH ROW …`.
    public var triggerSQL: String { trigger.createSQL }

    /// The trigger function (executable by nobody directly) and the trigger.
    public func repeatableObjects() -> [RepeatableObject] {
        precondition(validationErrors().isEmpty, validationErrors().joined(separator: "; "))
        let function = function
        let tableKey = ObjectName.keyPart(table.schema) + "." + ObjectName.keyPart(table.name)
        let source = "StateMachine(table: \(tableKey), column: \(ObjectName.keyPart(column)))"
        var functionObject = function.repeatableObject(source: source, executableBy: [])
        functionObject.kind = .triggerFunction
        var objects = [functionObject, trigger.repeatableObject(source: source)]
        if !finalColumns.isEmpty && !terminal.isEmpty {
            var finalObject = finalFunction.repeatableObject(source: source, executableBy: [])
            finalObject.kind = .triggerFunction
            objects += [finalObject, finalTrigger.repeatableObject(source: source)]
        }
        return objects
    }
}

extension String {
    /// `%` doubled, for text inside a RAISE format string.
    fileprivate func replacingPercent() -> String {
        var out = ""
        for character in self {
            out.append(character)
            if character == "%" { out.append("%") }
        }
        return out
    }
}
