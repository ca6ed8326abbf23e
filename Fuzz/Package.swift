// swift-tools-version: 6.1
// libFuzzer targets for every parser of outside input. Built only by
// scripts/fuzz (`swift build -sanitize=fuzzer,address`, scratch path .build-fuzz):
// a package of its own, so the main package's `swift build`/`swift test` never see these
// targets, and neither SwiftNIO nor Hummingbird is built with the fuzzer. `Sources` is a
// symlink to the main package's Sources: the parser modules are compiled from the same files.
import PackageDescription

func systemLibrary(_ name: String, pkgConfig: String?) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig)
}

/// One libFuzzer executable: Targets/NAME/main.swift defines LLVMFuzzerTestOneInput; libFuzzer
/// brings main, hence -parse-as-library.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies + ["FuzzSupport"], path: "Targets/\(name)",
                      swiftSettings: [.unsafeFlags(["-parse-as-library"])],
                      // lld: gold warns about every ASan symbol it cannot export.
                      linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
}

/// `scripts/fuzz` names each target by its key (`stun`, `rtp`, ...); the executable is Fuzz<Key>.
let fuzzTargets: [Target] = [
    fuzzTarget("FuzzSTUN", ["ICE"]),
    fuzzTarget("FuzzTURN", ["ICE", "NetworkPrimitives"]),
    fuzzTarget("FuzzRTP", ["RTP"]),
    fuzzTarget("FuzzRTCP", ["RTP"]),
    fuzzTarget("FuzzSDP", ["SDP", "PeerConnection"]),
    fuzzTarget("FuzzDTLS", ["ICE", "DTLS"]),
    fuzzTarget("FuzzSignalMessage", ["Signaling"]),
    fuzzTarget("FuzzCopyPaste", ["Signaling"]),
    fuzzTarget("FuzzY4M", ["MediaCapture"]),
    fuzzTarget("FuzzWAV", ["MediaCapture"]),
    fuzzTarget("FuzzIVF", ["MediaCodecs"]),
    fuzzTarget("FuzzOgg", ["MediaCodecs"]),
    fuzzTarget("FuzzDevices", ["MediaCapture"]),
    fuzzTarget("FuzzConstraints", ["MediaCapture", "MediaPrimitives"]),
]

let package = Package(
    name: "TincanFuzz",
    products: fuzzTargets.map { .executable(name: $0.name, targets: [$0.name]) },
    // swift-log: MediaCapture's microphone processing logs (tincan.capture).
    dependencies: [.package(url: "https://github.com/apple/swift-log", from: "1.6.0")],
    targets: [
        systemLibrary("COpenSSL", pkgConfig: "openssl"),
        systemLibrary("CVPX", pkgConfig: "vpx"),
        systemLibrary("COpus", pkgConfig: "opus"),
        systemLibrary("COgg", pkgConfig: "ogg"),
        systemLibrary("CYUV", pkgConfig: nil),
        systemLibrary("CZlib", pkgConfig: "zlib"),
        systemLibrary("CWebRTCAudioProcessing", pkgConfig: "webrtc-audio-processing"),
        // As in the main package: SwiftPM drops the .pc file's two defines, so they are repeated.
        .target(name: "CAudioProcessingShim", dependencies: ["CWebRTCAudioProcessing"], path: "Sources/CAudioProcessingShim",
                cxxSettings: [.define("WEBRTC_POSIX"), .define("WEBRTC_AUDIO_PROCESSING_ONLY_BUILD")]),
        .target(name: "AudioProcessing", dependencies: ["CAudioProcessingShim", "MediaPrimitives"], path: "Sources/AudioProcessing"),
        .target(name: "MediaPrimitives", dependencies: ["CYUV"], path: "Sources/MediaPrimitives"),
        .target(name: "MediaCapture", dependencies: ["MediaPrimitives", "AudioProcessing", .product(name: "Logging", package: "swift-log")],
                path: "Sources/MediaCapture"),
        .target(name: "MediaCodecs", dependencies: ["MediaPrimitives", "MediaCapture", "CVPX", "COpus", "COgg"], path: "Sources/MediaCodecs"),
        .target(name: "RTP", path: "Sources/RTP"),
        .target(name: "SDP", path: "Sources/SDP"),
        .target(name: "SRTP", dependencies: ["COpenSSL"], path: "Sources/SRTP"),
        .target(name: "DTLS", dependencies: ["COpenSSL", "SRTP"], path: "Sources/DTLS"),
        // ICE without its NIO driver (STUN, the TURN client and the RFC 7983 demultiplexer), Signaling without
        // its HTTP/WebSocket clients (the messages, the copy-and-paste blob), PeerConnection's
        // codec registry: Subsets/ holds symlinks to just those files.
        .target(name: "NetworkPrimitives", path: "Sources/NetworkPrimitives"),
        .target(name: "ICE", dependencies: ["COpenSSL", "CZlib", "NetworkPrimitives"], path: "Subsets/ICE"),
        .target(name: "Signaling", dependencies: ["CZlib"], path: "Subsets/Signaling"),
        // PeerConnection's codec registry alone (what the SDP target answers with), without
        // the connection and its NIO loop.
        .target(name: "PeerConnection", dependencies: ["SDP", "RTP", "MediaCodecs", "MediaCapture", "MediaPrimitives"],
                path: "Subsets/PeerConnection"),
        .target(name: "FuzzSupport", path: "Targets/FuzzSupport"),
    ] + fuzzTargets,
    swiftLanguageModes: [.v6]
)
