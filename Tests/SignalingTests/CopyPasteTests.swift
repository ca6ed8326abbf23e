import Foundation
@testable import Signaling
import Synchronization
import Testing

/// The copy-and-paste blob: byte-exact, short lines, and every kind of damage named.
@Suite struct CopyPasteTests {
    @Test("CRC-32 check value (\"123456789\" -> cbf43926) and RFC 4648 §10 base64 vectors in the url alphabet")
    func vectors() {
        #expect(CopyPasteBlob.crc32Hex(Array("123456789".utf8)) == "cbf43926")
        #expect(CopyPasteBlob.crc32Hex(Array("".utf8)) == "00000000")
        let cases = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in cases {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("Zm9v+") == nil)
        #expect(Base64URL.decode("Z") == nil)
    }

    @Test("a 5 KB SDP round-trips byte for byte in numbered lines far below 4096 bytes")
    func roundTrip() throws {
        #expect(sampleOffer.utf8.count > 5000)
        let lines = CopyPasteBlob.encode(sampleOffer, kind: "offer")
        #expect(lines.count == 7)
        for (i, line) in lines.enumerated() {
            #expect(line.utf8.count < 1100)
            #expect(line.hasPrefix("TINCAN1 offer \(i + 1)/\(lines.count) \(sampleOffer.utf8.count) "))
        }
        let decoded = try CopyPasteBlob.decode("$ some prompt\n\n" + lines.joined(separator: "\n") + "\n", expecting: "offer")
        #expect(decoded.kind == "offer")
        #expect(Array(decoded.sdp.utf8) == Array(sampleOffer.utf8))
        // Pasted with CRLF and indentation, too.
        let indented = lines.map { "   " + $0 + " " }.joined(separator: "\r\n")
        #expect(try CopyPasteBlob.decode(indented).sdp == sampleOffer)
    }

    func error(_ text: String, expecting kind: String? = nil) -> String {
        do {
            _ = try CopyPasteBlob.decode(text, expecting: kind)
            return "(decoded without error)"
        } catch {
            return "\(error)"
        }
    }

    @Test("a missing chunk is named")
    func missingChunk() {
        var lines = CopyPasteBlob.encode(sampleOffer, kind: "offer")
        lines.remove(at: 3)
        #expect(error(lines.joined(separator: "\n")).contains("chunk 4/7 is missing"))
        let last = CopyPasteBlob.encode(sampleOffer, kind: "offer").dropLast()
        #expect(error(last.joined(separator: "\n")).contains("chunk 7/7 is missing"))
    }

    @Test("swapped chunks are named as out of order")
    func swappedChunks() {
        var lines = CopyPasteBlob.encode(sampleOffer, kind: "offer")
        lines.swapAt(1, 2)
        let message = error(lines.joined(separator: "\n"))
        #expect(message.contains("chunk 2/7 is missing or out of order"), "\(message)")
        #expect(message.contains("chunk 3/7 arrived"))
    }

