import Foundation
import Testing

/// `tincan loopback` through the emulated link, and `tincan link`'s usage, as a user runs them.
@Suite(.serialized) struct ThinLinkTests {
    @Test("tincan loopback --link 1mbit,40ms,1%: the call connects through the relay, decodes, and the link shows loss and queueing")
    func loopbackThroughLink() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("thin-link-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let timeline = dir.appendingPathComponent("timeline.json"), chart = dir.appendingPathComponent("chart.svg")
        let r = try TincanBinary.run(["loopback", "--duration", "6", "--link", "1mbit,40ms,1%", "--max-bitrate", "600000", "--json",
                                      "--timeline-json", timeline.path, "--chart", chart.path])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json, "no JSON report: \(r.stdout)")
        print("loopback through 1mbit,40ms,1%: \(r.stdout)")
        let decoded = j["videoFramesDecoded"] as? Double ?? 0
        #expect(decoded >= 60, "decoded \(decoded) frames in 6 s")
        let link = try #require(j["link"] as? [String: Any], "no link figures")
        let offered = link["datagramsOffered"] as? Double ?? 0
        let random = link["droppedRandom"] as? Double ?? 0
        #expect(offered > 300)
        // 1% random loss of what was offered (binomial, wide bounds).
        #expect(random >= 1 && random <= offered * 0.03)
        #expect((link["queueingDelayMaxMs"] as? Double ?? 0) > 0, "nothing ever queued at 1 Mbit/s")
        // The RTCP round trip includes the link's 40 ms.
        #expect((j["roundTripTimeMs"] as? Double ?? 0) >= 38)

        let t = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: timeline)) as? [String: Any])
        let samples = t["samples"] as? [[String: Any]] ?? []
        #expect(samples.count >= 15, "samples every 250 ms")
        #expect(samples.allSatisfy { $0["capacityKbps"] as? Double == 1000 })
        let summary = try #require(t["summary"] as? [String: Any])
        #expect((summary["decodedPercent"] as? Double ?? 0) > 80)
        let svg = try String(contentsOf: chart, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("link capacity") && svg.contains("queueing median"))
        // What limited the quality, per sample, and on the chart as a strip where it did.
        let reasons = samples.map { $0["qualityLimitationReason"] as? String }
        #expect(reasons.allSatisfy { ["none", "bandwidth", "cpu", "other"].contains($0 ?? "missing") }, "\(reasons)")
        for reason in ["bandwidth", "cpu"] where reasons.contains(reason) {
            #expect(svg.contains("limited: \(reason)"), "samples limited by \(reason), no strip on the chart")
        }
    }

    @Test("tincan link: a bad spec is a usage error naming the item; --help teaches the grammar")
    func linkUsage() throws {
        let bad = try TincanBinary.run(["link", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--link", "300kbt,100ms"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("'300kbt'"), "\(bad.stderr)")
        let help = try TincanBinary.run(["link", "--help"])
        #expect(help.stdout.contains("gilbert(") && help.stdout.contains("tincan link --listen"))
        let loopbackHelp = try TincanBinary.run(["loopback", "--help"])
        #expect(loopbackHelp.stdout.contains("--link") && loopbackHelp.stdout.contains("--chart"))
    }
}
