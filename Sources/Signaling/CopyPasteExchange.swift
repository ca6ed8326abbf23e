import Foundation

/// Offer and answer carried by a person between two terminals: each side prints its SDP as
/// a `CopyPasteBlob` with instructions, and reads the other side's blob as it is pasted.
/// A damaged, missing or out-of-order line is named, and the person is asked to paste again
/// from there; nothing broken reaches the call.
public final class CopyPasteExchange: OfferExchange, OfferAnswering, Sendable {
    public typealias LineSource = @Sendable () async throws -> String?
    public typealias TextSink = @Sendable (String) -> Void

    private let readLine: LineSource
    private let write: TextSink
    private let maxChunkLength: Int

    /// - Parameters:
    ///   - readLine: the next line the person pasted (nil at the end of the input).
    ///   - write: prints text (the blob and instructions) where the person sees it.
    public init(readLine: @escaping LineSource, write: @escaping TextSink, maxChunkLength: Int = CopyPasteBlob.defaultChunkLength) {
        self.readLine = readLine
        self.write = write
        self.maxChunkLength = maxChunkLength
    }

    /// Reads from `input` (the terminal) and prints to `output` (standard error by default,
    /// so standard output stays free for scripts).
    public convenience init(input: FileHandle = .standardInput, output: FileHandle = .standardError) {
        let reader = FileHandleLineReader(input)
        self.init(readLine: { try await reader.nextLine() }, write: { output.write(Data($0.utf8)) })
    }

    public func exchange(offer: String) async throws -> String {
        show(offer, kind: "offer", then: "Copy these \(lineCount(offer)) lines into the other terminal, where the answering side waits for them.")
        write("\nThen paste the answer the other terminal prints here, and press Enter:\n")
        return try await read(kind: "answer")
    }

    public func receiveOffer() async throws -> String {
        write("Paste the offer the other terminal printed (the lines that start with \(CopyPasteBlob.tag) offer), and press Enter:\n")
        return try await read(kind: "offer")
    }

    public func sendAnswer(_ sdp: String) async throws {
        show(sdp, kind: "answer", then: "Paste these \(lineCount(sdp)) lines into the offering terminal.")
    }

    public func close() async throws {}

    private func lineCount(_ sdp: String) -> Int {
        CopyPasteBlob.encode(sdp, kind: "x", maxChunkLength: maxChunkLength).count
    }

    private func show(_ sdp: String, kind: String, then instruction: String) {
        let lines = CopyPasteBlob.encode(sdp, kind: kind, maxChunkLength: maxChunkLength)
        write("\(instruction)\n\n" + lines.joined(separator: "\n") + "\n\n")
    }

    /// Reads lines until a whole blob of `kind` checks out; on a problem, says what it is
    /// and what to paste next, and goes on reading.
    private func read(kind: String) async throws -> String {
        var assembler = ChunkAssembler(expecting: kind, allowRepeats: true)
        while let line = try await readLine() {
            do {
                if case .complete(_, let sdp) = try assembler.add(line: line) {
                    write("Got the \(kind) (\(sdp.utf8.count) bytes, checksums match).\n")
                    return sdp
                }
            } catch let error as SignalingError {
                let next = assembler.next
                let from = next.count.map { "chunk \(next.index)/\($0)" } ?? "the first line"
                write("\(error.description)\n(waiting for \(from) of the \(kind))\n")
            }
        }
        try assembler.finish()
        throw SignalingError.blob("the input ended before any \(CopyPasteBlob.tag) \(kind) line arrived")
    }
}