    @Test("a changed character, a cut line, a repeated line, and lines from two blobs are each named")
    func damage() {
        let lines = CopyPasteBlob.encode(sampleOffer, kind: "offer")
        var changed = lines
        var bytes = Array(changed[2].utf8)
        bytes[bytes.count - 10] = bytes[bytes.count - 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        changed[2] = String(decoding: bytes, as: UTF8.self)
        #expect(error(changed.joined(separator: "\n")).contains("chunk 3/7 is damaged"))

        var cut = lines
        cut[4] = String(cut[4].dropLast(200))
        #expect(error(cut.joined(separator: "\n")).contains("chunk 5/7 was cut"))

        var notBase64 = lines
        notBase64[0] = String(notBase64[0].dropLast()) + "+"
        #expect(error(notBase64.joined(separator: "\n")).contains("not base64url"))

        var repeated = lines
        repeated.insert(lines[1], at: 2)
        #expect(error(repeated.joined(separator: "\n")).contains("chunk 2/7 appears twice"))

        let other = CopyPasteBlob.encode(sampleOffer.replacingOccurrences(of: "Xq7/", with: "Zz9/"), kind: "offer")
        let mixed = Array(lines[0..<3]) + Array(other[3...])
        #expect(error(mixed.joined(separator: "\n")).contains("belongs to another blob"))

        #expect(error(lines.joined(separator: "\n"), expecting: "answer").contains("an answer is expected"))
        #expect(error("nothing here").contains("no TINCAN1 lines"))
    }

    @Test("CopyPasteExchange: each side prints its blob, reads the other's, and asks again for a damaged line")
    func interactiveExchange() async throws {
        let answer = "v=0\r\ns=answer\r\n"
        let answerLines = CopyPasteBlob.encode(answer, kind: "answer")
        var damaged = Array(answerLines[0].utf8)
        damaged[damaged.count - 1] = damaged.last == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        // The person pastes a damaged line, then the good one.
        let script = Mutex(["some noise", String(decoding: damaged, as: UTF8.self), answerLines[0]])
        let printed = Mutex("")
        let offerer = CopyPasteExchange(readLine: { script.withLock { $0.isEmpty ? nil : $0.removeFirst() } },
                                        write: { text in printed.withLock { $0 += text } })
        #expect(try await offerer.exchange(offer: sampleOffer) == answer)
        let output = printed.withLock { $0 }
        let shown = output.split(separator: "\n").filter { $0.hasPrefix("TINCAN1 offer ") }.joined(separator: "\n")
        #expect(try CopyPasteBlob.decode(shown).sdp == sampleOffer)
        #expect(output.contains("chunk 1/1 is damaged"))

        // The answering side reads what the offerer printed.
        let offerLines = Mutex(output.split(separator: "\n").map(String.init))
        let answerer = CopyPasteExchange(readLine: { offerLines.withLock { $0.isEmpty ? nil : $0.removeFirst() } }, write: { _ in })
        #expect(try await answerer.receiveOffer() == sampleOffer)

        // Input that ends early says what is missing.
        let partial = Mutex(Array(CopyPasteBlob.encode(sampleOffer, kind: "offer").prefix(2)))
        let early = CopyPasteExchange(readLine: { partial.withLock { $0.isEmpty ? nil : $0.removeFirst() } }, write: { _ in })
        await #expect(throws: SignalingError.blob("the input ended after chunk 2/7 of the offer: chunks 3/7 to 7/7 are missing; copy the whole blob")) {
            _ = try await early.receiveOffer()
        }
    }

    @Test("FileExchange: the offerer writes the offer file and reads the answer file the answerer writes")
    func fileExchange() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let offerPath = dir.appendingPathComponent("offer.sdp").path, answerPath = dir.appendingPathComponent("answer.sdp").path
        let answer = "v=0\r\ns=from file\r\n"
        let offerer = FileExchange(offerPath: offerPath, answerPath: answerPath, pollInterval: .milliseconds(20), timeout: .seconds(20))
        let answerer = FileExchange(offerPath: offerPath, answerPath: answerPath, pollInterval: .milliseconds(20), timeout: .seconds(20))
        async let got: String = {
            let offer = try await answerer.receiveOffer()
            try await answerer.sendAnswer(answer)
            return offer
        }()
        #expect(try await offerer.exchange(offer: sampleOffer) == answer)
        #expect(try await got == sampleOffer)
        let stale = FileExchange(offerPath: offerPath + ".none", answerPath: answerPath + ".none", pollInterval: .milliseconds(20), timeout: .milliseconds(100))
        await #expect(throws: SignalingError.self) { _ = try await stale.receiveOffer() }
    }
}

