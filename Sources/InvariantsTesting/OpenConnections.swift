public import PostgresNIO
import Synchronization

/// Keeps every connection the testing helpers open alive until its channel closes.
///
/// PostgresNIO asserts (in debug builds, which is how tests run) that a connection is closed
/// before it is released. A test that throws between `connect()` and `close()` would release
/// it open, and the assertion would kill the whole test process — every other test's result
/// lost, and the failing test's own error never printed. Kept here, the connection lives until
/// it is closed (by the test, by the server stopping, or at process exit), and the test fails
/// with its error like any other.
public enum OpenConnections {
    private static let open = Mutex<[ObjectIdentifier: PostgresConnection]>([:])

    /// `connection`, kept until its channel closes.
    public static func kept(_ connection: PostgresConnection) -> PostgresConnection {
        let id = ObjectIdentifier(connection)
        open.withLock { $0[id] = connection }
        connection.closeFuture.whenComplete { _ in
            _ = open.withLock { $0.removeValue(forKey: id) }
        }
        return connection
    }

    /// How many are open now.
    public static var count: Int { open.withLock { $0.count } }
}
