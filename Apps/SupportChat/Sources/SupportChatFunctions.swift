import InvariantsSchema

/// Seed 001's derived fields and calls that are not a declaration kind:
/// - `first_response_time_ms`: set by the message counter's own UPDATE of the session
///   (``SupportChatModule/firstResponse``); a BEFORE UPDATE trigger on `chat_sessions` refuses
///   to change it once set (IV409). Its WHEN clause keeps the counter's UPDATE, which names the
///   column on every message, from calling the function.
/// - `approval_status` of a tool execution (``approval``): NULL unless approval is required,
///   then `pending → approved | rejected`; deciding needs `approved_by` (IV422) and sets
///   `approved_at`; `approved_at` is only ever written by this trigger; `requires_approval` is
///   fixed at the request (IV409). Illegal moves raise IV001 naming both states, like the
///   ``StateMachine`` kind (which has no NULL state: "no approval needed" is NULL in the seed).
/// - `public.apply_learning_record(id, success)`: one UPDATE, so concurrent appliers never lose
///   a count; refuses a record that is not `active` (IV409), a missing one (IV404).
enum SupportChatFunctions {
    static let source = "SupportChat.SupportChatFunctions"
    static let illegal = ProjectErrorCode.illegalTransition.sqlLiteral
    static let invalid = ProjectErrorCode.invalidInput.sqlLiteral
    static let conflict = ProjectErrorCode.conflict.sqlLiteral
    static let notFound = ProjectErrorCode.notFound.sqlLiteral

    static let firstResponseOnce = StoredFunction(
        Schema.invariants("chat_first_response_once"), returns: "trigger",
        body: """
            BEGIN
                IF OLD.first_response_time_ms IS NOT NULL
                   AND NEW.first_response_time_ms IS DISTINCT FROM OLD.first_response_time_ms THEN
                    RAISE EXCEPTION 'first_response_time_ms of chat session % is already set (% ms)',
                        OLD.session_id, OLD.first_response_time_ms
                        USING ERRCODE = \(conflict), COLUMN = 'first_response_time_ms',
                              HINT = 'it is set once, by the first assistant message';
                END IF;
                RETURN NEW;
            END
            """)

    static let firstResponseOnceTrigger = Trigger(
        "invariants_first_response_once", on: QualifiedName("public", "chat_sessions"), .before,
        [.update(of: ["first_response_time_ms"])],
        when: "OLD.first_response_time_ms IS NOT NULL AND NEW.first_response_time_ms IS DISTINCT FROM OLD.first_response_time_ms",
        executing: firstResponseOnce)

    /// The approval state machine of `tool_executions`. Named to fire before the status machine
    /// (`invariants_state_status`), so approving and starting in one UPDATE works.
    static let approval = StoredFunction(
        Schema.invariants("state_public_tool_executions_approval_status"), returns: "trigger",
        body: """
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    IF NEW.requires_approval THEN
                        NEW.approval_status := COALESCE(NEW.approval_status, 'pending');
                        IF NEW.approval_status <> 'pending' THEN
                            RAISE EXCEPTION 'illegal initial state of public.tool_executions.approval_status: %',
                                    NEW.approval_status
                                USING ERRCODE = \(illegal), COLUMN = 'approval_status', HINT = 'a row starts in pending';
                        END IF;
                    ELSIF NEW.approval_status IS NOT NULL THEN
                        RAISE EXCEPTION 'approval_status must be NULL when requires_approval is false (got %)', NEW.approval_status
                            USING ERRCODE = \(invalid), COLUMN = 'approval_status';
                    END IF;
                    NEW.approved_at := NULL;
                    RETURN NEW;
                END IF;
                IF NEW.requires_approval IS DISTINCT FROM OLD.requires_approval THEN
                    RAISE EXCEPTION 'requires_approval of tool execution % cannot change after the request', OLD.id
                        USING ERRCODE = \(conflict), COLUMN = 'requires_approval';
                END IF;
                IF NEW.approval_status IS NOT DISTINCT FROM OLD.approval_status THEN
                    -- Not a decision: approved_at keeps the database's value.
                    NEW.approved_at := OLD.approved_at;
                    RETURN NEW;
                END IF;
                IF OLD.approval_status = 'pending' AND NEW.approval_status IN ('approved', 'rejected') THEN
                    IF NEW.approved_by IS NULL OR pg_catalog.btrim(NEW.approved_by) = '' THEN
                        -- Adjacent literals are one: PostgreSQL joins string constants split by a line break.
                        RAISE EXCEPTION 'illegal transition of public.tool_executions.approval_status: % -> %: '
                                        'approved_by is required',
                            OLD.approval_status, NEW.approval_status
                            USING ERRCODE = \(invalid), COLUMN = 'approved_by';
                    END IF;
                    NEW.approved_at := pg_catalog.now();
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'illegal transition of public.tool_executions.approval_status: % -> %',
                    COALESCE(OLD.approval_status, 'NULL'), COALESCE(NEW.approval_status, 'NULL')
                    USING ERRCODE = \(illegal), COLUMN = 'approval_status',
                          DETAIL = CASE WHEN OLD.approval_status IN ('approved', 'rejected')
                                        THEN OLD.approval_status || ' is a terminal state'
                                        WHEN OLD.approval_status IS NULL THEN 'this execution does not require approval'
                                        ELSE '' END;
            END
            """)

