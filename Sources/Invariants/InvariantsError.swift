import PostgresNIO
@_exported public import InvariantsVocabulary

/// The one error type of the client, migrator and CLI: a kind to switch on, a message a
/// person can read, and the server's fields (SQLSTATE, constraint, table, column) when
/// the error came from PostgreSQL.
///
/// Server errors are mapped from SQLSTATE, including the project's own codes
/// (`ProjectErrorCode`, class `IV`) raised by the generated SQL.
public struct InvariantsError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, to compare with `==` or `~=` (`error.kind == .notFound`). A struct over
    /// a private enum, as PostgresNIO's error codes are: a kind added in a later release never
    /// breaks a caller's `switch` (which always has a `default`).
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidURL, connectionFailed, authenticationFailed, databaseNotFound, connectionLost
            case uniqueViolation, foreignKeyViolation, checkViolation, notNullViolation, exclusionViolation
            case illegalTransition, forbidden, notFound, conflict, invalidInput
            case serializationFailure, deadlock, lockTimeout, queryCanceled, insufficientPrivilege
            case migrationFailed, checksumMismatch, databaseIsNewer, migrationLockTimeout, invalidMigrationFile
            case timeout, clientShutDown, server, other, invalidToken
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// ``invalidToken``, declared in TokenFailure.swift next to its reasons.
        init(tokenKind: Void) { self.base = .invalidToken }

        /// The kind's name, e.g. `notFound`.
        public var rawValue: String { base.rawValue }
        public var description: String { base.rawValue }

        // Configuration and connection
        /// The database URL does not parse.
        public static let invalidURL = Kind(.invalidURL)
        /// The server could not be reached.
        public static let connectionFailed = Kind(.connectionFailed)
        /// The server refused the credentials.
        public static let authenticationFailed = Kind(.authenticationFailed)
        /// The database does not exist.
        public static let databaseNotFound = Kind(.databaseNotFound)
        /// The connection closed during the call; whether a statement it had sent took effect is unknown.
        public static let connectionLost = Kind(.connectionLost)
        // Integrity (SQLSTATE class 23)
        /// 23505.
        public static let uniqueViolation = Kind(.uniqueViolation)
        /// 23503.
        public static let foreignKeyViolation = Kind(.foreignKeyViolation)
        /// 23514.
        public static let checkViolation = Kind(.checkViolation)
        /// 23502.
        public static let notNullViolation = Kind(.notNullViolation)
        /// 23P01.
        public static let exclusionViolation = Kind(.exclusionViolation)
        // The project's own codes
        /// IV001: a state machine refused the change.
        public static let illegalTransition = Kind(.illegalTransition)
        /// IV403.
        public static let forbidden = Kind(.forbidden)
        /// IV404: missing, or not visible to the caller (the two are indistinguishable on purpose).
        public static let notFound = Kind(.notFound)
        /// IV409: a concurrent or stale write lost, or the change was already made.
        public static let conflict = Kind(.conflict)
        /// IV422: a bad argument; ``InvariantsError/column`` names it.
        public static let invalidInput = Kind(.invalidInput)
        // Concurrency and limits
        /// 40001.
        public static let serializationFailure = Kind(.serializationFailure)
        /// 40P01.
        public static let deadlock = Kind(.deadlock)
        /// 55P03.
        public static let lockTimeout = Kind(.lockTimeout)
        /// 57014, or the caller's task was cancelled.
        public static let queryCanceled = Kind(.queryCanceled)
        /// 42501.
        public static let insufficientPrivilege = Kind(.insufficientPrivilege)
        // Migrator
        /// A migration step failed; nothing of that migration was kept.
        public static let migrationFailed = Kind(.migrationFailed)
        /// An applied migration's file was edited.
        public static let checksumMismatch = Kind(.checksumMismatch)
        /// The database was migrated by a newer build.
        public static let databaseIsNewer = Kind(.databaseIsNewer)
        /// Another migrator held the lock too long.
        public static let migrationLockTimeout = Kind(.migrationLockTimeout)
        /// A migration file does not parse.
        public static let invalidMigrationFile = Kind(.invalidMigrationFile)
        /// A call did not finish within its timeout (``InvariantsClient/callTimeout``, or the
        /// call's own `timeout:`); the connection it used was closed, never reused. Whether a
        /// statement it had sent took effect is unknown, as after ``connectionLost``.
        public static let timeout = Kind(.timeout)
        /// The client is shutting down (graceful shutdown of its `ServiceGroup`, or
        /// ``InvariantsClient/close()``): the call was refused, or cut off by ``InvariantsClient/close()``.
        public static let clientShutDown = Kind(.clientShutDown)
        /// Any other server error; see ``InvariantsError/sqlState``.
        public static let server = Kind(.server)
        /// A client-side failure that is none of the above.
        public static let other = Kind(.other)
    }

    public var kind: Kind
    public var message: String
    /// The five-character SQLSTATE, when the server raised the error.
    public var sqlState: String?
    public var constraint: String?
    public var schema: String?
    public var table: String?
    /// The column, or for ``Kind/invalidInput`` the name of the offending input field.
    public var column: String?
    public var detail: String?
    public var hint: String?
    /// Why a token was refused, for ``Kind/invalidToken``; nil otherwise.
    public var tokenFailure: TokenFailure?

    public init(
        _ kind: Kind, _ message: String, sqlState: String? = nil, constraint: String? = nil,
        schema: String? = nil, table: String? = nil, column: String? = nil, detail: String? = nil, hint: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.constraint = constraint
        self.schema = schema
        self.table = table
        self.column = column
        self.detail = detail
        self.hint = hint
    }

    /// The project code, when the server raised one of ours.
    public var projectCode: ProjectErrorCode? { sqlState.flatMap(ProjectErrorCode.init(rawValue:)) }

    /// The message only: the server's DETAIL can hold row values (a key that already exists,
    /// a row that failed a check), which must not reach logs through string interpolation.
    /// `String(reflecting:)` shows every field.
    public var description: String { message }

    public var debugDescription: String {
        var parts = ["\(kind.rawValue): \(message)"]
        if let sqlState { parts.append("sqlstate=\(sqlState)") }
        if let constraint { parts.append("constraint=\(constraint)") }
        if let table { parts.append("table=\(schema.map { "\($0)." } ?? "")\(table)") }
        if let column { parts.append("column=\(column)") }
        if let detail { parts.append("detail=\(detail)") }
        if let hint { parts.append("hint=\(hint)") }
        return parts.joined(separator: " ")
    }
}

