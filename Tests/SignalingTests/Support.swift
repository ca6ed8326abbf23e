import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import Signaling
import SignalingServer
import Synchronization
import Testing

/// A server on 127.0.0.1 and an ephemeral port, stopped at the end of `body`.
func withServer<T>(token: String? = nil, maxMessageBytes: Int = 64 * 1024, whipTimeout: Duration = .seconds(5),
                   _ body: (Int) async throws -> T) async throws -> T {
    let server = SignalServer(configuration: SignalServerConfiguration(
        listen: HostPort(host: "127.0.0.1", port: 0), token: token, maxMessageBytes: maxMessageBytes,
        whipAnswerTimeout: whipTimeout))
    let running = try await server.start()
    do {
        let result = try await body(running.port)
        await running.stop()
        return result
    } catch {
        await running.stop()
        throw error
    }
}

/// A WebSocket client that speaks raw text, to send what RoomClient never would.
final class RawPeer: Sendable {
    let incoming = Mailbox<String>()
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    init(port: Int) {
        let (stream, sink) = AsyncStream<String>.makeStream()
        outgoing = sink
        let incoming = self.incoming
        task = Task {
            do {
                try await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/ws", configuration: .init(maxFrameSize: 1 << 20),
                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
                ) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { for await text in stream { try await outbound.writeTextMessage(text) } }
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                if case .text(let t) = message { incoming.put(t) }
                            }
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                // The server refused or dropped the connection: the test sees it as a close.
            }
            incoming.fail(SignalingError.connectionClosed("raw peer closed"))
        }
    }

    func send(_ text: String) { outgoing.yield(text) }
    func send(_ message: SignalMessage) { outgoing.yield(message.jsonText()) }

    /// The next message from the server (fails the test's wait after 10 s).
    func next() async throws -> SignalMessage {
        try SignalMessage(jsonText: try await incoming.receive(timeout: .seconds(10), "a server message"))
    }

    /// Waits until the server closed the connection (true) or 5 s passed (false).
    func waitForClose() async -> Bool {
        let task = self.task
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await task.value; return true }
            group.addTask { try? await Task.sleep(for: .seconds(5)); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    func close() async {
        outgoing.finish()
        _ = await waitForClose()
        task.cancel()
    }
}

/// An HTTP request with AsyncHTTPClient: status, headers and body text.
func http(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let data = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), response.headers, String(buffer: data))
}

/// A browser-like SDP offer of about 5 KB (audio + video, CRLF line ends, as Chrome writes
/// them), to carry byte for byte.
let sampleOffer: String = {
    var lines = [
        "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
        "a=group:BUNDLE 0 1", "a=extmap-allow-mixed", "a=msid-semantic: WMS stream",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Xq7/", "a=ice-pwd:Wc8kMHoI2eKk0NlWHqRfK1M3", "a=ice-options:trickle",
        "a=fingerprint:sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08",
        "a=setup:actpass", "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=sendrecv", "a=msid:stream audio-track", "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc", "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000", "a=rtpmap:13 CN/8000", "a=rtpmap:110 telephone-event/48000", "a=rtpmap:126 telephone-event/8000",
        "a=ssrc:1001 cname:4TOk42mSjXCkVIa6", "a=ssrc:1001 msid:stream audio-track",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103 104 105 106 107 108 109", "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:Xq7/", "a=ice-pwd:Wc8kMHoI2eKk0NlWHqRfK1M3", "a=ice-options:trickle",
        "a=fingerprint:sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08",
        "a=setup:actpass", "a=mid:1", "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "a=extmap:13 urn:3gpp:video-orientation",
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
        "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
        "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space", "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        "a=sendrecv", "a=msid:stream video-track", "a=rtcp-mux", "a=rtcp-rsize",
    ]
    let codecs = ["VP8", "VP9", "AV1", "H264", "H264", "H264", "H264"]
    for (i, codec) in codecs.enumerated() {
        let pt = 96 + 2 * i
        lines += ["a=rtpmap:\(pt) \(codec)/90000", "a=rtcp-fb:\(pt) goog-remb", "a=rtcp-fb:\(pt) transport-cc",
                  "a=rtcp-fb:\(pt) ccm fir", "a=rtcp-fb:\(pt) nack", "a=rtcp-fb:\(pt) nack pli",
                  "a=rtpmap:\(pt + 1) rtx/90000", "a=fmtp:\(pt + 1) apt=\(pt)"]
        if codec == "H264" { lines.append("a=fmtp:\(pt) level-asymmetry-allowed=1;packetization-mode=\(i % 2);profile-level-id=42e01f") }
    }
    lines += ["a=ssrc-group:FID 2001 2002", "a=ssrc:2001 cname:4TOk42mSjXCkVIa6", "a=ssrc:2001 msid:stream video-track",
              "a=ssrc:2002 cname:4TOk42mSjXCkVIa6", "a=ssrc:2002 msid:stream video-track"]
    for i in 0..<12 {
        lines.append("a=candidate:\(1_000_000 + i) 1 udp \(2_122_260_223 - i) 192.0.2.\(10 + i) \(50_000 + i) typ host generation 0 network-id \(i + 1)")
    }
    return lines.joined(separator: "\r\n") + "\r\n"
}()

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("signaling-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs blocking work (a pipe read, a wait for a process) on a Dispatch thread. Swift's
/// cooperative pool has one thread per core (2 here), and the in-process server and clients
/// need them: a test that blocks them while waiting on a process that talks to that server
/// deadlocks (seen: the coprocess test hung under parallel tests).
@discardableResult
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
