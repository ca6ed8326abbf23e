import Foundation

/// Offer and answer through two files (a shared folder, `scp`, a USB stick): the offerer
/// writes the offer file and waits for the answer file; the answerer waits for the offer
/// file and writes the answer file. Files are written whole under a temporary name and
/// renamed, so a reader never sees half of one; a file written another way is read once
/// its size stopped changing for one poll interval. The SDP is stored byte for byte.
public final class FileExchange: OfferExchange, OfferAnswering, Sendable {
    public let offerPath: String
    public let answerPath: String
    public let pollInterval: Duration
    public let timeout: Duration?

    public init(offerPath: String, answerPath: String, pollInterval: Duration = .milliseconds(200), timeout: Duration? = nil) {
        self.offerPath = offerPath
        self.answerPath = answerPath
        self.pollInterval = pollInterval
        self.timeout = timeout
    }

    /// Writes the offer (removing a stale answer first) and waits for the answer file.
    public func exchange(offer: String) async throws -> String {
        // A stale answer left in place would be read as the answer to this offer: absent is
        // fine, any other failure to remove it is an error.
        if FileManager.default.fileExists(atPath: answerPath) {
            do { try FileManager.default.removeItem(atPath: answerPath) } catch {
                throw SignalingError.misuse("cannot remove the stale answer \(answerPath): \(error.localizedDescription)")
            }
        }
        try Self.writeAtomically(offer, to: offerPath)
        return try await waitForFile(answerPath, what: "the answer")
    }

    public func receiveOffer() async throws -> String {
        try await waitForFile(offerPath, what: "the offer")
    }

    public func sendAnswer(_ sdp: String) async throws {
        try Self.writeAtomically(sdp, to: answerPath)
    }

    public func close() async throws {}

    static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw SignalingError.misuse("cannot rename \(temporary.path) to \(path): \(String(cString: strerror(errno)))")
            }
        } catch let error as SignalingError {
            // Best-effort cleanup of our temporary file: the error to report is `error`.
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            // Best-effort cleanup, as above.
            try? FileManager.default.removeItem(at: temporary)
            throw SignalingError.misuse("cannot write \(path): \(error.localizedDescription)")
        }
    }

    private func waitForFile(_ path: String, what: String) async throws -> String {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        var lastSize: Int? = nil
        while true {
            // Not there yet is the normal case while waiting; a file that stays unreadable
            // ends as the timeout below, which names the path.
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
               let size = (attributes[.size] as? NSNumber)?.intValue, size > 0 {
                if size == lastSize, let data = FileManager.default.contents(atPath: path) {
                    guard let text = String(data: data, encoding: .utf8) else {
                        throw SignalingError.blob("\(path) is not UTF-8 text, so it is not an SDP")
                    }
                    return text
                }
                lastSize = size
            }
            if let deadline, clock.now >= deadline {
                throw SignalingError.timeout("\(what) did not appear in \(path) within \(timeout ?? .zero)")
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}
