/// Where a database stands against a catalog: what `invariants status` prints.
public struct MigrationStatus: Sendable, Codable, Hashable {
    /// One migration of a module's stream, with its state in this database.
    public struct Migration: Sendable, Codable, Hashable {
        /// Where the migration stands in this database.
        public enum State: String, Sendable, Codable, Hashable {
            /// In the ledger with the file's checksum.
            case applied
            /// Not yet applied: the next migrate applies it.
            case pending
            /// Applied, but the file's checksum differs from the ledger's: someone edited
            /// a released migration. The migrator refuses to run.
            case checksumMismatch = "checksum-mismatch"
            /// In the ledger but not in this build: the database is newer than the app.
            case unknown
        }
        public var module: String
        public var version: Int
        public var name: String
        public var state: State
        public var appliedAt: String?
        public var appliedBy: String?
        public var executionMilliseconds: Int?
        /// `module/NNNN_name.sql`
        public var file: String

        public init(module: String, version: Int, name: String, state: State, appliedAt: String? = nil, appliedBy: String? = nil,
                    executionMilliseconds: Int? = nil, file: String) {
            self.module = module
            self.version = version
            self.name = name
            self.state = state
            self.appliedAt = appliedAt
            self.appliedBy = appliedBy
            self.executionMilliseconds = executionMilliseconds
            self.file = file
        }
    }

    /// A module of the target set: installed already, or installed by the next migrate.
    public struct ModuleState: Sendable, Codable, Hashable {
        public var name: String
        public var installed: Bool
        /// Chosen by the app, not only installed as another module's dependency.
        public var chosen: Bool
    }

    /// One stored-logic object (function, trigger, view, policy, grants) and its state.
    public struct Repeatable: Sendable, Codable, Hashable {
        /// Whether the live object matches the declaration.
        public enum State: String, Sendable, Codable, Hashable {
            /// Live and unchanged.
            case current
            /// Declared, never applied.
            case new
            /// Declared, applied with another checksum: will be re-applied.
            case changed
            /// Applied, no longer declared: will be dropped.
            case removed
        }
        public var key: String
        public var kind: String
        public var state: State
        /// The module that owns it (nil: a row from before the ledger knew modules).
        public var module: String?
    }

    /// The modules the database holds (or will hold after migrate), in dependency order.
    public var modules: [ModuleState]
    /// Modules in the ledger that this catalog does not declare (another app's): left alone.
    public var foreignModules: [String]
    public var migrations: [Migration]
    public var repeatables: [Repeatable]
    /// Where this migrator takes the functions from (`the repeatable set`, `extension invariants 0.1`).
    public var storedLogic: String
    /// What migrate would do about the extension (install, update, switch); nil when nothing.
    public var extensionChange: String?
    /// An adoption under way (a run stopped or still going): per module, its batched steps with
    /// rows done so far, e.g. `gig_responses: fill counter gig_responses … — 1500 rows, at <key>`.
    public var adoptionProgress: [String] = []

    public init(modules: [ModuleState] = [], foreignModules: [String] = [], migrations: [Migration], repeatables: [Repeatable],
                storedLogic: String = StoredLogic.repeatableSet.description, extensionChange: String? = nil) {
        self.modules = modules
        self.foreignModules = foreignModules
        self.migrations = migrations
        self.repeatables = repeatables
        self.storedLogic = storedLogic
        self.extensionChange = extensionChange
    }

    /// Nothing pending, nothing changed, nothing refused.
    public var isUpToDate: Bool {
        modules.allSatisfy(\.installed) && migrations.allSatisfy { $0.state == .applied } && repeatables.allSatisfy { $0.state == .current }
            && extensionChange == nil
    }

    public var pendingMigrations: [Migration] { migrations.filter { $0.state == .pending } }
    public var repeatablesToApply: [Repeatable] { repeatables.filter { $0.state == .new || $0.state == .changed } }
    public var repeatablesToDrop: [Repeatable] { repeatables.filter { $0.state == .removed } }
}

/// What `migrate` did.
public struct MigrationReport: Sendable, Codable, Hashable {
    /// The modules the database holds now.
    public var modules: [String]
    /// The modules this run installed.
    public var installedModules: [String]
    /// The modules this run removed, with their tables.
    public var droppedModules: [String]
    /// The modules this run installed by taking over the app's existing tables.
    public var adoptedModules: [String] = []
    public var appliedMigrations: [String]
    public var appliedRepeatables: [String]
    public var droppedRepeatables: [String]
    /// What happened to the extension (installed, updated, switched); nil when nothing.
    public var extensionChange: String?
    public var milliseconds: Int

    public var changedAnything: Bool {
        !appliedMigrations.isEmpty || !adoptedModules.isEmpty || !droppedModules.isEmpty || !appliedRepeatables.isEmpty || !droppedRepeatables.isEmpty || extensionChange != nil
    }
}

/// Progress the migrator reports while it works (the CLI prints these).
public enum MigrationEvent: Sendable {
    /// Another session holds the migration lock; `holder` names it (pid, application, user,
    /// client address, since when).
    case waitingForLock(holder: String)
    /// The lock is this migrator's.
    case acquiredLock
    /// A migration (`module/NNNN_name.sql`) starts.
    case applyingMigration(file: String)
    /// A migration committed, in `milliseconds`.
    case appliedMigration(file: String, milliseconds: Int)
    /// An INVALID index a failed `CREATE INDEX CONCURRENTLY` left is dropped and built again.
    case rebuildingInvalidIndex(String)
    /// The repeatable set's transaction starts: the object keys to apply and to drop.
    case applyingRepeatables(apply: [String], drop: [String])
    /// The extension route changes (installed, updated or switched away from).
    case changingExtension(String)
    /// Creating or mapping the ledger (`create the module ledger`, `map the linear ledger …`).
    case updatingLedger(String)
    /// A step of an adoption starts (`gig_responses: add FOREIGN KEY … NOT VALID`).
    case adoptionStep(String)
    /// A batch of an adoption step committed: rows it changed, rows so far, where it is.
    case adoptionBatch(step: String, rows: Int64, total: Int64, cursor: String?)
}
