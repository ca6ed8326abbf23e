import AudioProcessing

/// The settings dictionaries a device can produce, for SelectSettings step 3 ("for every
/// possible settings dictionary").
///
/// A camera's native modes give resizeMode "none" dictionaries. With "crop-and-scale" the
/// track may also crop and downscale (never upscale: §"VideoResizeModeEnum") and decimate
/// the frame rate (§"frameRate": "integral decimation of the native resolution frame rate"
/// MUST be supported; any lower rate is offered). That space is continuous, so it is sampled
/// at the points where the fitness distance can be smallest: the native values, every value
/// the constraints name, and the sizes that give each named aspect ratio.
enum Candidates {
    /// UA defaults used to break ties (§"SelectSettings", the note on default values).
    static let defaultWidth = 640.0, defaultHeight = 480.0, defaultFrameRate = 30.0

    static func video(_ devices: [any VideoCaptureDevice], constraints: MediaTrackConstraints) -> [SettingsCandidate] {
        let sets = [constraints.basic] + constraints.advanced
        func values(_ p: ConstrainableProperty) -> [Double] {
            var out: [Double] = []
            for s in sets {
                if case .numeric(let n)? = s[p] {
                    out += [n.bare, n.exact, n.ideal, n.min, n.max].compactMap { $0 }
                }
            }
            // At most 16 distinct values per property, so hostile constraints cannot make
            // the candidate space explode.
            var seen = Set<Double>()
            return Array(out.filter { seen.insert($0).inserted }.prefix(16))
        }
        let widths = values(.width) + [defaultWidth]
        let heights = values(.height) + [defaultHeight]
        let ratios = Array(values(.aspectRatio).filter { $0 > 0 && $0.isFinite }.prefix(8))
        let rates = values(.frameRate).filter { $0 > 0 } + [defaultFrameRate]
        let basic = constraints.basic
        func hasIdeal(_ p: ConstrainableProperty) -> Bool {
            switch basic[p] {
            case .numeric(let n)?: return n.ideal != nil || n.bare != nil
            default: return false
            }
        }
        // The 640x480 default applies only when the basic set says nothing about size;
        // otherwise the native aspect ratio decides the free dimension.
        let sizeFree = [ConstrainableProperty.width, .height, .aspectRatio].allSatisfy { p in basic[p].map { $0.isEmpty } ?? true }
        let rateFree = !hasIdeal(.frameRate)

        var out: [SettingsCandidate] = []
        for (di, device) in devices.enumerated() {
            let crop = device.resizeModes.contains("crop-and-scale")
            let allowNone = device.resizeModes.isEmpty || device.resizeModes.contains("none")
            // backgroundBlur: each value the camera can produce, off first (the UA default).
            let offered = [false, true].filter(device.backgroundBlur.contains)
            let blurs = offered.isEmpty ? [false] : offered
            for (mi, mode) in device.modes.enumerated() where mode.width > 0 && mode.height > 0 && mode.frameRate > 0 {
                func make(_ w: Int, _ h: Int, _ fps: Double, _ resize: String, _ blur: Bool) -> SettingsCandidate {
                    var s = MediaTrackSettings()
                    s[.deviceId] = .string(device.deviceId)
                    s[.groupId] = .string(device.groupId)
                    s[.width] = .number(Double(w))
                    s[.height] = .number(Double(h))
                    s[.aspectRatio] = .number(SelectSettings.aspect(w, h))
                    s[.frameRate] = .number(fps)
                    s[.resizeMode] = .string(resize)
                    if let f = device.facingMode { s[.facingMode] = .string(f) }
                    s[.backgroundBlur] = .bool(blur)
                    // Preference among equally fit candidates: close to 640x480 at 30 fps
                    // where the constraints leave it open, the native aspect ratio, native
                    // over cropped, then the first device and mode (the default device).
                    var d = 0.0
                    if sizeFree { d += rel(Double(w), defaultWidth) + rel(Double(h), defaultHeight) }
                    if rateFree { d += rel(fps, defaultFrameRate) }
                    d += 0.5 * rel(SelectSettings.aspect(w, h), SelectSettings.aspect(mode.width, mode.height))
                    let pref = [d, resize == "none" ? 0 : 1, blur ? 1 : 0, Double(di), Double(mi), -Double(w * h)]
                    return SettingsCandidate(settings: s, deviceIndex: di, videoMode: mode, audioMode: nil, preference: pref)
                }
                func add(_ w: Int, _ h: Int, _ fps: Double, _ resize: String) {
                    for blur in blurs { out.append(make(w, h, fps, resize, blur)) }
                }
                if allowNone { add(mode.width, mode.height, mode.frameRate, "none") }
                guard crop else { continue }
                let W = mode.width, H = mode.height
                let nativeRatio = Double(W) / Double(H)
                // Sizes: every named width with every named height, and each of them with the
                // other dimension that gives each named aspect ratio (and the native one).
                let baseW = Set(widths.map { clampSize($0, W) } + [W])
                let baseH = Set(heights.map { clampSize($0, H) } + [H])
                var pairs = Set<[Int]>()
                for r in ratios + [nativeRatio] {
                    for w in baseW { pairs.insert([w, clampSize((Double(w) / r).rounded(), H)]) }
                    for h in baseH { pairs.insert([clampSize((Double(h) * r).rounded(), W), h]) }
                }
                for w in baseW { for h in baseH { pairs.insert([w, h]) } }
                var fs = Set<Double>([mode.frameRate])
                for f in rates where f < mode.frameRate { fs.insert(f) }
                for n in 2...6 { fs.insert(mode.frameRate / Double(n)) }
                for p in pairs { for f in fs {
                    add(p[0], p[1], f, "crop-and-scale")
                } }
            }
        }
        return out
    }

