/// Invariant: a child row that reaches a terminal state adds its result to its source (parent)
/// row exactly once — or, without a valid source, becomes a new parent row.
///
/// When a child enters ``terminalState`` (by INSERT in it, or by an UPDATE of ``childStateColumn``
/// into it), one BEFORE row trigger:
/// - resolves the source: ``sourceColumn``, else ``legacySource`` (an expression over `NEW`, for
///   callers that keep the id in other columns); only children matching ``appendWhen`` append;
/// - appends ``element`` (a `jsonb` expression over `NEW`) to the array at ``arrayKey`` inside the
///   parent's ``arrayColumn`` and adds the child's ``childCost`` to the parent's ``parentTotal`` — one
///   `UPDATE … SET array = array || element, total = total + cost` statement, so concurrent
///   children of one parent serialize on its row lock and none is lost (under READ COMMITTED; at
///   REPEATABLE READ or SERIALIZABLE the loser gets a serialization failure to retry);
/// - only into a parent of the **same owner** (``owner`` on both tables), checked in the statement
///   itself, because the function is SECURITY DEFINER (users hold no write right on the parent,
///   and as the invoker an RLS-filtered update would silently change nothing);
/// - otherwise (no source, another owner's, deleted, or not an appending child) inserts a new
///   parent row for the child's owner with the element as the array's only item, the cost as the
///   total and ``newParentValues``;
/// - records the parent's id in the child's ``resultColumn``.
///
/// Exactly once: the work happens only on *entering* the terminal state — the trigger is
/// `BEFORE INSERT OR UPDATE OF <state>` and returns at once when the old row was already in it or
/// already has a ``resultColumn``. Pair it with a ``StateMachine`` that makes the state terminal.
/// Two sessions completing one child concurrently: the second waits on the child's row lock and,
/// under READ COMMITTED, re-checks the now-completed row, so it appends nothing.
///
/// Renders the function `invariants.<triggerName>` (`SECURITY DEFINER`, `search_path = ''`, every
/// name schema-qualified, EXECUTE revoked from everyone) and the trigger. Name the trigger so it
/// sorts after the state machine's `invariants_state_…` and before `zz_invariants_updated_at`.
public struct AppendToSource: Hashable, Sendable {
    /// A parent column set on a newly created parent: `column = expression` over `NEW` (the child).
    public struct Value: Hashable, Sendable {
        public var column: String
        public var expression: String
        /// Sets `column` of the new parent to `expression` over `NEW` (the child).
        public init(_ column: String, _ expression: String) {
            self.column = column
            self.expression = expression
        }
    }

    public var child: QualifiedName
    public var childStateColumn: String
    public var terminalState: String
    /// The child's column naming its source (parent id), e.g. `source_generation_id`.
    public var sourceColumn: String
    /// A SQL expression over `NEW` giving the source id when ``sourceColumn`` is NULL; must never
    /// raise (return NULL for anything malformed).
    public var legacySource: String?
    /// A boolean SQL expression over `NEW`: only such children append to a source; `nil`: all.
    public var appendWhen: String?
    /// The child's column that receives the parent's id.
    public var resultColumn: String
    /// The owner column, same name in both tables.
    public var owner: String
    public var childCost: String

    public var parent: QualifiedName
    public var parentKey: String
    /// A `jsonb` object column of the parent holding the array.
    public var arrayColumn: String
    public var arrayKey: String
    public var parentTotal: String
    /// A `jsonb` expression over `NEW`: the item appended.
    public var element: String
    /// Extra columns of a new parent (owner, array and total are always set).
    public var newParentValues: [Value]
    public var triggerName: String

    /// Appends `element` from `child` rows entering `terminalState` to `parent`'s `arrayColumn`,
    /// exactly once; see the type's documentation for each part.
    public init(
        child: QualifiedName, stateColumn: String = "status", terminalState: String, sourceColumn: String,
        legacySource: String? = nil, appendWhen: String? = nil, resultColumn: String, owner: String = "user_id",
        childCost: String, parent: QualifiedName, parentKey: String = "id", arrayColumn: String, arrayKey: String,
        parentTotal: String, element: String, newParentValues: [Value] = [], triggerName: String? = nil
    ) {
        self.child = child
        self.childStateColumn = stateColumn
        self.terminalState = terminalState
        self.sourceColumn = sourceColumn
        self.legacySource = legacySource
        self.appendWhen = appendWhen
        self.resultColumn = resultColumn
        self.owner = owner
        self.childCost = childCost
        self.parent = parent
        self.parentKey = parentKey
        self.arrayColumn = arrayColumn
        self.arrayKey = arrayKey
        self.parentTotal = parentTotal
        self.element = element
        self.newParentValues = newParentValues
        self.triggerName = triggerName ?? ObjectName.fitted("append_\(child.name)_to_\(parent.name)")
    }

