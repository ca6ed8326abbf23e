import Foundation
import Testing
@testable import SDP

/// SDP files under Fixtures/ (see Fixtures/README.md for where each came from).
enum Fixture {
    static func location(_ name: String) -> URL? {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")
    }

    static func text(_ name: String) throws -> String {
        let url = try #require(location(name), "fixture \(name) missing")
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func parse(_ name: String) throws -> SessionDescription {
        try SessionDescription.parse(text(name))
    }

    /// Every .sdp file in the folder.
    static var all: [String] {
        guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.filter { $0.hasSuffix(".sdp") }.sorted()
    }
}

/// Parses `text`, expecting an error; returns it.
func parseError(_ text: String) -> SDPError? {
    do {
        _ = try SessionDescription.parse(text)
        return nil
    } catch {
        return error
    }
}
