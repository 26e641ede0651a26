public import Foundation
public import Invariants

/// The seed's 500 ms auto-save of a session's model selection, without its bug.
///
/// The seed saved the whole panel from the browser's state after a debounce, so a model
/// dismissed on the server during that window came back with the next save. This saver
/// instead keeps the user's *changes* (models added, models removed, relative to the
/// selection it was last given) and sends them applied to the last panel it knows, together
/// with that panel's `config_version`. When the database refuses a stale version (IV409), it
/// re-reads the panel and re-applies only the changes: a model the server removed meanwhile
/// is never added back unless the user added it in this very change.
///
/// - ``select(_:)`` coalesces rapid changes: one write after `delay` of quiet.
/// - ``flush()`` writes now (e.g. when leaving the page) and waits for it.
/// - Writes never overlap, and a change made while a write runs is written after it: the
///   last change is never lost. A failed write keeps its changes for the next attempt and
///   is reported through ``lastError`` (and thrown by ``flush()``).
///
/// ```swift
/// let panel = try await db.sessionModels(as: user, sessionID: id)
/// let saver = ModelSelectionSaver(client: db, user: user, sessionID: id, panel: panel)
/// await saver.select(["openai/gpt-4o", "anthropic/claude"])   // from the UI, as often as it likes
/// try await saver.flush()                                       // before the view goes away
/// ```
public actor ModelSelectionSaver {
    private let client: InvariantsClient
    private let user: UserContext
    public nonisolated let sessionID: UUID
    private let delay: Duration
    /// How many times a write re-reads the panel after IV409 before giving up.
    private let maxRebases = 5

    /// The panel as the database last reported it.
    public private(set) var panel: SessionModels
    /// The selection last given to ``select(_:)``; changes are measured against it.
    private var lastSelection: [String]
    /// Models the user added / removed that are not written yet.
    private var pendingAdded: [String] = []
    private var pendingRemoved: Set<String> = []
    private var timer: Task<Void, Never>?
    private var writing = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Successful writes so far (an unchanged panel is not written, so not counted).
    public private(set) var writeCount = 0
    /// The error of the latest background write, cleared by the next successful one.
    public private(set) var lastError: InvariantsError?

    public init(client: InvariantsClient, user: UserContext, sessionID: UUID, panel: SessionModels, delay: Duration = .milliseconds(500)) {
        self.client = client
        self.user = user
        self.sessionID = sessionID
        self.panel = panel
        self.lastSelection = panel.models
        self.delay = delay
    }

    /// True while changes wait to be written.
    public var hasPendingChanges: Bool { !pendingAdded.isEmpty || !pendingRemoved.isEmpty }

    /// Records the UI's new selection and (re)starts the debounce timer.
    public func select(_ models: [String]) {
        let new = Set(models)
        let old = Set(lastSelection)
        for model in lastSelection where !new.contains(model) {
            if let index = pendingAdded.firstIndex(of: model) {
                pendingAdded.remove(at: index)
            } else {
                pendingRemoved.insert(model)
            }
        }
        for model in models where !old.contains(model) {
            if pendingRemoved.remove(model) == nil, !pendingAdded.contains(model) {
                pendingAdded.append(model)
            }
        }
        lastSelection = models
        timer?.cancel()
        let delay = delay
        timer = Task { [weak self] in
            do { try await Task.sleep(for: delay) } catch { return }
            await self?.timerFired()
        }
    }

    /// Writes pending changes now and waits until they are stored (or throws why not).
    public func flush() async throws(InvariantsError) {
        timer?.cancel()
        timer = nil
        await acquire()
        defer { release() }
        try await writePending()
    }

    private func timerFired() async {
        timer = nil
        await acquire()
        defer { release() }
        do {
            try await writePending()
        } catch {
            lastError = error
        }
    }

    /// The panel the pending changes produce when applied to `base`: the user's order for
    /// models in the selection, models added elsewhere kept after them.
    private func target(on base: [String], added: [String], removed: Set<String>) -> [String] {
        var result = base.filter { !removed.contains($0) }
        for model in added where !result.contains(model) { result.append(model) }
        let order = Dictionary(lastSelection.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return result.enumerated().sorted { a, b in
            (order[a.element] ?? Int.max, a.offset) < (order[b.element] ?? Int.max, b.offset)
        }.map(\.element)
    }

    /// Called with the write lock held.
    private func writePending() async throws(InvariantsError) {
        guard hasPendingChanges else { return }
        // Take the changes; ones made during the write stay pending for the next one.
        let added = pendingAdded
        let removed = pendingRemoved
        pendingAdded = []
        pendingRemoved = []
        var rebases = 0
        while true {
            let models = target(on: panel.models, added: added, removed: removed)
            do {
                if models == panel.models {
                    lastError = nil
                    return  // nothing to change (e.g. the server already removed it)
                }
                panel = try await client.setSessionModels(as: user, sessionID: sessionID, models: models, expectedVersion: panel.version)
                writeCount += 1
                lastError = nil
                return
            } catch {
                if error.kind == .conflict, rebases < maxRebases {
                    rebases += 1
                    do {
                        panel = try await client.sessionModels(as: user, sessionID: sessionID)
                        continue
                    } catch {
                        restore(added: added, removed: removed)
                        lastError = error
                        throw error
                    }
                }
                restore(added: added, removed: removed)
                lastError = error
                throw error
            }
        }
    }

    /// Puts unwritten changes back under any newer ones (the newer intent wins).
    private func restore(added: [String], removed: Set<String>) {
        for model in added where !pendingRemoved.contains(model) && !pendingAdded.contains(model) {
            pendingAdded.append(model)
        }
        for model in removed where !pendingAdded.contains(model) {
            pendingRemoved.insert(model)
        }
    }

    // A FIFO lock: writes never overlap, and each waits for the one before.
    private func acquire() async {
        if !writing {
            writing = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            writing = false
        } else {
            waiters.removeFirst().resume()  // ownership passes to the next waiter
        }
    }
}
