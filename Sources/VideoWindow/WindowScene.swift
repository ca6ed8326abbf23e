import CSDL2
import MediaPrimitives

/// What the window's thread draws and the SDL objects it draws with (confined to that
/// thread): the received picture letterboxed, the self-view, the stats bar.
final class WindowScene {
    private let renderer: SDLRenderer
    private var remoteTexture: SDLVideoTexture?
    private var selfTexture: SDLVideoTexture?
    private var pendingEvent: SDL_Event?
    /// Set by a resize or an expose: the next loop redraws.
    private(set) var resized = true
    var statsLine = ""

    init(title: String, width: Int, height: Int) throws(VideoWindowError) {
        let video = try SDLVideoSubsystem()
        // The decoder's pictures are BT.601 (VP8, RFC 6386 §9.2), whatever their size.
        video.sdl.setYUVConversionMode(SDL_YUV_CONVERSION_BT601)
        let window = try SDLWindowHandle(video: video, title: title, width: width, height: height)
        renderer = try SDLRenderer(window: window)
        render()
    }

    /// Takes the events that came; true when the user asked to close the window.
    func handleEvents() -> Bool {
        var event = SDL_Event()
        if var first = pendingEvent.take(), handle(&first) { return true }
        while renderer.sdl.pollEvent(&event) == 1 {
            if handle(&event) { return true }
        }
        return false
    }

    private func handle(_ event: inout SDL_Event) -> Bool {
        switch event.type {
        case SDL_QUIT.rawValue:
            return true
        case SDL_WINDOWEVENT.rawValue:
            switch UInt32(event.window.event) {
            case SDL_WINDOWEVENT_CLOSE.rawValue: return true
            case SDL_WINDOWEVENT_SIZE_CHANGED.rawValue, SDL_WINDOWEVENT_EXPOSED.rawValue: resized = true
            default: break
            }
        case SDL_KEYDOWN.rawValue:
            let key = event.key.keysym.sym
            if key == SDLK_ESCAPE.rawValue || key == SDLK_q.rawValue { return true }
        default:
            break
        }
        return false
    }

    /// Waits up to `milliseconds` for an event (kept for the next `handleEvents`).
    func waitForEvent(milliseconds: Int32) {
        var event = SDL_Event()
        if renderer.sdl.waitEventTimeout(&event, milliseconds) == 1 { pendingEvent = event }
    }

    func showRemote(_ frame: VideoFrame) -> Bool { upload(frame, into: &remoteTexture) }
    func showSelf(_ frame: VideoFrame) -> Bool { upload(frame, into: &selfTexture) }

    /// A texture of the frame's size (a new one when the size changes), then its planes.
    private func upload(_ frame: VideoFrame, into texture: inout SDLVideoTexture?) -> Bool {
        guard frame.width > 0, frame.height > 0 else { return false }
        if texture?.width != frame.width || texture?.height != frame.height {
            texture = nil
            do { texture = try SDLVideoTexture(renderer: renderer, width: frame.width, height: frame.height) } catch {
                VideoWindow.log.warning("a picture of \(frame.width)x\(frame.height) is not shown: \(error)")
                return false
            }
        }
        guard let texture, texture.update(frame) else { return false }
        return true
    }

    func render() {
        resized = false
        let (w, h) = renderer.outputSize
        let place = WindowLayout.place(windowWidth: w, windowHeight: h,
                                       remote: remoteTexture.map { ($0.width, $0.height) },
                                       selfView: selfTexture.map { ($0.width, $0.height) })
        let scale = place.textScale
        renderer.setColor(0, 0, 0)
        _ = renderer.sdl.renderClear(renderer.pointer)
        if let remoteTexture, let rect = place.remote {
            remoteTexture.draw(into: rect)
        } else {
            let text = "waiting for the other side's picture"
            renderer.setColor(200, 200, 200)
            renderer.fill(BitmapFont.rects(for: text, x: (w - BitmapFont.width(of: text, scale: scale)) / 2,
                                           y: place.statsBar.y / 2, scale: scale))
        }
        if let selfTexture, let rect = place.selfView {
            selfTexture.draw(into: rect)
            renderer.setColor(255, 255, 255)
            renderer.outline(PixelRect(x: rect.x - 1, y: rect.y - 1, width: rect.width + 2, height: rect.height + 2))
        }
        let bar = place.statsBar
        renderer.setColor(24, 24, 24)
        renderer.fill([bar])
        renderer.setColor(230, 230, 230)
        renderer.fill(BitmapFont.rects(for: statsLine, x: bar.x + 2 * scale, y: bar.y + (bar.height - BitmapFont.glyphHeight * scale) / 2, scale: scale))
        renderer.sdl.renderPresent(renderer.pointer)
    }
}
