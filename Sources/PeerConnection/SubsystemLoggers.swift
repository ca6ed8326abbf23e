import Logging

/// The peer connection's logs, one swift-log `Logger` per subsystem (the application
/// bootstraps `LoggingSystem`; `tincan --log-level` does). The protocol cores below (RTP,
/// DTLS) do no I/O and log nothing: they count, and the glue here logs what they report.
/// Levels as the SSWG's guidelines for libraries have them: what happens, at debug and trace
/// (never into an application's log unasked); notice for a failure the API also reports;
/// warning for what is lost unless someone looks (a decoder that did not open).
enum Log {
    /// The DTLS handshake, flight by flight (RFC 6347 §4.2.4), and its outcome.
    static let dtls = Logger(label: "tincan.dtls")
    /// RTCP feedback sent and received (NACK, PLI, FIR, REMB, transport-cc), packets refused.
    static let rtp = Logger(label: "tincan.rtp")
    /// Signaling states, tracks, connection state and why it failed.
    static let peerConnection = Logger(label: "tincan.peerconnection")
    /// Decoders and encoders that fail to open or to decode.
    static let codecs = Logger(label: "tincan.codecs")
}
