// A state machine whose states are an app's Swift enum (`enum Status: String, CaseIterable`):
// the states are written once, as the enum's cases, and the declaration names them by case, so a
// misspelled state does not compile. The rendered SQL is the same as for the same states written
// as strings (each case's raw value).

extension StateMachine {
    /// A state machine over `State`'s cases (by raw value).
    public init<State: RawRepresentable>(
        table: QualifiedName, column: String = "status", states: State.Type, initial: [State],
        transitions: [Transition], terminal: [State] = [], entering: [Entering] = []
    ) where State.RawValue == String {
        self.init(
            table: table, column: column, initial: initial.map(\.rawValue), transitions: transitions,
            terminal: terminal.map(\.rawValue), entering: entering)
    }

    /// States of `State` the machine never mentions, and states it mentions that `State` lacks;
    /// empty when the machine's states are exactly `State`'s cases.
    public func mismatches<State: RawRepresentable & CaseIterable>(with _: State.Type) -> [String]
    where State.RawValue == String {
        let cases = State.allCases.map(\.rawValue)
        return cases.filter { !states.contains($0) }.map { "state machine \(table).\(column): \($0) is not a state" }
            + states.filter { !cases.contains($0) }.map { "state machine \(table).\(column): \($0) is not a case of \(State.self)" }
    }
}

extension StateMachine.Transition {
    /// From any of `from` to `to`, named by case.
    public init<State: RawRepresentable>(
        from: [State], to: State, when: StateMachine.Guard? = nil, set: [StateMachine.Assignment] = []
    ) where State.RawValue == String {
        self.init(from: from.map(\.rawValue), to: to.rawValue, when: when, set: set)
    }
}

extension StateMachine.Entering {
    /// On every way into `state`, named by case.
    public init<State: RawRepresentable>(
        _ state: State, when: StateMachine.Guard? = nil, set: [StateMachine.Assignment] = []
    ) where State.RawValue == String {
        self.init(state.rawValue, when: when, set: set)
    }
}