    static func clampSize(_ v: Double, _ native: Int) -> Int {
        guard v.isFinite else { return native }
        return min(max(Int(v.rounded()), 1), native)
    }

    static func rel(_ a: Double, _ b: Double) -> Double {
        a == b ? 0 : abs(a - b) / max(abs(a), abs(b))
    }

    static func audio(_ devices: [any AudioCaptureDevice], constraints: MediaTrackConstraints) -> [SettingsCandidate] {
        let basic = constraints.basic
        func hasIdeal(_ p: ConstrainableProperty) -> Bool {
            switch basic[p] {
            case .numeric(let n)?: return n.ideal != nil || n.bare != nil
            case .boolean(let b)?: return b.ideal != nil || b.bare != nil
            default: return false
            }
        }
        var out: [SettingsCandidate] = []
        for (di, device) in devices.enumerated() {
            let caps = device.capabilities
            let def = device.defaultMode
            let processing = device.processingDefaults
            for rate in caps.sampleRates { for size in caps.sampleSizes { for ch in caps.channelCounts {
                // The track processes (MicrophoneProcessing) only what the library takes;
                // in any other format the audio is as the device gives it.
                let processable = AudioProcessingModule.supports(sampleRate: rate, channelCount: ch)
                func offered(_ values: [Bool]) -> [Bool] { processable ? values : values.filter { !$0 } }
                for ec in offered(caps.echoCancellation) { for agc in offered(caps.autoGainControl) { for ns in offered(caps.noiseSuppression) {
                    for latency in (caps.latencies.isEmpty ? [0.01] : caps.latencies) {
                        var s = MediaTrackSettings()
                        s[.deviceId] = .string(device.deviceId)
                        s[.groupId] = .string(device.groupId)
                        s[.sampleRate] = .number(Double(rate))
                        s[.sampleSize] = .number(Double(size))
                        s[.channelCount] = .number(Double(ch))
                        s[.echoCancellation] = .bool(ec)
                        s[.autoGainControl] = .bool(agc)
                        s[.noiseSuppression] = .bool(ns)
                        s[.latency] = .number(latency)
                        // Defaults: the device's own mode (system defaults), and the
                        // processing it asks for (on for a microphone in a room, off for a
                        // file or the synthetic tone: AudioProcessingDefaults).
                        var d = 0.0
                        if !hasIdeal(.sampleRate) { d += rel(Double(rate), Double(def.sampleRate)) }
                        if !hasIdeal(.sampleSize) { d += rel(Double(size), Double(def.sampleSize)) }
                        if !hasIdeal(.channelCount) { d += rel(Double(ch), Double(def.channelCount)) }
                        if !hasIdeal(.echoCancellation), ec != processing.echoCancellation { d += 1 }
                        if !hasIdeal(.autoGainControl), agc != processing.autoGainControl { d += 1 }
                        if !hasIdeal(.noiseSuppression), ns != processing.noiseSuppression { d += 1 }
                        let mode = AudioMode(sampleRate: rate, sampleSize: size, channelCount: ch)
                        out.append(SettingsCandidate(settings: s, deviceIndex: di, videoMode: nil, audioMode: mode,
                                                     preference: [d, Double(di)]))
                    }
                } } }
            } } }
        }
        return out
    }
}