extension InvariantsError.Kind {
    /// The kind for a server SQLSTATE.
    public init(sqlState: String) {
        if let code = ProjectErrorCode(rawValue: sqlState) {
            switch code {
            case .illegalTransition: self = .illegalTransition
            case .forbidden: self = .forbidden
            case .notFound: self = .notFound
            case .conflict: self = .conflict
            case .invalidInput: self = .invalidInput
            }
            return
        }
        switch sqlState {
        case "23505": self = .uniqueViolation
        case "23503": self = .foreignKeyViolation
        case "23514": self = .checkViolation
        case "23502": self = .notNullViolation
        case "23P01": self = .exclusionViolation
        case "40001": self = .serializationFailure
        case "40P01": self = .deadlock
        case "55P03": self = .lockTimeout
        case "57014": self = .queryCanceled
        case "42501": self = .insufficientPrivilege
        case "28P01", "28000": self = .authenticationFailed
        case "3D000": self = .databaseNotFound
        case "57P01", "57P02", "57P03": self = .connectionLost
        default: self = .server
        }
    }
}

extension InvariantsError {
    /// Maps any error thrown by PostgresNIO (or by a closure inside a transaction) to an
    /// ``InvariantsError``. `endpoint` names the server in connection errors.
    public init(_ error: any Error, endpoint: String? = nil) {
        if let own = error as? InvariantsError {
            self = own
            return
        }
        if let tx = error as? PostgresTransactionError {
            if let inner = tx.closureError ?? tx.beginError ?? tx.commitError ?? tx.rollbackError {
                self.init(inner, endpoint: endpoint)
            } else {
                self.init(.other, "transaction failed")
            }
            return
        }
        guard let psql = error as? PSQLError else {
            self.init(.other, String(describing: error))
            return
        }
        let target = endpoint.map { " to \($0)" } ?? ""
        if let info = psql.serverInfo, let state = info[.sqlState] {
            let kind = Kind(sqlState: state)
            let message = info[.message] ?? "server error \(state)"
            self.init(
                kind, kind == .authenticationFailed ? "authentication failed\(target): \(message)" : message,
                sqlState: state, constraint: info[.constraintName], schema: info[.schemaName],
                table: info[.tableName], column: info[.columnName], detail: info[.detail], hint: info[.hint]
            )
            return
        }
        switch psql.code {
        case .connectionError:
            let why = psql.underlying.map { String(describing: $0) } ?? "no answer"
            self.init(.connectionFailed, "cannot connect\(target): \(why)")
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            self.init(.connectionLost, "the connection\(target) was closed")
        case .authMechanismRequiresPassword:
            self.init(.authenticationFailed, "authentication failed\(target): the server asks for a password and none was given")
        case .unsupportedAuthMechanism, .saslError:
            self.init(.authenticationFailed, "authentication failed\(target): \(String(reflecting: psql))")
        case .sslUnsupported:
            self.init(.connectionFailed, "cannot connect\(target): the server does not support TLS (use sslmode=disable or prefer)")
        case .queryCancelled:
            self.init(.queryCanceled, "the query was cancelled")
        case .poolClosed:
            self.init(.clientShutDown, "the client was shut down")
        default:
            self.init(.other, String(reflecting: psql))
        }
    }
}

extension InvariantsError {
    /// `operation` ran past its timeout `limit`; the message names the operation and the limit only.
    static func timeout(_ operation: StaticString, after limit: Duration) -> InvariantsError {
        InvariantsError(
            .timeout, "\(operation) did not finish within its timeout (\(limit.readable)); its connection was closed and is not reused")
    }

    /// A call refused because the client is shutting down or closed.
    static func shutDown(_ operation: StaticString, _ why: String) -> InvariantsError {
        InvariantsError(.clientShutDown, "\(operation) was refused: \(why)")
    }
}
