import Testing
@testable import VideoWindow

@Suite struct BitmapFontTests {
    @Test("every glyph is 7 rows of 5 cells, lit or not")
    func glyphShapes() {
        for (c, rows) in BitmapFont.rows {
            #expect(rows.count == BitmapFont.glyphHeight, "\(c)")
            for r in rows { #expect(r.count == BitmapFont.glyphWidth && r.allSatisfy { $0 == "#" || $0 == "." }, "\(c): \(r)") }
        }
    }

    @Test("the stats line's characters all have glyphs; lower case is drawn as capitals, the rest as '?'")
    func coverage() {
        for c in "0123456789 received 640x480 30 fps 812 kbit/s | rtt 1.2 ms | loss 0.0 % (dropped 3)" {
            #expect(BitmapFont.glyph(for: c) != "?" , "no glyph for '\(c)'")
        }
        #expect(BitmapFont.glyph(for: "a") == "A")
        #expect(BitmapFont.glyph(for: "é") == "?")
    }

    @Test("rectangles: '1' at scale 2 covers its lit cells only, placed by the advance")
    func rects() {
        let one = BitmapFont.rects(for: "1", x: 0, y: 0, scale: 2)
        let lit = BitmapFont.rows["1"]!.joined().filter { $0 == "#" }.count
        #expect(one.reduce(0) { $0 + $1.width * $1.height } == lit * 4)
        let two = BitmapFont.rects(for: " 1", x: 10, y: 3, scale: 2)
        #expect(two.map(\.x) == one.map { $0.x + 10 + BitmapFont.advance * 2 })
        #expect(two.map(\.y) == one.map { $0.y + 3 })
        #expect(BitmapFont.width(of: "ab", scale: 3) == (2 * BitmapFont.advance - 1) * 3)
    }
}
