import Foundation
import PostgresNIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A PostgreSQL server that lives only as long as a test run.
///
/// Start one per process with ``shared()`` (or ``start(_:)`` for your own
/// options), build a migrated template once with ``template(named:prepare:)``,
/// and give each test its own clone with ``makeDatabase(from:)``:
///
/// ```swift
/// let server = try await ThrowawayPostgres.shared()
/// let template = try await server.template(named: "app") { connection in
///     try await connection.query("CREATE TABLE t (id int)", logger: logger)
/// }
/// let database = try await server.makeDatabase(from: template)
/// let connection = try await database.connect()
/// ```
///
/// Host (TCP) connections need the random ``password`` (scram-sha-256); the
/// Unix socket in ``socketDirectory`` trusts local users.
public actor ThrowawayPostgres {
    /// The TCP port on 127.0.0.1.
    public nonisolated let port: Int
    /// The directory holding the Unix socket `.s.PGSQL.<port>`.
    public nonisolated let socketDirectory: String
    /// The server's own directory (data directory, log, socket); removed by ``stop()``.
    public nonisolated let directory: String
    /// The superuser's name.
    public nonisolated let superuser: String
    /// The superuser's random password, required over TCP.
    public nonisolated let password: String
    /// How long initdb plus the first successful start took.
    public nonisolated let startupDuration: Duration

    let layout: ServerLayout
    let binDirectory: String
    let account: ServerAccount
    var templates: [String: Task<String, any Error>] = [:]
    var adminOpening: Task<PostgresConnection, any Error>?
    /// Started by ``startReplica()``; stopped before this server stops.
    var replicas: [ThrowawayReplica] = []
    private var stopped = false

    init(
        layout: ServerLayout, port: Int, password: String, binDirectory: String,
        account: ServerAccount, startupDuration: Duration
    ) {
        self.layout = layout
        self.port = port
        self.socketDirectory = layout.socketDirectory
        self.directory = layout.root
        self.superuser = "postgres"
        self.password = password
        self.binDirectory = binDirectory
        self.account = account
        self.startupDuration = startupDuration
    }

    /// Creates, starts and returns a new server.
    ///
    /// Stale servers left in the same base directory by dead processes are
    /// removed first.
    public static func start(_ options: ThrowawayPostgresOptions = .init()) async throws -> ThrowawayPostgres {
        try await ServerLauncher(options: options).launch()
    }

    /// Stops the server (`pg_ctl stop -m fast`) and removes its directory, after stopping its
    /// replicas (``startReplica()``). Calling it again does nothing.
    public func stop() async throws {
        guard !stopped else { return }
        stopped = true
        for task in templates.values { task.cancel() }
        for replica in replicas { try? await replica.stop() }
        replicas = []
        await closeAdminSession()
        ExitCleanup.unregister(directory: directory)
        if FileManager.default.fileExists(atPath: layout.postmasterPIDFile) {
            try await command([pgCtl, "stop", "-s", "-w", "-t", "60", "-m", "fast", "-D", layout.dataDirectory])
                .runChecked(logFile: layout.logFile)
        }
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            throw ThrowawayPostgresError(step: "removing \(directory)", detail: String(reflecting: error))
        }
    }

    var pgCtl: String { binDirectory + "/pg_ctl" }

    func command(_ arguments: [String]) -> ServerCommand {
        ServerCommand(arguments: arguments, account: account, workingDirectory: directory)
    }
}
