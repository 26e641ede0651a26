public import InvariantsSchema

/// Seed 003's app may already have `profiles` as the seed wrote it — `id uuid REFERENCES
/// auth.users PRIMARY KEY` (`NO ACTION`), `display_name VARCHAR(100)`, `created_at TIMESTAMP
/// DEFAULT NOW()` (nullable) — with Supabase's default grants. `migrate --modules chat_logs`
/// takes it over in place at version 7 (same table, same `relfilenode`: nothing rewritten) and
/// creates the other tables beside it in their current shape:
/// - `display_name` becomes `text` with the named check `profiles_display_name_length`
///   (binary-compatible; the check validated under a weaker lock);
/// - `created_at` becomes `timestamptz` with `TimeZone` UTC (no rewrite; the seed's wall-clock
///   values are read as UTC, Supabase's server zone) and NOT NULL through a validated check
///   (refused, with the count, while a row holds NULL);
/// - the app's `profiles_id_fkey` (`NO ACTION`: deleting a user failed while a profile existed)
///   is replaced in one transaction by ours of the same name, `ON DELETE CASCADE`, recognised by
///   its definition, not its name.
///
/// An app that also has `chat_logs` or `saved_chats` as the seed wrote them (`BIGSERIAL`,
/// nullable `tools_used`, `TIMESTAMP`) is refused with every mismatch named: those are not
/// adopted (the seed's own app creates only `profiles` before the API's first deploy).
extension ChatLogsModule {
    /// `profiles` after every migration: `display_name` is `text` with its named length check.
    public static var profilesCurrent: Table {
        var table = retyping(profiles, "display_name", to: .text)
        table.constraints += ChatLogsFieldLengths.checks.filter { $0.table.name == table.name }.map { .check($0.check) }
        return table
    }

    /// `chat_logs` after every migration: the cost index of migration 2.
    public static var chatLogsCurrent: Table {
        var table = chatLogs
        var index = ChatLogsViews.mostExpensiveIndex
        index.concurrently = false
        table.indexes.append(index)
        return table
    }

    /// `saved_chats` after every migration: `note` is `text`; the length checks of migrations 3 and 6.
    public static var savedChatsCurrent: Table {
        var table = retyping(savedChats, "note", to: .text)
        table.constraints += (lengthChecks + ChatLogsFieldLengths.checks).filter { $0.table.name == table.name }.map { .check($0.check) }
        return table
    }

    /// `table` with the column `name` of type `type`, as a later migration altered it.
    private static func retyping(_ table: Table, _ name: String, to type: ColumnType) -> Table {
        var table = table
        table.columns = table.columns.map { column in
            var column = column
            if column.name == name { column.type = type }
            return column
        }
        return table
    }

    /// The adoption of seed 003's `profiles` at version 7; the other tables are created.
    public static var adoption: Adoption {
        func strict(_ table: Table) -> AdoptedTable { AdoptedTable(table, expects: table.columns.map(\.name)) }
        return Adoption(
            module: "chat_logs", version: 7, source: "ChatLogs.ChatLogsModule.adoption",
            tables: [
                AdoptedTable(profilesCurrent, expects: ["id"],
                             superseding: [SupersededForeignKey(["id"], references: authUsers)],
                             converting: [ColumnConversion("display_name", from: .varchar(100)),
                                          ColumnConversion("created_at", from: .timestamp)],
                             settingNotNull: ["created_at"]),
                strict(chatLogsCurrent), strict(savedChatsCurrent), strict(usageDaily), strict(usageThresholds), strict(costAlerts),
            ])
    }
}
