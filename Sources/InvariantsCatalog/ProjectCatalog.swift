public import InvariantsSchema

/// The project's catalog: every module's migrations in version order and the repeatable
/// set, rendered by `invariants generate` into `sql/`.
///
/// A migration, once listed here and released (`sql/RELEASED`), stays here forever with
/// the same version and name; changes to its tables go into a new migration.
public enum ProjectCatalog {
    public static var catalog: Catalog {
        Catalog(
            migrations: [
                CoreModule.migration,
                AuthModule.migration,
                ModelWorkRecordModule.migration,
                ChatLogsModule.migration,
                GigResponsesModule.migration,
                GenerationsModule.migration,
                SupportChatModule.migration,
                SupportChatModule.chatLogsCostIndexMigration,
            ],
            repeatables: try! RepeatableObject.merged([
                CoreModule.repeatables,
                ModelWorkRecordModule.repeatables,
                ChatLogsModule.repeatables,
                GigResponsesModule.repeatables,
                GenerationsModule.repeatables,
                SupportChatModule.repeatables,
            ])
        )
    }
}
