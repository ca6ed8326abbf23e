import Testing
import VideoWindow

@Suite struct WindowLayoutTests {
    @Test("a 4:3 picture in a 16:9 area is pillarboxed: full height, centred, aspect kept")
    func pillarbox() {
        let r = WindowLayout.fit(contentWidth: 640, contentHeight: 480, in: PixelRect(x: 0, y: 0, width: 960, height: 540))
        #expect(r == PixelRect(x: 120, y: 0, width: 720, height: 540))
    }

    @Test("a 16:9 picture in a 4:3 area is letterboxed: full width, bars above and below")
    func letterbox() {
        let r = WindowLayout.fit(contentWidth: 1280, contentHeight: 720, in: PixelRect(x: 10, y: 20, width: 800, height: 600))
        #expect(r == PixelRect(x: 10, y: 20 + 75, width: 800, height: 450))
    }

    @Test("the same aspect fills the area; a smaller picture is scaled up")
    func sameAspect() {
        #expect(WindowLayout.fit(contentWidth: 320, contentHeight: 240, in: PixelRect(x: 0, y: 0, width: 800, height: 600))
                == PixelRect(x: 0, y: 0, width: 800, height: 600))
    }

    @Test("over many sizes: inside the area, centred to a pixel, one side fills it, aspect within rounding",
          arguments: [(640, 480), (1280, 720), (176, 144), (1, 1000), (1000, 1), (333, 777)])
    func invariants(content: (Int, Int)) {
        for (aw, ah) in [(960, 540), (300, 700), (1, 1), (1919, 1001), (64, 48)] {
            let area = PixelRect(x: 5, y: 7, width: aw, height: ah)
            let r = WindowLayout.fit(contentWidth: content.0, contentHeight: content.1, in: area)
            #expect(r.width >= 1 && r.height >= 1)
            #expect(r.x >= area.x && r.y >= area.y && r.x + r.width <= area.x + aw && r.y + r.height <= area.y + ah, "\(r) in \(area)")
            #expect(r.width == aw || r.height == ah, "\(r) fills neither side of \(area)")
            #expect(abs((r.x - area.x) - (area.x + aw - r.x - r.width)) <= 1 && abs((r.y - area.y) - (area.y + ah - r.y - r.height)) <= 1)
            // Aspect within half a pixel on the rounded side.
            let exactH = Double(r.width) * Double(content.1) / Double(content.0)
            let exactW = Double(r.height) * Double(content.0) / Double(content.1)
            #expect(abs(exactH - Double(r.height)) <= 0.5 + 1e-9 || abs(exactW - Double(r.width)) <= 0.5 + 1e-9 || r.width == 1 || r.height == 1,
                    "\(content) -> \(r)")
        }
    }

    @Test("nothing to show, or no room: an empty rectangle")
    func empty() {
        #expect(WindowLayout.fit(contentWidth: 0, contentHeight: 480, in: PixelRect(x: 0, y: 0, width: 960, height: 540)).isEmpty)
        #expect(WindowLayout.fit(contentWidth: 640, contentHeight: 480, in: PixelRect(x: 0, y: 0, width: 0, height: 540)).isEmpty)
    }

    @Test("the self-view: at most a quarter of the area each way, aspect kept, in the bottom-right corner with a margin")
    func selfView() {
        let area = PixelRect(x: 0, y: 0, width: 960, height: 510)
        let r = WindowLayout.selfView(contentWidth: 640, contentHeight: 480, in: area)
        #expect(r.width <= 240 && r.height <= 127)
        #expect(abs(r.width * 480 - r.height * 640) <= 640)
        #expect(r.x + r.width < area.width && r.y + r.height < area.height)
        #expect(r.x > area.width * 3 / 4 - 10 && r.y > area.height * 3 / 4 - 10, "\(r) is not in the bottom-right corner")
    }

    @Test("the stats bar takes the bottom of the window; the picture's area is what is left above it")
    func statsBar() {
        let h = WindowLayout.statsBarHeight(lineHeight: 16)
        #expect(h > 16)
        let bar = WindowLayout.statsBar(windowWidth: 960, windowHeight: 540, statsBarHeight: h)
        let area = WindowLayout.videoArea(windowWidth: 960, windowHeight: 540, statsBarHeight: h)
        #expect(bar.y + bar.height == 540 && bar.width == 960)
        #expect(area.y == 0 && area.height == bar.y)
    }
}

@Suite struct WindowPlacementTests {
    @Test("a whole window: the remote picture and the self-view above the stats bar, the self-view inside the picture's area")
    func place() {
        let p = WindowLayout.place(windowWidth: 960, windowHeight: 540, remote: (1280, 720), selfView: (640, 480))
        guard let remote = p.remote, let local = p.selfView else { Issue.record("no rectangles: \(p)"); return }
        #expect(p.textScale == 2)
        #expect(p.statsBar.y + p.statsBar.height == 540 && p.statsBar.height > 7 * 2)
        #expect(remote.y + remote.height <= p.statsBar.y && local.y + local.height <= p.statsBar.y)
        #expect(remote.height == p.statsBar.y, "a 16:9 picture in a 960-wide window is bound by the height left above the bar")
        #expect(abs(remote.width * 9 - remote.height * 16) <= 16)
        #expect(local.x + local.width <= 960 && local.x > 960 / 2)
        #expect(WindowLayout.place(windowWidth: 960, windowHeight: 540, remote: nil, selfView: nil).remote == nil)
    }
}
