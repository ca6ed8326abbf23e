import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP socket for tests that must misbehave as no client library would: never
/// read, send half a request, pick the source address (127.0.0.N), speak WebSocket by hand.
final class RawSocket: @unchecked Sendable {
    let fd: Int32
    let timeout: Double
    private var pending: [UInt8] = []

    /// Connects to 127.0.0.1:`port` from `source` (any 127.0.0.0/8 address on Linux);
    /// `receiveBuffer` shrinks SO_RCVBUF (a peer that never reads then stops taking bytes soon).
    init(port: Int, source: String? = nil, timeout: Double = 5, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIFailure("socket: \(errno)") }
        self.timeout = timeout
        setReceiveTimeout(timeout)
        var tv = Self.timeval(timeout)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if let source {
            var local = Self.address(source, port: 0)
            let r = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard r == 0 else { Glibc.close(fd); throw CLIFailure("bind \(source): \(errno)") }
        }
        var remote = Self.address("127.0.0.1", port: port)
        let r = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { Glibc.close(fd); throw CLIFailure("connect: \(errno)") }
    }

    deinit { Glibc.close(fd) }

    static func timeval(_ seconds: Double) -> Glibc.timeval {
        Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
    }

    func setReceiveTimeout(_ seconds: Double) {
        var tv = Self.timeval(seconds)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<Glibc.timeval>.size))
    }

    static func address(_ ip: String, port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, ip, &a.sin_addr)
        return a
    }

    /// Sends everything; false when the peer closed or reset, or the send timed out.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Some bytes, or nil at the end of the stream, on error or on timeout.
    func receive() -> [UInt8]? {
        if !pending.isEmpty { defer { pending = [] }; return pending }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
        return n > 0 ? Array(buffer[0..<n]) : nil
    }

    /// Whether the peer closed the connection (EOF or reset) within the receive timeout,
    /// reading and discarding what comes before.
    func closedByPeer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n > 0 { continue }
            if n == 0 { return true }
            return errno == ECONNRESET
        }
    }

    /// Reads until the end of an HTTP response head; returns the head, keeps the rest.
    func readHead() -> String? {
        var data: [UInt8] = []
        while true {
            if let r = data.firstRange(of: [13, 10, 13, 10]) {
                pending = Array(data[r.upperBound...])
                return String(decoding: data[..<r.upperBound], as: UTF8.self)
            }
            guard let more = receive() else { return data.isEmpty ? nil : String(decoding: data, as: UTF8.self) }
            data += more
        }
    }

    /// Reads everything until the peer closes (an HTTP/1.1 response with Connection: close).
    func readAll() -> String {
        var data: [UInt8] = []
        while let more = receive() { data += more }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: WebSocket (RFC 6455), client side

    /// The upgrade request to `path`; true on `101 Switching Protocols`.
    func upgrade(path: String = "/ws") -> Bool {
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        guard send(request), let head = readHead() else { return false }
        return head.hasPrefix("HTTP/1.1 101")
    }

    /// One masked client frame (opcode 1 text, 0 continuation).
    static func frame(_ payload: [UInt8], opcode: UInt8 = 1, fin: Bool = true) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let n = payload.count
        if n < 126 { out.append(0x80 | UInt8(n)) }
        else if n < 65536 { out += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xFF)] }
        else { out.append(0x80 | 127); for i in (0..<8).reversed() { out.append(UInt8((n >> (8 * i)) & 0xFF)) } }
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
        return out
    }

    func sendText(_ text: String) -> Bool { send(Self.frame(Array(text.utf8))) }

    /// The next text message from the server (unmasked frames), or nil on close/timeout.
    func receiveText() -> String? {
        var data = pending
        pending = []
        while true {
            if data.count >= 2 {
                var length = Int(data[1] & 0x7F), offset = 2
                if length == 126, data.count >= 4 { length = Int(data[2]) << 8 | Int(data[3]); offset = 4 }
                else if length == 127, data.count >= 10 { length = data[2..<10].reduce(0) { $0 << 8 | Int($1) }; offset = 10 }
                if (length < 126 || offset > 2), data.count >= offset + length {
                    let opcode = data[0] & 0x0F
                    let payload = Array(data[offset..<(offset + length)])
                    data.removeFirst(offset + length)
                    if opcode == 8 { pending = data; return nil }
                    if opcode == 1 { pending = data; return String(decoding: payload, as: UTF8.self) }
                    continue  // ping, pong: skipped
                }
            }
            // A frame cut by the timeout stays for the next call.
            guard let more = receive() else { pending = data; return nil }
            data += more
        }
    }

    /// `receiveText` waiting at most `seconds` for this call.
    func receiveText(within seconds: Double) -> String? {
        setReceiveTimeout(seconds)
        defer { setReceiveTimeout(timeout) }
        return receiveText()
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
