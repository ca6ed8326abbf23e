import MediaCodecs
import Foundation
import ICE
import MediaPrimitives
import RTP

/// `getStats()` (WebRTC 1.0 §8, names from W3C webrtc-stats): one entry per object, keyed
/// by id, each with `type`, `id`, `timestamp` and the members of its dictionary.
public struct RTCStatsReport: Sendable {
    public struct Entry: Sendable {
        public var id: String
        public var type: String
        public var timestamp: Double
        public var members: [(String, JSONValue)]

        public subscript(_ name: String) -> JSONValue? { members.first { $0.0 == name }?.1 }

        public var json: JSONValue {
            .object([("id", .string(id)), ("type", .string(type)), ("timestamp", .number(timestamp))] + members)
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public func first(type: String, kind: String? = nil) -> Entry? {
        entries.first { e in
            e.type == type && (kind == nil || e["kind"].map { $0 == .string(kind ?? "") } == true)
        }
    }

    public var json: JSONValue { .array(entries.map(\.json)) }
}

extension RTCPeerConnection {
    /// The stats of this connection now: codec, outbound-rtp, remote-inbound-rtp,
    /// media-source, inbound-rtp, transport, candidate-pair and its local-candidate and
    /// remote-candidate.
    public func getStats() -> RTCStatsReport {
        let snap = snapshot
        let now = Date().timeIntervalSince1970 * 1000
        var entries: [RTCStatsReport.Entry] = []
        func n(_ v: some BinaryInteger) -> JSONValue { .number(Double(v)) }
        for t in snap.transceivers {
            let kind = t.kind.rawValue
            if let p = t.sendParameters, let sender = t.sender, let st = sender.statistics {
                let codecId = "COT_\(p.payloadType)"
                entries.append(.init(id: codecId, type: "codec", timestamp: now, members: [
                    ("payloadType", n(p.payloadType)), ("mimeType", .string("\(kind)/\(p.codecName)")),
                    ("clockRate", n(p.clockRate)), ("transportId", .string("T01"))]))
                var out: [(String, JSONValue)] = [
                    ("ssrc", n(p.ssrc)), ("kind", .string(kind)), ("mid", .string(p.mid ?? "")),
                    ("transportId", .string("T01")), ("codecId", .string(codecId)), ("mediaSourceId", .string("SO_\(p.ssrc)")),
                    ("remoteId", .string("RI_\(p.ssrc)")),
                    ("packetsSent", n(st.outbound.packetsSent)), ("bytesSent", n(st.outbound.bytesSent)),
                    ("headerBytesSent", n(st.outbound.headerBytesSent)),
                    ("retransmittedPacketsSent", n(st.outbound.retransmittedPacketsSent)),
                    ("retransmittedBytesSent", n(st.outbound.retransmittedBytesSent)),
                    ("nackCount", n(st.outbound.nackCount))]
                if t.kind == .video {
                    out += [("framesSent", n(st.framesSent)), ("framesEncoded", n(st.framesSent)),
                            ("keyFramesEncoded", n(st.keyFramesSent)), ("qpSum", n(st.qpSum)), ("frameWidth", n(st.width)),
                            ("frameHeight", n(st.height)), ("framesPerSecond", n(st.framesPerSecond)),
                            ("pliCount", n(st.outbound.pliCount)), ("firCount", n(st.outbound.firCount)),
                            ("framesDropped", n(st.encoderDrops)),
                            ("qualityLimitationReason", .string(st.qualityLimitationReason.rawValue)),
                            ("qualityLimitationDurations", .object(QualityLimitationReason.allCases.map {
                                ($0.rawValue, .number(st.qualityLimitationDurations[$0] ?? 0)) })),
                            ("qualityLimitationResolutionChanges", n(st.qualityLimitationResolutionChanges)),
                            // Not webrtc-stats members: frames the adaptation left out, the encoder's bitrate.
                            ("framesDecimated", n(st.framesDecimated))]
                }
                // Not webrtc-stats members either: what the encoder is set to do about loss
                // and congestion (Opus's expected loss and FEC, libvpx's frame dropping).
                if let v = st.opusPacketLossPercent { out.append(("opusPacketLossPerc", n(v))) }
                if let v = st.opusInbandFEC { out.append(("opusInbandFec", .bool(v))) }
                if let v = st.encoderFrameDropping { out.append(("encoderFrameDropping", .bool(v))) }
                // Measured by the worker only: absent, not 0, when encoding inline in simulated time.
                if t.kind == .video, let v = st.totalEncodeTime { out.append(("totalEncodeTime", .number(v))) }
                out.append(("targetBitrate", n(st.targetBitrate)))
                entries.append(.init(id: "OT_\(p.ssrc)", type: "outbound-rtp", timestamp: now, members: out))
                var remote: [(String, JSONValue)] = [
                    ("ssrc", n(p.ssrc)), ("kind", .string(kind)), ("localId", .string("OT_\(p.ssrc)")),
                    ("packetsLost", n(st.remote.packetsLost)), ("fractionLost", .number(st.remote.fractionLost)),
                    ("jitter", .number(st.remote.jitter)), ("reportsReceived", n(st.remote.reportsReceived))]
                if let rtt = st.remote.roundTripTime { remote.append(("roundTripTime", .number(rtt))) }
                entries.append(.init(id: "RI_\(p.ssrc)", type: "remote-inbound-rtp", timestamp: now, members: remote))
                let settings = sender.track.getSettings()
                var source: [(String, JSONValue)] = [("kind", .string(kind)), ("trackIdentifier", .string(sender.track.id))]
                if t.kind == .video {
                    source += [("width", n(settings.width ?? 0)), ("height", n(settings.height ?? 0)),
                               ("framesPerSecond", .number(settings.frameRate ?? 0))]
                }
                entries.append(.init(id: "SO_\(p.ssrc)", type: "media-source", timestamp: now, members: source))
            }
            if let p = t.receiveParameters, let receiver = t.receiver {
                let st = receiver.statistics
                var inbound: [(String, JSONValue)] = [
                    ("ssrc", n(st.rtp.ssrc)), ("kind", .string(kind)), ("mid", .string(p.mid ?? "")),
                    ("transportId", .string("T01")), ("codecId", .string("CIT_\(p.payloadType)")),
                    ("packetsReceived", n(st.rtp.packetsReceived)), ("packetsLost", n(st.rtp.packetsLost)),
                    ("jitter", .number(st.rtp.jitter)), ("bytesReceived", n(st.rtp.bytesReceived)),
                    ("headerBytesReceived", n(st.rtp.headerBytesReceived)),
                    ("packetsDiscarded", n(st.rtp.packetsDiscarded + (st.playout?.packetsDiscardedLate ?? 0))), ("nackCount", n(st.rtp.nackCount)),
                    ("retransmittedPacketsReceived", n(st.rtp.retransmittedPacketsReceived))]
                if t.kind == .video {
                    inbound += [("framesDecoded", n(st.framesDecoded)), ("keyFramesDecoded", n(st.keyFramesDecoded)),
                                ("framesReceived", n(st.rtp.framesReceived)), ("framesDropped", n(st.rtp.framesDropped)),
                                ("frameWidth", n(st.frameWidth)), ("frameHeight", n(st.frameHeight)),
                                ("framesPerSecond", n(st.framesPerSecond)), ("pliCount", n(st.rtp.pliCount)),
                                ("firCount", n(st.rtp.firCount))]
                } else if let a = st.playout {
                    inbound += Self.playoutMembers(a)
                } else {
                    inbound += [("totalSamplesReceived", n(st.audioSamples))]
                }
                // Not webrtc-stats members: each way a packet or frame of this stream was dropped
                // on the receive path (SRTP, RTP parsing, depacketization, the decoder).
                inbound += [("srtpUnprotectFailures", n(st.srtpUnprotectFailures)), ("packetsMalformed", n(st.packetsMalformed)),
                            ("framesDroppedMalformed", n(st.rtp.framesDroppedMalformed)),
                            ("framesAwaitingKeyframe", n(st.framesAwaitingKeyframe)),
                            ("framesWithoutDecoder", n(st.framesWithoutDecoder)), ("framesDecodeFailed", n(st.decodeErrors))]
                // Not a webrtc-stats member: capture-to-decode delay by the sender's SR mapping,
                // what lip sync is judged by (capture to playout for audio that plays).
                if let latency = st.latency { inbound.append(("captureToDecodeDelay", .number(latency))) }
                entries.append(.init(id: "IT_\(p.ssrc)_\(kind)", type: "inbound-rtp", timestamp: now, members: inbound))
                entries.append(.init(id: "CIT_\(p.payloadType)", type: "codec", timestamp: now, members: [
                    ("payloadType", n(p.payloadType)), ("mimeType", .string("\(kind)/\(p.codecName)")),
                    ("clockRate", n(p.clockRate)), ("transportId", .string("T01"))]))
            }
        }
        if let transport = snap.transport {
            let c = transport.counters
            entries.append(.init(id: "T01", type: "transport", timestamp: now, members: [
                ("dtlsState", .string(transport.state.rawValue)), ("iceState", .string(snap.iceState.rawValue)),
                ("iceLocalUsernameFragment", .string(snap.localUfrag ?? "")),
                ("bytesSent", n(c.bytesSent)), ("bytesReceived", n(c.bytesReceived)),
                ("packetsSent", n(c.packetsSent)), ("packetsReceived", n(c.packetsReceived)),
                ("srtpUnprotectFailures", n(c.unprotectFailures)),
                // Not webrtc-stats members: every other drop on the transport, by reason.
                ("srtpSendFailures", n(c.sendFailures)), ("earlyMediaDropped", n(c.earlyDrops)),
                ("rtpPacketsMalformed", n(snap.undecodableRTP)), ("rtpPacketsUnrouted", n(snap.unroutableRTP)),
                ("rtcpPacketsMalformed", n(snap.undecodableRTCP)),
                ("stunMessagesMalformed", n(snap.ice.malformedSTUNMessages)),
                ("stunMethodsUnsupported", n(snap.ice.unsupportedSTUNMethods)),
                ("stunResponsesUnmatched", n(snap.ice.unmatchedSTUNResponses)),
                ("stunResponsesUnauthenticated", n(snap.ice.unauthenticatedSTUNResponses)),
                ("datagramsFromUnknownSources", n(snap.ice.unknownSourceDatagrams)),
                ("datagramSendFailures", n(snap.ice.datagramSendFailures)),
                ("dtlsRole", .string(transport.dtls.role == .client ? "client" : "server")),
                ("selectedCandidatePairId", .string("CP01"))] + Self.pipelineMembers(snap.media)))
            var pair: [(String, JSONValue)] = [("transportId", .string("T01")), ("state", .string(snap.iceState == .connected ? "succeeded" : "in-progress")),
                                               ("nominated", .bool(snap.iceState == .connected))]
            if let p = snap.selectedPair {
                pair += [("localCandidateId", .string("CL01")), ("remoteCandidateId", .string("CR01")),
                         ("description", .string(p.description))]
                entries.append(.init(id: "CL01", type: "local-candidate", timestamp: now, members: Self.candidateMembers(p.validLocal)))
                entries.append(.init(id: "CR01", type: "remote-candidate", timestamp: now, members: Self.candidateMembers(p.remote)))
            }
            let rtts = snap.transceivers.compactMap { $0.sender?.statistics?.remote.roundTripTime }
            if let rtt = rtts.first { pair.append(("currentRoundTripTime", .number(rtt))) }
            if let m = snap.media {
                // webrtc-stats §"RTCIceCandidatePairStats": the estimator's target for all streams.
                pair.append(("availableOutgoingBitrate", n(m.target.targetBitrate)))
                if let r = m.receiveEstimate { pair.append(("availableIncomingBitrate", n(r))) }
            }
            entries.append(.init(id: "CP01", type: "candidate-pair", timestamp: now, members: pair))
        }
        return RTCStatsReport(entries: entries)
    }

