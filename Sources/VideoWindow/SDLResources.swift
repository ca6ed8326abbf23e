import CSDL2
import MediaPrimitives

/// The SDL objects of one window, each with one Swift owner that frees it. They live and die
/// on the window's thread (SDL is not thread-safe), and each holds what it was made from, so
/// the order SDL requires (textures, renderer, window, then SDL_Quit) follows from the
/// references.
extension SDLLibrary {
    var lastError: String { getError().map { String(cString: $0) } ?? "no reason given" }
}

/// SDL's video subsystem: SDL_Init on the window's thread, SDL_Quit in deinit. The first one
/// loads the library (`SDLLibrary`).
final class SDLVideoSubsystem {
    let sdl: SDLLibrary

    init() throws(VideoWindowError) {
        sdl = try SDLLibrary.get()
        // Without this SDL installs SIGINT/SIGTERM handlers of its own and turns Ctrl-C into
        // SDL_QUIT; tincan's handlers end the call instead.
        _ = sdl.setHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1")
        // Leave a desktop's compositor on (SDL turns it off for games).
        _ = sdl.setHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0")
        guard sdl.initialize(SDL_INIT_VIDEO) == 0 else { throw .noDisplay(sdl.lastError) }
    }

    deinit { sdl.quit() }
}

/// An `SDL_Window`, destroyed in deinit.
final class SDLWindowHandle {
    let pointer: OpaquePointer
    let sdl: SDLLibrary
    private let video: SDLVideoSubsystem

    init(video: SDLVideoSubsystem, title: String, width: Int, height: Int) throws(VideoWindowError) {
        let centered = tincan_sdl_windowpos_centered()
        let flags = SDL_WINDOW_RESIZABLE.rawValue | SDL_WINDOW_SHOWN.rawValue | SDL_WINDOW_ALLOW_HIGHDPI.rawValue
        sdl = video.sdl
        guard let w = sdl.createWindow(title, centered, centered, Int32(width), Int32(height), flags) else {
            throw .sdl("SDL_CreateWindow: \(sdl.lastError)")
        }
        pointer = w
        self.video = video
    }

    deinit { sdl.destroyWindow(pointer) }
}

/// An `SDL_Renderer` on a window: the system's accelerated one where there is one, else
/// SDL's software renderer. Destroyed in deinit.
final class SDLRenderer {
    let pointer: OpaquePointer
    let sdl: SDLLibrary
    private let window: SDLWindowHandle

    init(window: SDLWindowHandle) throws(VideoWindowError) {
        sdl = window.sdl
        guard let r = sdl.createRenderer(window.pointer, -1, 0) ?? sdl.createRenderer(window.pointer, -1, SDL_RENDERER_SOFTWARE.rawValue) else {
            throw .sdl("SDL_CreateRenderer: \(sdl.lastError)")
        }
        pointer = r
        self.window = window
    }

    deinit { sdl.destroyRenderer(pointer) }

    /// The drawable size in pixels (larger than the window's size on a HiDPI screen).
    var outputSize: (width: Int, height: Int) {
        var w: Int32 = 0, h: Int32 = 0
        _ = sdl.getRendererOutputSize(pointer, &w, &h)
        return (Int(w), Int(h))
    }

    func setColor(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) {
        _ = sdl.setRenderDrawColor(pointer, r, g, b, a)
    }

    func fill(_ rects: [PixelRect]) {
        guard !rects.isEmpty else { return }
        let sdlRects = rects.map(\.sdl)
        sdlRects.withUnsafeBufferPointer { _ = sdl.renderFillRects(pointer, $0.baseAddress, Int32($0.count)) }
    }

    func outline(_ rect: PixelRect) {
        var r = rect.sdl
        _ = sdl.renderDrawRect(pointer, &r)
    }
}

/// A streaming I420 texture (`SDL_PIXELFORMAT_IYUV`) of one picture size, destroyed in deinit.
final class SDLVideoTexture {
    let pointer: OpaquePointer
    let width: Int, height: Int
    private let renderer: SDLRenderer

    init(renderer: SDLRenderer, width: Int, height: Int) throws(VideoWindowError) {
        let sdl = renderer.sdl
        guard let t = sdl.createTexture(renderer.pointer, SDL_PIXELFORMAT_IYUV.rawValue,
                                        Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(width), Int32(height)) else {
            throw .sdl("SDL_CreateTexture \(width)x\(height): \(sdl.lastError)")
        }
        pointer = t
        self.width = width
        self.height = height
        self.renderer = renderer
        _ = sdl.setTextureScaleMode(t, SDL_ScaleModeLinear)
    }

    deinit { renderer.sdl.destroyTexture(pointer) }

    /// Uploads the three planes; false when the frame's buffer is shorter than its size says.
    func update(_ frame: VideoFrame) -> Bool {
        guard frame.width == width, frame.height == height,
              frame.data.count >= VideoFrame.byteCount(width: width, height: height) else { return false }
        let luma = width * height, chroma = frame.chromaWidth * frame.chromaHeight
        return frame.data.withUnsafeBufferPointer { p -> Bool in
            guard let base = p.baseAddress else { return false }
            return renderer.sdl.updateYUVTexture(pointer, nil, base, Int32(width), base + luma, Int32(frame.chromaWidth),
                                        base + luma + chroma, Int32(frame.chromaWidth)) == 0
        }
    }

    func draw(into rect: PixelRect) {
        var r = rect.sdl
        _ = renderer.sdl.renderCopy(renderer.pointer, pointer, nil, &r)
    }
}

extension PixelRect {
    var sdl: SDL_Rect { SDL_Rect(x: Int32(x), y: Int32(y), w: Int32(width), h: Int32(height)) }
}