/// Damage at random: the decoder returns the exact SDP or names a problem; never a wrong SDP,
/// never a trap. The same for the JSON messages.
@Suite struct DamageTests {
    /// A small deterministic generator (SplitMix64), so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("2000 random edits of a pasted blob (drop, repeat, swap, cut, change a character) never decode to a wrong SDP")
    func randomDamage() {
        var rng = SplitMix(state: 42)
        let lines = CopyPasteBlob.encode(sampleOffer, kind: "offer", maxChunkLength: 400)
        var wrong = 0, accepted = 0
        for _ in 0..<2000 {
            var edited = lines
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: edited.remove(at: Int.random(in: 0..<edited.count, using: &rng))
            case 1: let i = Int.random(in: 0..<edited.count, using: &rng); edited.insert(edited[i], at: Int.random(in: 0..<edited.count, using: &rng))
            case 2: edited.swapAt(Int.random(in: 0..<edited.count, using: &rng), Int.random(in: 0..<edited.count, using: &rng))
            case 3: let i = Int.random(in: 0..<edited.count, using: &rng); edited[i] = String(edited[i].prefix(Int.random(in: 0..<edited[i].count, using: &rng)))
            default:
                let i = Int.random(in: 0..<edited.count, using: &rng)
                var bytes = Array(edited[i].utf8)
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0x20...0x7E, using: &rng)
                edited[i] = String(decoding: bytes, as: UTF8.self)
            }
            if let decoded = try? CopyPasteBlob.decode(edited.joined(separator: "\n")) {
                accepted += 1
                if decoded.sdp != sampleOffer { wrong += 1 }
            }
        }
        #expect(wrong == 0)
        // Edits that change nothing (a swap of a line with itself, a same-character change) decode.
        #expect(accepted < 2000)
    }

    @Test("random bytes and mutated messages never trap the JSON parser")
    func randomJSON() {
        var rng = SplitMix(state: 7)
        let seeds = [SignalMessage.join(room: "r", token: "t", role: .any), .offer(sdp: "v=0\r\n", from: "p"),
                     .candidate(IceCandidateInit(candidate: "c", sdpMid: "0", sdpMLineIndex: 1), from: nil)].map { Array($0.jsonText().utf8) }
        var parsed = 0
        for _ in 0..<3000 {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if (try? SignalMessage(json: Data(bytes))) != nil { parsed += 1 }
        }
        #expect(parsed < 3000)
    }
}

@Suite struct LineReaderTests {
    @Test("FileHandleLineReader splits LF and CRLF lines arriving in pieces, and returns a last line without newline")
    func lines() async throws {
        let pipe = Pipe()
        let reader = FileHandleLineReader(pipe.fileHandleForReading)
        let writer = pipe.fileHandleForWriting
        writer.write(Data("first\r\nsec".utf8))
        #expect(try await reader.nextLine() == "first")
        let pending = Task { try await reader.nextLine() }
        try await Task.sleep(for: .milliseconds(50))
        writer.write(Data("ond\n\nlast".utf8))
        #expect(try await pending.value == "second")
        #expect(try await reader.nextLine() == "")
        try writer.close()
        #expect(try await reader.nextLine() == "last")
        #expect(try await reader.nextLine() == nil)
    }

    @Test("CopyPasteExchange over file handles: the answerer reads the offer pasted into its input")
    func overFileHandles() async throws {
        let input = Pipe(), output = Pipe()
        let exchange = CopyPasteExchange(input: input.fileHandleForReading, output: output.fileHandleForWriting)
        input.fileHandleForWriting.write(Data(("> pasted:\n" + CopyPasteBlob.encode(sampleOffer, kind: "offer").joined(separator: "\n") + "\n").utf8))
        #expect(try await exchange.receiveOffer() == sampleOffer)
        try await exchange.sendAnswer("v=0\r\n")
        try output.fileHandleForWriting.close()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed.contains("Paste the offer"))
        #expect(printed.contains("TINCAN1 answer 1/1 5 "))
    }
}