    /// webrtc-stats §"RTCIceCandidateStats": one candidate of the selected pair (the local one
    /// as the valid pair has it: server-reflexive behind a NAT, not its host base).
    static func candidateMembers(_ c: ICECandidate) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("transportId", .string("T01")), ("address", .string("\(c.address.ip)")), ("port", .number(Double(c.address.port))),
            ("protocol", .string(c.transport.lowercased())), ("candidateType", .string(c.type.rawValue)),
            ("priority", .number(Double(c.priority))), ("foundation", .string(c.foundation))]
        if let r = c.relatedAddress {
            members += [("relatedAddress", .string("\(r.ip)")), ("relatedPort", .number(Double(r.port)))]
        }
        return members
    }

    /// Not webrtc-stats members: what the transport's pipeline did (its drops included, so
    /// nothing is dropped unseen).
    static func pipelineMembers(_ m: MediaTransport.Statistics?) -> [(String, JSONValue)] {
        guard let m else { return [] }
        func n(_ v: some BinaryInteger) -> JSONValue { .number(Double(v)) }
        let t = m.transport, p = t.pacer
        return [
            ("targetBitrate", n(m.target.targetBitrate)), ("pacingRate", n(m.target.pacingRate)),
            ("bandwidthLimitedBy", .string("\(m.target.limitedBy)")),
            ("pacerQueuedPackets", n(m.queuedPackets)),
            ("pacerPacketsDroppedQueueFull", n(p.packetsDroppedQueueFull)),
            ("pacerStaleRetransmissionsDropped", n(p.staleRetransmissionsDropped)),
            ("paddingBytesSent", n(p.paddingBytesSent)), ("probePacketsSent", n(p.probePacketsSent)),
            ("retransmissionsRefusedOverBudget", n(t.nack.refusedOverBudget)), ("retransmissionsRefusedTooOld", n(t.nack.refusedTooOld)),
            ("transportFeedbackSent", n(t.transportFeedbackSent)), ("transportFeedbackReceived", n(t.transportFeedbackReceived)),
            ("rembSent", n(t.rembSent)), ("rembReceived", n(t.rembReceived)),
            ("senderReportsSent", n(t.senderReportsSent)), ("rtpSendErrors", n(m.sendErrors)),
        ] + estimatorMembers(m.estimator)
    }

