// swift-tools-version: 6.1
// Tincan: getUserMedia for Linux, VP8/Opus, and WebRTC transport. See README.md.
import PackageDescription

/// A system-library target found with pkg-config; `apt` names the Debian package.
func systemLibrary(_ name: String, pkgConfig: String?, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

/// The release builds of the two commands carry the Swift runtime and Foundation inside
/// (`-static-stdlib`): one file that runs on any Linux host with the C libraries, without the
/// Swift toolchain, and less to do at every start (no dynamic relocations of libswiftCore and
/// Foundation). lld packs the relative relocations (DT_RELR: 3 MB of .rela.dyn become 46 KB)
/// and nothing is exported (the static-stdlib default exports every symbol: 3.6 MB of .dynsym
/// and .dynstr). docs/performance.md has the figures. Debug builds (the tests) stay dynamic,
/// which links faster.
let staticSwiftRuntimeInRelease: [LinkerSetting] = [
    // The dynamic Foundation modules the code is compiled against name only the libraries
    // of the .so files; the static archives also need CoreFoundation and ICU.
    .unsafeFlags(["-static-stdlib", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims",
                  "-l_FoundationCollections", "-lswiftSynchronization",
                  "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
                 .when(platforms: [.linux], configuration: .release)),
]

/// `tincan`'s code laid out in the order of Sources/tincan/tincan.order: the functions its
/// calls run, next to each other (scripts/orderfile). The kernel maps code 64 KB at a time
/// (fault-around), so code scattered over the 28 MB of .text made most of it resident. lld
/// moves only functions that have a section of their own: most of the runtime's and
/// Foundation's do, and scripts/build-release compiles the package and its dependencies so
/// (`-function-sections`: a command-line flag, since unsafeFlags would keep the libraries
/// from being dependencies). What the file cannot list (functions with no symbol, helpers
/// every module has a copy of) goes together through unlisted-text.ld. docs/performance.md
/// has the figures.
let tincanCodeOrderInRelease: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/tincan/tincan.order",
                  // A function renamed since the file was made is not ordered, not an error.
                  "-Xlinker", "--no-warn-symbol-ordering",
                  "-Xlinker", "\(Context.packageDirectory)/Sources/tincan/unlisted-text.ld"],
                 .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "Tincan",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "MediaPrimitives", targets: ["MediaPrimitives"]),
        .library(name: "MediaCapture", targets: ["MediaCapture"]),
        .library(name: "MediaCodecs", targets: ["MediaCodecs"]),
        .library(name: "RTP", targets: ["RTP"]),
        .library(name: "ICE", targets: ["ICE"]),
        .library(name: "DTLS", targets: ["DTLS"]),
        .library(name: "SRTP", targets: ["SRTP"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "PeerConnection", targets: ["PeerConnection"]),
        .library(name: "Signaling", targets: ["Signaling"]),
        .executable(name: "tincan", targets: ["tincan"]),
        .executable(name: "tincan-signal", targets: ["tincan-signal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // TLS to TURN servers (turns:); already in the graph through async-http-client.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        // C libraries, one system-library target each (pkg-config; Debian provider named).
        systemLibrary("CVPX", pkgConfig: "vpx", apt: "libvpx-dev"),
        systemLibrary("COpus", pkgConfig: "opus", apt: "libopus-dev"),
        systemLibrary("COgg", pkgConfig: "ogg", apt: "libogg-dev"),
        systemLibrary("CSRTP", pkgConfig: "libsrtp2", apt: "libsrtp2-dev"),
        systemLibrary("COpenSSL", pkgConfig: "openssl", apt: "libssl-dev"),
        systemLibrary("CV4L2", pkgConfig: "libv4l2", apt: "libv4l-dev"),
        systemLibrary("CALSA", pkgConfig: "alsa", apt: "libasound2-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CWebRTCAudioProcessing", pkgConfig: "webrtc-audio-processing", apt: "libwebrtc-audio-processing-dev"),
        // The library is C++ only: a C face for Swift (the one C++ file of the package).
        // SwiftPM drops the -D flags of the .pc file (and warns "prohibited flag(s)" for them):
        // its two defines are repeated here. Its -I is needed: the headers include "webrtc/...".
        .target(name: "CAudioProcessingShim", dependencies: ["CWebRTCAudioProcessing"],
                cxxSettings: [.define("WEBRTC_POSIX"), .define("WEBRTC_AUDIO_PROCESSING_ONLY_BUILD")]),
        // SDL2's header only (sdl2.pc carries -D_REENTRANT, which SwiftPM refuses): the library is
        // opened with dlopen when a window opens (Sources/VideoWindow/SDLLibrary.swift).
        systemLibrary("CSDL2", pkgConfig: nil, apt: "libsdl2-dev"),
        // Debian's libyuv-dev ships no .pc file: the module map links it by name.
        systemLibrary("CYUV", pkgConfig: nil, apt: "libyuv-dev"),

        // What capture, codecs and the peer connection share: raw frames (I420, Int16 PCM),
        // crop-and-scale and decimation, the monotonic clock, JSON values, Y4M/WAV files.
        .target(name: "MediaPrimitives", dependencies: ["CYUV"]),
        // echoCancellation, noiseSuppression, autoGainControl: WebRTC's audio processing module.
        .target(name: "AudioProcessing", dependencies: ["CAudioProcessingShim", "MediaPrimitives"]),
        // getUserMedia: constraints, SelectSettings, tracks, permission, devices; a microphone
        // track's echoCancellation, noiseSuppression and autoGainControl through AudioProcessing
        // (its log: tincan.capture).
        .target(name: "MediaCapture", dependencies: [
            "MediaPrimitives", "AudioProcessing",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The echo and noise scenarios through a microphone track (a scripted device, the
        // caller's clock): the tests' and the benchmark's one copy.
        .target(name: "AudioProcessingScenarios", dependencies: ["MediaCapture", "AudioProcessing", "MediaPrimitives"]),
        // scripts/bench-apm: the scenarios' figures and CPU cost as JSON.
        .executableTarget(name: "audio-processing-bench", dependencies: ["AudioProcessingScenarios", "MediaCapture", "MediaPrimitives"],
                          path: "Sources/AudioProcessingBench"),
        // Real Linux devices: V4L2 cameras and ALSA microphones.
        // The ALSA audio output renders what it plays as the echo cancellers' far end (AudioProcessing).
        .target(name: "LinuxCapture", dependencies: ["MediaCapture", "MediaPrimitives", "AudioProcessing", "CV4L2", "CALSA"]),
        // VP8 and Opus, frame pacing, IVF/Ogg/WebM files; MediaCapture for the track's
        // settings and constraints only (the adaptation's bounds).
        .target(name: "MediaCodecs", dependencies: ["MediaPrimitives", "MediaCapture", "CVPX", "COpus", "COgg"]),
        // IP and transport addresses: the one definition ICE, the virtual network and the
        // peer connection share (Glibc only).
        .target(name: "NetworkPrimitives"),
        // RTP/RTCP packets, payload formats, NACK/RTX, jitter buffer; the virtual network.
        .target(name: "RTP"),
        .target(name: "VirtualNetwork", dependencies: ["NetworkPrimitives"]),
        // The emulated link on the real clock: a UDP relay (SwiftNIO) and scenario files.
        .target(name: "LinkEmulator", dependencies: [
            "VirtualNetwork",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // STUN and the ICE agent (sans-I/O core), UDP sockets on SwiftNIO.
        .target(name: "ICE", dependencies: [
            "COpenSSL", "CZlib", "NetworkPrimitives",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            // The driver's log (tincan.ice); the sans-I/O core counts instead.
            .product(name: "Logging", package: "swift-log"),
            // turns: (RFC 8656 §3.1): TLS on the driver's TCP connections to TURN servers.
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // DTLS 1.2 over OpenSSL memory BIOs; SRTP over OpenSSL's libcrypto (EVP).
        .target(name: "DTLS", dependencies: ["COpenSSL", "SRTP"]),
        .target(name: "SRTP", dependencies: ["COpenSSL"]),
        // Session descriptions (RFC 8866) and JSEP offer/answer (RFC 8829, RFC 3264); text only.
        .target(name: "SDP"),
        // RTCPeerConnection: tracks, encoders, RTP and the transport joined into calls.
        .target(name: "PeerConnection", dependencies: [
            "MediaCapture", "MediaPrimitives", "MediaCodecs", "RTP", "ICE", "DTLS", "SRTP", "SDP", "NetworkPrimitives",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // A whole call in simulated time: a simulated network for ICE, loop-paced fake
        // devices, two peer connections on a test event loop (tests and benchmarks).
        .target(name: "CallSimulation", dependencies: [
            "PeerConnection", "MediaCapture", "ICE", "VirtualNetwork", "NetworkPrimitives",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),

        // Playout of received video: a window (SDL2) on a thread of its own, fed through
        // latest-frame slots.
        .target(name: "VideoWindow", dependencies: [
            "CSDL2", "MediaPrimitives",
            .product(name: "Logging", package: "swift-log"),
        ]),

        .executableTarget(name: "tincan", dependencies: [
            "MediaCapture", "MediaPrimitives", "LinuxCapture", "MediaCodecs", "PeerConnection", "ICE", "Signaling",
            "LinkEmulator", "VirtualNetwork", "NetworkPrimitives", "VideoWindow", "AudioProcessing",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["tincan.order", "unlisted-text.ld"], linkerSettings: staticSwiftRuntimeInRelease + tincanCodeOrderInRelease),

        // Checks against real kernel drivers (vivid, snd-aloop) run inside the VM built by
        // scripts/vm/run-checks; Foundation-free so its library closure stays small.
        .executableTarget(
            name: "linux-capture-check", dependencies: ["LinuxCapture", "MediaCapture", "MediaPrimitives"],
            path: "Sources/LinuxCaptureCheck"),

        // Signaling: clients for rooms over WebSocket, WHIP (RFC 9725), copy-and-paste and
        // files; moves SDP text, never parses it. The server and CLI live under signaling/.
        .target(name: "Signaling", dependencies: [
            "CZlib", "NetworkPrimitives",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .target(name: "SignalingServer", dependencies: [
            "Signaling",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "signaling/Sources/SignalingServer"),
        .executableTarget(name: "tincan-signal", dependencies: [
            "Signaling", "SignalingServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "signaling/Sources/tincan-signal", linkerSettings: staticSwiftRuntimeInRelease),

        .testTarget(name: "MediaCaptureTests", dependencies: ["MediaCapture", "MediaPrimitives"]),
        .testTarget(name: "LinuxCaptureTests", dependencies: ["LinuxCapture", "MediaCapture", "MediaPrimitives", "AudioProcessing"]),
        .testTarget(name: "MediaCodecsTests", dependencies: ["MediaCodecs", "MediaCapture", "MediaPrimitives", "AllocationCounter"]),
        .testTarget(name: "RTPTests", dependencies: ["RTP", "VirtualNetwork", "NetworkPrimitives", "AllocationCounter"]),
        // The preloaded malloc counter as the *AllocationTests suites read it.
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "LinkEmulatorTests", dependencies: [
            "LinkEmulator", "VirtualNetwork",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "ICETests", dependencies: ["ICE", "VirtualNetwork", "NetworkPrimitives", "CoturnHarness",
                                                  .product(name: "NIOCore", package: "swift-nio")]),
        // coturn started by a test (STUN, or TURN with one user) and killed by its PID.
        .target(name: "CoturnHarness", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Tests/CoturnHarness"),
        .testTarget(name: "DTLSTests", dependencies: ["DTLS", "SRTP"]),
        // libsrtp2 as the reference implementation the SRTP tests compare against.
        .testTarget(name: "SRTPTests", dependencies: ["SRTP", "CSRTP", "AllocationCounter"]),
        // The module alone, and through a microphone track (AudioProcessingScenarios).
        .testTarget(name: "AudioProcessingTests", dependencies: ["AudioProcessing", "MediaPrimitives", "MediaCapture", "AudioProcessingScenarios"]),
        // PeerConnection for its codec registry: the offer tests exercise what the product offers.
        .testTarget(name: "SDPTests", dependencies: ["SDP", "RTP", "PeerConnection"], resources: [.copy("Fixtures")]),
        // MediaCodecs and LinuxCapture for the playout: Opus packets into the jitter buffer, and a
        // call's audio played through ALSA's file plugin.
        .testTarget(name: "PeerConnectionTests", dependencies: ["PeerConnection", "RTP", "MediaCapture", "MediaPrimitives", "ICE", "SDP", "CallSimulation", "VirtualNetwork", "NetworkPrimitives", "MediaCodecs", "LinuxCapture",
                                                                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]),
        // The transport joined: ICE, then DTLS on the selected pair, then SRTP-protected RTP.
        .testTarget(name: "TransportTests", dependencies: ["ICE", "DTLS", "SRTP", "RTP", "VirtualNetwork", "NetworkPrimitives"]),
        .testTarget(name: "TincanCLITests", dependencies: ["tincan", "MediaCapture", "MediaPrimitives", "MediaCodecs", "LinuxCapture", "CoturnHarness", "VideoWindow"]),
        // Links SDL2 (the binaries open it with dlopen) to check SDLLibrary's signatures against the header.
        .testTarget(name: "VideoWindowTests", dependencies: ["VideoWindow", "MediaPrimitives", "CSDL2"],
                    linkerSettings: [.linkedLibrary("SDL2")]),
        .testTarget(name: "SignalingTests", dependencies: [
            "Signaling", "SignalingServer", "tincan-signal",
            // A stand-in WHIP server that answers PATCH with 405 (TrickleTests).
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
