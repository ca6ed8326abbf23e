/// Why a window could not be opened or kept.
public enum VideoWindowError: Error, Sendable, CustomStringConvertible {
    /// No display to open a window on: no DISPLAY or WAYLAND_DISPLAY, or SDL could not reach it.
    case noDisplay(String)
    /// SDL refused a window, renderer or texture.
    case sdl(String)

    public var description: String {
        switch self {
        case .noDisplay(let reason): "no display (\(reason))"
        case .sdl(let reason): reason
        }
    }
}
