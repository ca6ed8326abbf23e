import ICE
import PeerConnection
import Testing

/// `RTCConfiguration.iceServers` validated as WebRTC 1.0 §4.4.1.1 says, when the connection
/// is made.
@Suite struct RTCIceServerTests {
    func rejected(_ server: RTCIceServer) -> RTCError.Name? {
        var configuration = RTCConfiguration()
        configuration.iceServers = [server]
        do { _ = try RTCPeerConnection(configuration: configuration) } catch let error as RTCError { return error.name } catch {
            return nil
        }
        return nil
    }

    @Test func validation() throws {
        #expect(rejected(RTCIceServer(urls: "stun:stun.example.org")) == nil)
        #expect(rejected(RTCIceServer(urls: ["turn:192.0.2.1?transport=tcp", "turn:192.0.2.1"], username: "u", credential: "p")) == nil)
        #expect(rejected(RTCIceServer(urls: "turn:192.0.2.1")) == .invalidAccessError)
        #expect(rejected(RTCIceServer(urls: "turn:192.0.2.1", username: "u")) == .invalidAccessError)
        #expect(rejected(RTCIceServer(urls: "http://192.0.2.1")) == .notSupportedError)
        #expect(rejected(RTCIceServer(urls: "stun:")) == .syntaxError)
        #expect(rejected(RTCIceServer(urls: [String]())) == .syntaxError)
        let urls = try RTCIceServer(urls: "turn:[2001:db8::2]:3479?transport=tcp", username: "u", credential: "p").parsedURLs()
        #expect(urls.map(\.transport) == [.tcp] && urls.map(\.port) == [3479])
    }
}
