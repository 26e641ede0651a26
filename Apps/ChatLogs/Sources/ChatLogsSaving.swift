import InvariantsSchema

/// Saving a favorite: a BEFORE INSERT trigger on `saved_chats` copies question and response
/// from the saver's own log, and `public.save_chat(chat_log_id, note)` for the client.
///
/// The trigger has invoker rights on purpose: as `authenticated`, RLS already hides other
/// users' logs, and its explicit `user_id = NEW.user_id` covers `service_role`, which bypasses
/// RLS. Another user's log and a missing log both raise IV404 ("not found"), so the error
/// never reveals that another user's log exists. The composite foreign key
/// `(user_id, chat_log_id) → chat_logs (user_id, id)` holds the same rule structurally.
/// The seed's direct `INSERT INTO saved_chats (user_id, chat_log_id)` works unchanged.
public enum ChatLogsSaving {
    static let invalid = ProjectErrorCode.invalidInput.sqlLiteral
    static let notFound = ProjectErrorCode.notFound.sqlLiteral

    /// BEFORE INSERT on `saved_chats`: copy the log's text, or IV404.
    static let copy = StoredFunction(
        Schema.invariants("saved_chats_copy"), returns: "trigger",
        body: """
            DECLARE
                log record;
            BEGIN
                -- A standalone save (no log) keeps the text the client sent.
                IF NEW.chat_log_id IS NULL THEN
                    RETURN NEW;
                END IF;
                -- Ownership is checked here, not only by RLS: service_role bypasses RLS.
                SELECT l.question, l.response INTO log
                  FROM public.chat_logs AS l
                 WHERE l.id = NEW.chat_log_id AND l.user_id = NEW.user_id;
                IF NOT FOUND THEN
                    -- Same answer for another user's log and a missing one.
                    RAISE EXCEPTION 'chat log % not found', NEW.chat_log_id
                        USING ERRCODE = \(notFound), COLUMN = 'chat_log_id';
                END IF;
                -- Whatever the client sent, the favorite is a copy of the log.
                NEW.question := log.question;
                NEW.response := log.response;
                RETURN NEW;
            END
            """)

    /// `public.save_chat(p_chat_log_id, p_note) → bigint`: saves the caller's log with a note.
    static let saveChat = StoredFunction(
        QualifiedName("public", "save_chat"),
        arguments: [.init("p_chat_log_id", .bigint), .init("p_note", .text)],
        returns: "bigint",
        body: """
            DECLARE
                new_id bigint;
            BEGIN
                -- Checked here: varchar(500) would refuse it with 22001, which names no field.
                IF pg_catalog.char_length(p_note) > 500 THEN
                    RAISE EXCEPTION 'note must be at most 500 characters, got %', pg_catalog.char_length(p_note)
                        USING ERRCODE = \(invalid), COLUMN = 'note';
                END IF;
                IF p_chat_log_id IS NULL THEN
                    RAISE EXCEPTION 'chat_log_id is required' USING ERRCODE = \(invalid), COLUMN = 'chat_log_id';
                END IF;
                -- Invoker rights: RLS's WITH CHECK and the copy trigger apply as to a direct insert.
                -- A log saved twice is the caller's conflict (IV409 naming it), not a raw 23505.
                INSERT INTO public.saved_chats (user_id, chat_log_id, note)
                VALUES (auth.uid(), p_chat_log_id, p_note)
                ON CONFLICT (user_id, chat_log_id) DO NOTHING
                RETURNING id INTO new_id;
                IF new_id IS NULL THEN
                    RAISE EXCEPTION 'chat log % is already saved', p_chat_log_id
                        USING ERRCODE = \(ProjectErrorCode.conflict.sqlLiteral), COLUMN = 'chat_log_id';
                END IF;
                RETURN new_id;
            END
            """)

    static let copyTrigger = Trigger(
        "saved_chats_copy", on: QualifiedName("public", "saved_chats"), .before, [.insert], executing: copy)

    static var repeatables: [RepeatableObject] {
        [
            copy.repeatableObject(source: "ChatLogs.ChatLogsSaving", executableBy: []),
            saveChat.repeatableObject(source: "ChatLogs.ChatLogsSaving", executableBy: [.authenticated]),
            copyTrigger.repeatableObject(source: "ChatLogs.ChatLogsSaving"),
        ]
    }
}
