/// Link conditions that change over time: a list of steps, each in force from its `at` until
/// the next one. Lets a test or a benchmark cut the capacity mid-call (2 Mbit/s → 300 kbit/s
/// → 2 Mbit/s) and see how the sender's estimate follows.
public struct LinkScenario: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        /// Time since the start of the link (simulated time, or since the relay started).
        public var at: Duration
        public var conditions: LinkConditions

        public init(at: Duration, conditions: LinkConditions) {
            self.at = at
            self.conditions = conditions
        }
    }

    /// Sorted by `at` (stable: of two steps at the same time the later one wins).
    public private(set) var steps: [Step]

    /// The steps in any order; before the first step the first step's conditions hold.
    public init(steps: [Step]) {
        self.steps = steps.enumerated().sorted { a, b in
            a.element.at < b.element.at || (a.element.at == b.element.at && a.offset < b.offset)
        }.map(\.element)
    }

    /// Constant conditions.
    public init(_ conditions: LinkConditions) {
        self.steps = [Step(at: .zero, conditions: conditions)]
    }

    /// The conditions in force at `time`.
    public func conditions(at time: Duration) -> LinkConditions {
        steps[stepIndex(at: time)].conditions
    }

    /// The index of the step in force at `time` (0 before the first step).
    func stepIndex(at time: Duration) -> Int {
        var index = 0
        for (i, step) in steps.enumerated() where step.at <= time { index = i }
        return index
    }

    /// When the last change happens.
    public var lastChange: Duration { steps.last?.at ?? .zero }
}
