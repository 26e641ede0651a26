import InvariantsSchema

/// Logging a chat: input validation on `chat_logs` and the service's `log_chat` function.
///
/// Logging is service-side (the seed's API logs with the service key). `public.log_chat` is a
/// plain SECURITY INVOKER function executable by `service_role` only: that role already holds
/// the table rights, so definer rights would add nothing but risk. A direct
/// `INSERT INTO chat_logs` as the service, as the seed's Python does, gets the same checks from
/// the validation trigger; the function adds the length check on `model` (a direct insert
/// of an over-long model fails earlier with PostgreSQL's 22001, before any trigger runs).
public enum ChatLogsLogging {
    static let invalid = ProjectErrorCode.invalidInput.sqlLiteral

    /// BEFORE INSERT OR UPDATE: IV422 naming the field for malformed `tools_used` and negative
    /// tokens or cost. Invoker rights: it only reads NEW.
    static let validate = StoredFunction(
        Schema.invariants("chat_logs_validate"), returns: "trigger",
        body: """
            BEGIN
                -- Runs before the CHECK backstops so that the client gets IV422 with the field name.
                IF pg_catalog.jsonb_typeof(NEW.tools_used) IS DISTINCT FROM 'array' THEN
                    RAISE EXCEPTION 'tools_used must be a JSON array of objects with a "name", got %',
                        COALESCE(pg_catalog.jsonb_typeof(NEW.tools_used), 'null')
                        USING ERRCODE = \(invalid), COLUMN = 'tools_used';
                END IF;
                -- strict: a nested array is not unwrapped into objects; lax: a missing "name" is no error.
                IF pg_catalog.jsonb_path_exists(NEW.tools_used, 'strict $[*] ? (@.type() != "object")')
                   OR pg_catalog.jsonb_path_exists(NEW.tools_used, 'lax $[*] ? (!(@.name.type() == "string" && @.name != ""))') THEN
                    RAISE EXCEPTION 'tools_used must be a JSON array of objects, each with a non-empty string "name"'
                        USING ERRCODE = \(invalid), COLUMN = 'tools_used';
                END IF;
                IF NEW.input_tokens < 0 THEN
                    RAISE EXCEPTION 'input_tokens must not be negative, got %', NEW.input_tokens
                        USING ERRCODE = \(invalid), COLUMN = 'input_tokens';
                END IF;
                IF NEW.output_tokens < 0 THEN
                    RAISE EXCEPTION 'output_tokens must not be negative, got %', NEW.output_tokens
                        USING ERRCODE = \(invalid), COLUMN = 'output_tokens';
                END IF;
                IF NEW.cost < 0 THEN
                    RAISE EXCEPTION 'cost must not be negative, got %', NEW.cost
                        USING ERRCODE = \(invalid), COLUMN = 'cost';
                END IF;
                RETURN NEW;
            END
            """)

    /// `public.log_chat(…) → bigint`: logs one chat for `p_user_id`, returns the log's id.
    static let logChat = StoredFunction(
        QualifiedName("public", "log_chat"),
        arguments: [
            .init("p_user_id", .uuid), .init("p_question", .text), .init("p_response", .text),
            .init("p_tools_used", .jsonb), .init("p_input_tokens", .integer), .init("p_output_tokens", .integer),
            .init("p_cost", .numeric), .init("p_model", .text),
        ],
        returns: "bigint",
        body: """
            DECLARE
                new_id bigint;
            BEGIN
                -- Checked here: varchar(50) would refuse it with 22001, which names no field.
                IF pg_catalog.char_length(p_model) > 50 THEN
                    RAISE EXCEPTION 'model must be at most 50 characters, got %', pg_catalog.char_length(p_model)
                        USING ERRCODE = \(invalid), COLUMN = 'model';
                END IF;
                INSERT INTO public.chat_logs
                    (user_id, question, response, tools_used, input_tokens, output_tokens, cost, model)
                VALUES (p_user_id, p_question, p_response, COALESCE(p_tools_used, '[]'::jsonb),
                        p_input_tokens, p_output_tokens, p_cost, p_model)
                RETURNING id INTO new_id;
                RETURN new_id;
            END
            """)

    static let validateTrigger = Trigger(
        "chat_logs_validate", on: QualifiedName("public", "chat_logs"), .before, [.insert, .update], executing: validate)

    static var repeatables: [RepeatableObject] {
        [
            validate.repeatableObject(source: "ChatLogs.ChatLogsLogging", executableBy: []),
            logChat.repeatableObject(source: "ChatLogs.ChatLogsLogging", executableBy: [.serviceRole]),
            validateTrigger.repeatableObject(source: "ChatLogs.ChatLogsLogging"),
        ]
    }
}
