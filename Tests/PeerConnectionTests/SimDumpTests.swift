import CallSimulation
import Foundation
import Testing
import VirtualNetwork

// LOCAL DIAGNOSTIC, not committed.
@Suite struct SimDumpTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SIM_LINK"] != nil)) func dump() async throws {
        let env = ProcessInfo.processInfo.environment
        let steps = try env["SIM_LINK"]!.split(separator: ";").map { part -> LinkScenario.Step in
            let bits = part.split(separator: "@")
            let at = bits.count > 1 ? Double(bits[1])! : 0
            return .init(at: .milliseconds(Int64(at * 1000)), conditions: try LinkSpec(parsing: String(bits[0])).conditions)
        }
        var c = SimulatedCall.Configuration(forward: LinkScenario(steps: steps), duration: .seconds(Int64(env["SIM_SECONDS"] ?? "20")!))
        if let k = env["SIM_CONSTRAINTS"] { c.constraints = k }
        let r = try await SimulatedCall.run(c)
        for s in r.samples {
            print(String(format: "t=%5.2f cap=%7d tgt=%8.0f est=%8.0f media=%8.0f rtx=%7.0f pad=%7.0f off=%8.0f fps=%4.1f dec=%4.1f %4dx%-4d fb=%6.0f q=%5.0f loss=%.2f %@ %@ pq=%3.0f",
                         s.t, s.capacityBps ?? -1, s.targetBitrate ?? -1, s.availableOutgoingBitrate ?? -1, s.mediaBps, s.retransmissionBps, s.paddingBps, s.offeredBps ?? -1,
                         s.framesPerSecondSent ?? -1, s.framesDecodedPerSecond, s.frameWidth ?? 0, s.frameHeight ?? 0, s.meanFrameBytes ?? -1, s.queueingDelayMaxMs ?? -1, s.linkLossRatio,
                         s.qualityLimitationReason ?? "-", s.bandwidthLimitedBy ?? "-", s.pacerQueuedPackets ?? -1))
        }
        var summary = r; summary.samples = []
        let e = JSONEncoder(); e.outputFormatting = .sortedKeys
        print(String(decoding: try e.encode(summary), as: UTF8.self))
    }
}
