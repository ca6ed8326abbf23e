import Foundation
import VirtualNetwork

/// A scenario file: link conditions over time, and optionally how long to run and what to
/// capture, so one file names a whole benchmark run.
///
///     {"description": "capacity drop",
///      "duration": 60,
///      "constraints": {"video": {"width": 640, "height": 480}, "audio": true},
///      "steps": [{"at": 0, "link": "2mbit,50ms"},
///                {"at": 15, "link": "300kbit,50ms"},
///                {"at": 35, "link": "2mbit,50ms"}]}
///
/// `at` is seconds from the start; `link` is a `LinkSpec` line, applied to each direction.
public struct LinkScenarioFile: Sendable {
    public struct Step: Sendable {
        public var at: Double
        public var spec: LinkSpec
    }

    public var description: String?
    /// Seconds to run, if the file says.
    public var duration: Double?
    /// MediaStreamConstraints as JSON text, if the file says.
    public var constraints: String?
    public var steps: [Step]

    public var scenario: LinkScenario {
        LinkScenario(steps: steps.map { .init(at: .nanoseconds(Int64(($0.at * 1e9).rounded())), conditions: $0.spec.conditions) })
    }

    /// One spec for the whole run.
    public init(spec: LinkSpec) {
        steps = [Step(at: 0, spec: spec)]
    }

    public init(contentsOf path: String) throws(LinkScenarioFileError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LinkScenarioFileError("cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(json: data)
    }

    public init(json data: Data) throws(LinkScenarioFileError) {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw LinkScenarioFileError("not JSON: \(error.localizedDescription)")
        }
        guard let top = object as? [String: Any] else { throw LinkScenarioFileError("the top level must be an object with \"steps\"") }
        for key in top.keys where !["description", "duration", "constraints", "steps"].contains(key) {
            throw LinkScenarioFileError("unknown key \"\(key)\" (description, duration, constraints, steps)")
        }
        if let d = top["description"] {
            guard let text = d as? String else { throw LinkScenarioFileError("\"description\" must be a string") }
            description = text
        }
        if let d = top["duration"] {
            guard let seconds = (d as? NSNumber)?.doubleValue, seconds > 0, seconds <= 86_400 else {
                throw LinkScenarioFileError("\"duration\" must be seconds, more than 0 and at most 86400")
            }
            duration = seconds
        }
        if let c = top["constraints"] {
            guard c is [String: Any], let text = try? JSONSerialization.data(withJSONObject: c, options: [.sortedKeys]) else {
                throw LinkScenarioFileError("\"constraints\" must be an object (MediaStreamConstraints)")
            }
            constraints = String(decoding: text, as: UTF8.self)
        }
        guard let list = top["steps"] as? [Any], !list.isEmpty else {
            throw LinkScenarioFileError("\"steps\" must be a non-empty array of {\"at\": seconds, \"link\": spec}")
        }
        steps = []
        for (i, item) in list.enumerated() {
            guard let step = item as? [String: Any], let at = (step["at"] as? NSNumber)?.doubleValue,
                  let line = step["link"] as? String, step.count == 2 else {
                throw LinkScenarioFileError("step \(i + 1): must be {\"at\": seconds, \"link\": \"spec\"}")
            }
            guard at >= 0, at.isFinite else { throw LinkScenarioFileError("step \(i + 1): \"at\" must be 0 or more seconds") }
            if let previous = steps.last, at <= previous.at {
                throw LinkScenarioFileError("step \(i + 1): \"at\" \(at) is not after the step before (\(previous.at))")
            }
            do { steps.append(Step(at: at, spec: try LinkSpec(parsing: line))) } catch {
                throw LinkScenarioFileError("step \(i + 1) (at \(at) s): \(error)")
            }
        }
    }

    /// The link rate each direction has from each step on (bit/s; nil unlimited), for charts.
    public var capacitySteps: [(at: Double, bitsPerSecond: Int?)] {
        steps.map { ($0.at, $0.spec.conditions.bandwidth) }
    }
}

public struct LinkScenarioFileError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}
