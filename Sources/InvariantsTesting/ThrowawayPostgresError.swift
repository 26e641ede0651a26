/// A failure to set up, use or tear down a throwaway server.
///
/// The description names the command or step that failed and carries its
/// output and the tail of the server log, because a bare exit status is
/// useless when a test fails on a CI machine.
public struct ThrowawayPostgresError: Error, CustomStringConvertible, Sendable {
    /// What was being done, usually the command line that failed.
    public var step: String
    /// Why it failed: exit status, stderr, or an underlying error.
    public var detail: String
    /// The last lines of the server log, when there is one.
    public var logTail: String?

    /// Creates an error for a failed step.
    public init(step: String, detail: String, logTail: String? = nil) {
        self.step = step
        self.detail = detail
        self.logTail = logTail
    }

    public var description: String {
        var text = "ThrowawayPostgres: \(step) failed: \(detail)"
        if let logTail, !logTail.isEmpty {
            text += "\n--- server log (tail) ---\n\(logTail)"
        }
        return text
    }
}
