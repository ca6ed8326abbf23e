import CSDL2
import Glibc

/// libSDL2, opened with `dlopen` when the first window opens instead of linked into the
/// binary. Linked, SDL2 and the 44 libraries it needs (X11, Wayland, PulseAudio, dbus,
/// systemd, ...) were loaded and relocated by every command, `send` and `recv` included:
/// about 4 MB of each process's resident memory and its start-up (docs/performance.md).
///
/// The header still gives the types and constants; the functions come from here. Their
/// signatures are checked against the header by `SDLLibrarySignatureTests`, which links SDL2.
struct SDLLibrary: @unchecked Sendable {  // immutable pointers into a library never closed
    typealias SetHint = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> SDL_bool
    typealias Init = @convention(c) (UInt32) -> Int32
    typealias Quit = @convention(c) () -> Void
    typealias GetError = @convention(c) () -> UnsafePointer<CChar>?
    typealias CreateWindow = @convention(c) (UnsafePointer<CChar>?, Int32, Int32, Int32, Int32, UInt32) -> OpaquePointer?
    typealias Destroy = @convention(c) (OpaquePointer?) -> Void
    typealias CreateRenderer = @convention(c) (OpaquePointer?, Int32, UInt32) -> OpaquePointer?
    typealias GetRendererOutputSize = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias SetRenderDrawColor = @convention(c) (OpaquePointer?, UInt8, UInt8, UInt8, UInt8) -> Int32
    typealias RenderFillRects = @convention(c) (OpaquePointer?, UnsafePointer<SDL_Rect>?, Int32) -> Int32
    typealias RenderDrawRect = @convention(c) (OpaquePointer?, UnsafePointer<SDL_Rect>?) -> Int32
    typealias RendererCall = @convention(c) (OpaquePointer?) -> Int32
    typealias CreateTexture = @convention(c) (OpaquePointer?, UInt32, Int32, Int32, Int32) -> OpaquePointer?
    typealias SetTextureScaleMode = @convention(c) (OpaquePointer?, SDL_ScaleMode) -> Int32
    typealias UpdateYUVTexture = @convention(c) (OpaquePointer?, UnsafePointer<SDL_Rect>?, UnsafePointer<UInt8>?, Int32,
                                                 UnsafePointer<UInt8>?, Int32, UnsafePointer<UInt8>?, Int32) -> Int32
    typealias RenderCopy = @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<SDL_Rect>?, UnsafePointer<SDL_Rect>?) -> Int32
    typealias SetYUVConversionMode = @convention(c) (SDL_YUV_CONVERSION_MODE) -> Void
    typealias PollEvent = @convention(c) (UnsafeMutablePointer<SDL_Event>?) -> Int32
    typealias WaitEventTimeout = @convention(c) (UnsafeMutablePointer<SDL_Event>?, Int32) -> Int32
    typealias RenderPresent = @convention(c) (OpaquePointer?) -> Void

    let setHint: SetHint
    let initialize: Init
    let quit: Quit
    let getError: GetError
    let createWindow: CreateWindow
    let destroyWindow: Destroy
    let createRenderer: CreateRenderer
    let destroyRenderer: Destroy
    let getRendererOutputSize: GetRendererOutputSize
    let setRenderDrawColor: SetRenderDrawColor
    let renderFillRects: RenderFillRects
    let renderDrawRect: RenderDrawRect
    let renderClear: RendererCall
    let renderPresent: RenderPresent
    let createTexture: CreateTexture
    let destroyTexture: Destroy
    let setTextureScaleMode: SetTextureScaleMode
    let updateYUVTexture: UpdateYUVTexture
    let renderCopy: RenderCopy
    let setYUVConversionMode: SetYUVConversionMode
    let pollEvent: PollEvent
    let waitEventTimeout: WaitEventTimeout

    /// The soname Debian's libsdl2-2.0-0 installs (libsdl2-dev's `libSDL2.so` is only a link to it).
    static let soname = "libSDL2-2.0.so.0"

    /// Loaded once, on first use; the library stays open for the life of the process (SDL keeps
    /// threads and atexit state of its own).
    static let shared: Result<SDLLibrary, VideoWindowError> = load(soname)

    /// Opens `name` and resolves every function, or says which one it lacks.
    static func load(_ name: String) -> Result<SDLLibrary, VideoWindowError> {
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(.sdl("\(name) could not be loaded (\(lastDlError)); on Debian: apt-get install libsdl2-2.0-0"))
        }
        func symbol<F>(_ symbolName: String) throws(VideoWindowError) -> F {
            guard let raw = dlsym(handle, symbolName) else {
                throw .sdl("\(name) lacks \(symbolName) (\(lastDlError)); SDL 2.0.12 or later is needed")
            }
            return unsafeBitCast(raw, to: F.self)
        }
        do throws(VideoWindowError) {
            return .success(try SDLLibrary(
                setHint: symbol("SDL_SetHint"), initialize: symbol("SDL_Init"), quit: symbol("SDL_Quit"),
                getError: symbol("SDL_GetError"), createWindow: symbol("SDL_CreateWindow"),
                destroyWindow: symbol("SDL_DestroyWindow"), createRenderer: symbol("SDL_CreateRenderer"),
                destroyRenderer: symbol("SDL_DestroyRenderer"), getRendererOutputSize: symbol("SDL_GetRendererOutputSize"),
                setRenderDrawColor: symbol("SDL_SetRenderDrawColor"), renderFillRects: symbol("SDL_RenderFillRects"),
                renderDrawRect: symbol("SDL_RenderDrawRect"), renderClear: symbol("SDL_RenderClear"),
                renderPresent: symbol("SDL_RenderPresent"), createTexture: symbol("SDL_CreateTexture"),
                destroyTexture: symbol("SDL_DestroyTexture"), setTextureScaleMode: symbol("SDL_SetTextureScaleMode"),
                updateYUVTexture: symbol("SDL_UpdateYUVTexture"), renderCopy: symbol("SDL_RenderCopy"),
                setYUVConversionMode: symbol("SDL_SetYUVConversionMode"), pollEvent: symbol("SDL_PollEvent"),
                waitEventTimeout: symbol("SDL_WaitEventTimeout")))
        } catch {
            dlclose(handle)
            return .failure(error)
        }
    }

    private static var lastDlError: String {
        dlerror().map { String(cString: $0) } ?? "no reason given"
    }

    /// The library, or the window's error saying why it is not there.
    static func get() throws(VideoWindowError) -> SDLLibrary { try shared.get() }
}