    /// The GCC parts: delay-based and loss-based estimates, the acknowledged rate, the
    /// detector's state against its adaptive threshold (draft-ietf-rmcat-gcc-02 §5).
    static func estimatorMembers(_ e: GoogleCongestionController?) -> [(String, JSONValue)] {
        guard let e else { return [] }
        let d = e.delayBasedEstimator
        var members: [(String, JSONValue)] = [
            ("delayBasedBitrate", .number(Double(d.estimate))),
            ("lossBasedBitrate", .number(Double(e.lossBasedEstimator.currentTarget))),
            ("delayState", .string("\(d.state)")), ("rateControlState", .string("\(d.rateControl.state)")),
            ("delayTrend", .number(d.trendline.modifiedTrend)), ("delayThreshold", .number(d.trendline.detector.threshold)),
            ("lossFraction", .number(e.lossBasedEstimator.averageLoss)),
            ("bytesInFlight", .number(Double(e.dataInFlight))),
            ("packetsUnreported", .number(Double(e.feedbackAdapter.statistics.packetsUnreported))),
            ("transportFeedbackLost", .number(Double(e.feedbackAdapter.statistics.feedbacksLost))),
        ]
        if let acked = e.acknowledgedBitrate { members.append(("acknowledgedBitrate", .number(Double(acked)))) }
        return members
    }
}
