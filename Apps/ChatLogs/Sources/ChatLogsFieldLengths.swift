import InvariantsSchema

/// Issue 16, finding 13: seed 003's `profiles.display_name varchar(100)` and `saved_chats.note
/// varchar(500)` refused an overlong value with 22001 ("value too long for type character
/// varying(100)"), which names no field — and 22001 fires while the row is formed, before any
/// BEFORE trigger could name it. Each column becomes `text` plus a named check with the
/// seed's limit (`profiles_display_name_length`, `saved_chats_note_length`): an overlong value
/// is a check violation (23514) naming the check, as for favorites' question and response
/// (migrations 3 and 4).
///
/// `varchar(n)` → `text` is binary-compatible: PostgreSQL rewrites no row and rebuilds no
/// index (the tests compare `relfilenode`), but the ALTER takes ACCESS EXCLUSIVE for a moment,
/// and a view reading the column must be dropped and created again around it
/// (``InvariantsSchema/Table/changeColumnTypeSteps(_:to:recreating:)``): `v_chat_activity_by_user`
/// reads `display_name`. The checks are added `NOT VALID` (every existing value already fits:
/// the old type enforced the same limit) and validated by migration 7 under a weaker lock.
enum ChatLogsFieldLengths {
    static let profiles = ChatLogsModule.profiles
    static let savedChats = ChatLogsModule.savedChats

    static let checks: [(table: Table, check: Check)] = [
        (profiles, Check("char_length(display_name) <= 100", name: "profiles_display_name_length")),
        (savedChats, Check("char_length(note) <= 500", name: "saved_chats_note_length")),
    ]

    static var migrations: [Migration] { [typesMigration, validateMigration] }

    /// The two columns become `text` (the view over `display_name` re-created around it), with their checks `NOT VALID`.
    static var typesMigration: Migration {
        Migration(
            module: "chat_logs", version: 6, name: "named_field_lengths",
            source: "ChatLogs.ChatLogsFieldLengths.typesMigration",
            steps: profiles.changeColumnTypeSteps("display_name", to: .text, recreating: [ChatLogsViews.activityByUser])
                + savedChats.changeColumnTypeSteps("note", to: .text)
                + checks.flatMap { $0.table.addConstraintSteps(.check($0.check), notValid: true) })
    }

    /// `VALIDATE CONSTRAINT` of each check (SHARE UPDATE EXCLUSIVE: writes go on).
    static var validateMigration: Migration {
        Migration(
            module: "chat_logs", version: 7, name: "validate_named_field_lengths",
            source: "ChatLogs.ChatLogsFieldLengths.validateMigration",
            steps: checks.flatMap { $0.table.validateConstraintSteps($0.check.resolvedName(table: $0.table.name)) })
    }
}