    /// `invariants.<triggerName>`.
    public var functionName: QualifiedName { Schema.invariants(triggerName) }

    /// The trigger function.
    public var function: StoredFunction {
        func id(_ name: String) -> String { SQLText.identifier(name) }
        let state = "NEW." + id(childStateColumn)
        let terminal = SQLText.literal(terminalState)
        let source = legacySource.map { "COALESCE(NEW.\(id(sourceColumn)), \($0))" } ?? "NEW.\(id(sourceColumn))"
        let path = SQLText.literal("{" + arrayKey.replacingQuotesForPath() + "}")
        let key = SQLText.literal(arrayKey)
        var insertColumns = [id(owner), id(arrayColumn), id(parentTotal)]
        var insertValues = [
            "NEW.\(id(owner))",
            "pg_catalog.jsonb_build_object(\(key), pg_catalog.jsonb_build_array(item))",
            "COALESCE(NEW.\(id(childCost)), 0)",
        ]
        for value in newParentValues {
            insertColumns.append(id(value.column))
            insertValues.append(value.expression)
        }
        let sourceLine = SQLLines.filled("        source_id := \(source);", continuation: "            ")
        let appendBlock = """
                IF \(appendWhen.map { "(\($0)) IS TRUE" } ?? "true") THEN
            \(sourceLine)
                    IF source_id IS NOT NULL THEN
                        -- One statement: the row lock serializes concurrent appends to one parent.
                        -- Same owner only: the definer bypasses RLS, so the owner is checked here.
                        UPDATE \(parent.sql) AS p
                           SET \(id(arrayColumn)) = pg_catalog.jsonb_set(
                                   COALESCE(p.\(id(arrayColumn)), '{}'::jsonb), \(path),
                                   COALESCE(p.\(id(arrayColumn)) -> \(key), '[]'::jsonb) || pg_catalog.jsonb_build_array(item)),
                               \(id(parentTotal)) = COALESCE(p.\(id(parentTotal)), 0) + COALESCE(NEW.\(id(childCost)), 0)
                         WHERE p.\(id(parentKey)) = source_id AND p.\(id(owner)) = NEW.\(id(owner))
                        RETURNING p.\(id(parentKey)) INTO target;
                    END IF;
                END IF;
            """
        let body = """
            DECLARE
                source_id uuid;
                target uuid;
                item jsonb;
            BEGIN
                -- Invariant append to source: \(SQLText.commentSafe(child.description)) entering \(SQLText.commentSafe(terminalState)) adds to \(SQLText.commentSafe(parent.description)), exactly once.
                IF \(state) IS DISTINCT FROM \(terminal) THEN
                    RETURN NEW;
                END IF;
                IF TG_OP = 'UPDATE' THEN
                    IF OLD.\(id(childStateColumn)) IS NOT DISTINCT FROM \(terminal) OR OLD.\(id(resultColumn)) IS NOT NULL THEN
                        RETURN NEW;
                    END IF;
                END IF;
                item := \(element.replacingOccurrences(of: "\n", with: "\n    "));
            \(appendBlock)
                IF target IS NULL THEN
                    -- No valid source (none, missing, deleted, another owner's): a new parent for the child's owner.
            \(SQLLines.list("INSERT INTO \(parent.sql) (", insertColumns, ")", indent: "        "))
            \(SQLLines.list("VALUES (", insertValues, ")", indent: "        "))
                    RETURNING \(id(parentKey)) INTO target;
                END IF;
                NEW.\(id(resultColumn)) := target;
                RETURN NEW;
            END
            """
        return StoredFunction(functionName, returns: "trigger", securityDefiner: true, body: body)
    }

    /// The child's `BEFORE INSERT OR UPDATE OF <state> … FOR EACH ROW` trigger.
    public var trigger: Trigger {
        Trigger(triggerName, on: child, .before, [.insert, .update(of: [childStateColumn])], executing: function)
    }

    /// `CREATE OR REPLACE TRIGGER … BEFORE INSERT OR UPDATE OF <state> … FOR EACH ROW …`.
    public var triggerSQL: String { trigger.createSQL }

    /// The trigger function (executable by nobody directly) and the trigger.
    public func repeatableObjects() -> [RepeatableObject] {
        let tableKey = ObjectName.keyPart(child.schema) + "." + ObjectName.keyPart(child.name)
        let source = "AppendToSource(child: \(tableKey), parent: \(ObjectName.keyPart(parent.schema)).\(ObjectName.keyPart(parent.name)))"
        var functionObject = function.repeatableObject(source: source, executableBy: [])
        functionObject.kind = .triggerFunction
        return [functionObject, trigger.repeatableObject(source: source)]
    }
}

extension String {
    /// A key for a `text[]` path literal `{key}`: double-quoted, with `"` and `\` escaped.
    fileprivate func replacingQuotesForPath() -> String {
        var out = "\""
        for character in self {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }
}
