/// A rectangle of window pixels (origin top-left), what SDL_RenderCopy takes.
public struct PixelRect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// Where the window draws what: the received picture scaled to fit its area with its aspect
/// ratio kept (black bars on the sides or top and bottom), the self-view in the bottom-right
/// corner of that area, and the stats line in a bar of its own below it, so that nothing
/// covers the received picture but the self-view's corner.
public enum WindowLayout {
    /// Where one redraw puts each part, in drawable pixels.
    public struct Placement: Sendable, Equatable {
        /// The received picture's rectangle (nil before the first picture).
        public var remote: PixelRect?
        /// The self-view's rectangle (nil without a local camera).
        public var selfView: PixelRect?
        public var statsBar: PixelRect
        /// The pixels of one font cell of the stats line.
        public var textScale: Int
    }

    /// The stats text's scale: font cells of 1 to 3 pixels with the window's width.
    public static func textScale(windowWidth: Int) -> Int { max(1, min(3, windowWidth / 480)) }

    /// The whole layout of a window of `windowWidth` x `windowHeight` with pictures of these
    /// sizes: what the window draws, and what a test of its screenshot reads.
    public static func place(windowWidth: Int, windowHeight: Int, remote: (width: Int, height: Int)?,
                             selfView local: (width: Int, height: Int)?) -> Placement {
        let scale = textScale(windowWidth: windowWidth)
        let barHeight = statsBarHeight(lineHeight: BitmapFont.lineHeight * scale)
        let area = videoArea(windowWidth: windowWidth, windowHeight: windowHeight, statsBarHeight: barHeight)
        return Placement(
            remote: remote.map { fit(contentWidth: $0.width, contentHeight: $0.height, in: area) },
            selfView: local.map { selfView(contentWidth: $0.width, contentHeight: $0.height, in: area) },
            statsBar: statsBar(windowWidth: windowWidth, windowHeight: windowHeight, statsBarHeight: barHeight),
            textScale: scale)
    }

    /// The largest rectangle of `contentWidth`:`contentHeight` inside `area`, centred;
    /// empty when either has no pixels.
    public static func fit(contentWidth: Int, contentHeight: Int, in area: PixelRect) -> PixelRect {
        guard contentWidth > 0, contentHeight > 0, !area.isEmpty else { return PixelRect(x: area.x, y: area.y, width: 0, height: 0) }
        var w = area.width, h = area.height
        // Integer comparison of the two aspect ratios: width-bound when the area is narrower.
        if area.width * contentHeight <= area.height * contentWidth {
            h = max(1, (area.width * contentHeight + contentWidth / 2) / contentWidth)
        } else {
            w = max(1, (area.height * contentWidth + contentHeight / 2) / contentHeight)
        }
        return PixelRect(x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h)
    }

    /// The stats bar's height for a line of `lineHeight` pixels (padding above and below).
    public static func statsBarHeight(lineHeight: Int) -> Int { lineHeight + 2 * max(2, lineHeight / 3) }

    /// The area of the received picture: the window less the stats bar at the bottom.
    public static func videoArea(windowWidth: Int, windowHeight: Int, statsBarHeight: Int) -> PixelRect {
        PixelRect(x: 0, y: 0, width: max(0, windowWidth), height: max(0, windowHeight - statsBarHeight))
    }

    /// The stats bar: the bottom of the window.
    public static func statsBar(windowWidth: Int, windowHeight: Int, statsBarHeight: Int) -> PixelRect {
        let h = min(max(0, windowHeight), statsBarHeight)
        return PixelRect(x: 0, y: windowHeight - h, width: max(0, windowWidth), height: h)
    }

    /// The self-view: the local picture at most a quarter of the area's width and height,
    /// aspect kept, in its bottom-right corner with a margin.
    public static func selfView(contentWidth: Int, contentHeight: Int, in area: PixelRect) -> PixelRect {
        let margin = max(4, min(area.width, area.height) / 60)
        let box = PixelRect(x: 0, y: 0, width: area.width / 4, height: area.height / 4)
        let size = fit(contentWidth: contentWidth, contentHeight: contentHeight, in: box)
        return PixelRect(x: area.x + area.width - margin - size.width, y: area.y + area.height - margin - size.height,
                         width: size.width, height: size.height)
    }
}
