import Foundation

/// A one-line progress bar on stderr, drawn only on a terminal.
public final class ProgressBar: @unchecked Sendable {
    let total: Int64
    let enabled: Bool
    let unit: String

    /// A bar for `total` items; drawn only when `enabled` and stderr is a terminal.
    public init(total: Int64, enabled: Bool, unit: String = "gigs") {
        self.unit = unit
        self.total = total
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    /// Redraws the bar: `done` of the total, `fixed` of them changed.
    public func update(_ done: Int64, fixed: Int64) {
        guard enabled, total > 0 else { return }
        let width = 30
        let filled = Int(Double(width) * Double(min(done, total)) / Double(total))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(unit), \(fixed) fixed".utf8))
    }

    /// Ends the bar's line.
    public func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