    static let approvalTrigger = Trigger(
        "invariants_state_approval_status", on: QualifiedName("public", "tool_executions"), .before, [.insert, .update],
        executing: approval)

    static let applyLearningRecord = StoredFunction(
        QualifiedName("public", "apply_learning_record"),
        arguments: [.init("p_id", .uuid), .init("p_success", .boolean)],
        returns: "TABLE (times_applied integer, times_succeeded integer, success_rate numeric, last_applied_at timestamptz)",
        body: """
            DECLARE
                current_status text;
            BEGIN
                IF p_id IS NULL THEN
                    RAISE EXCEPTION 'id is required' USING ERRCODE = \(invalid), COLUMN = 'id';
                END IF;
                IF p_success IS NULL THEN
                    RAISE EXCEPTION 'success is required' USING ERRCODE = \(invalid), COLUMN = 'success';
                END IF;
                -- One statement: the row lock serializes concurrent appliers, each adds to the latest counts.
                RETURN QUERY
                WITH applied AS (
                    UPDATE public.learning_records AS r
                       SET times_applied = r.times_applied + 1,
                           times_succeeded = r.times_succeeded + CASE WHEN p_success THEN 1 ELSE 0 END,
                           last_applied_at = pg_catalog.now()
                     WHERE r.id = p_id AND r.status = 'active'
                    RETURNING r.times_applied AS a, r.times_succeeded AS s, r.success_rate AS rate, r.last_applied_at AS at
                )
                SELECT applied.a, applied.s, applied.rate, applied.at FROM applied;
                IF NOT FOUND THEN
                    SELECT r.status INTO current_status FROM public.learning_records AS r WHERE r.id = p_id;
                    IF current_status IS NULL THEN
                        RAISE EXCEPTION 'learning record % not found', p_id USING ERRCODE = \(notFound), COLUMN = 'id';
                    END IF;
                    RAISE EXCEPTION 'learning record % is %, only active records are applied', p_id, current_status
                        USING ERRCODE = \(conflict), COLUMN = 'status';
                END IF;
            END
            """)

    static var repeatables: [RepeatableObject] {
        var objects: [RepeatableObject] = []
        for function in [firstResponseOnce, approval] {
            var object = function.repeatableObject(source: source, executableBy: [])
            object.kind = .triggerFunction
            objects.append(object)
        }
        return objects + [
            firstResponseOnceTrigger.repeatableObject(source: source),
            approvalTrigger.repeatableObject(source: source),
            applyLearningRecord.repeatableObject(source: source, executableBy: [.serviceRole]),
        ]
    }
}
