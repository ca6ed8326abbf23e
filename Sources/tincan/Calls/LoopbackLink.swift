import Foundation
import NIOCore

/// Puts the emulated link between the two peers of `tincan loopback`: each side is told (in
/// the SDP it receives) that the other's only candidate is the other's stand-in socket on the
/// relay, so every ICE check and every media packet crosses the link.
enum LoopbackLink {
    struct Candidate: Equatable {
        var ip: String
        var port: Int
    }

    /// The address of the first UDP candidate in `sdp` (RFC 8839 §5.1:
    /// `a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...`).
    static func firstUDPCandidate(in sdp: String) -> Candidate? {
        for line in sdp.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let fields = candidateFields(line)
            if fields.count >= 8, fields[2].lowercased() == "udp", let port = Int(fields[5]) {
                return Candidate(ip: String(fields[4]), port: port)
            }
        }
        return nil
    }

    /// `sdp` with its first UDP candidate moved to `standIn` and every other candidate line
    /// removed (a second path would bypass the link).
    static func rewrite(_ sdp: String, to standIn: Candidate) -> String {
        var kept = false
        var lines: [String] = []
        for line in sdp.components(separatedBy: "\r\n") {
            var fields = candidateFields(Substring(line))
            guard !fields.isEmpty else { lines.append(line); continue }
            guard !kept, fields.count >= 8, fields[2].lowercased() == "udp" else { continue }
            fields[4] = Substring(standIn.ip)
            fields[5] = Substring(String(standIn.port))
            lines.append("a=" + fields.joined(separator: " "))
            kept = true
        }
        return lines.joined(separator: "\r\n")
    }

    private static func candidateFields(_ line: Substring) -> [Substring] {
        guard line.hasPrefix("a=candidate:") else { return [] }
        return line.dropFirst(2).split(separator: " ")
    }

    static func socketAddress(_ c: Candidate) throws -> SocketAddress {
        try SocketAddress(ipAddress: c.ip, port: c.port)
    }
}
