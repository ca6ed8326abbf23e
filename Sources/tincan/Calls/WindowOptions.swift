import ArgumentParser

/// `tincan call`: the window is on unless asked off (a person on a call expects to see the
/// other side; servers and tests run headless).
struct CallWindowOptions: ParsableArguments {
    @Flag(name: .customLong("no-window"), help: ArgumentHelp(
        "Do not open a window. By default the call shows the other side's video in a window (scaled to fit, a self-view in a corner, a stats line; closing it ends the call) when there is a display (DISPLAY or WAYLAND_DISPLAY), and goes on without one when there is none."))
    var noWindow = false
}

/// `tincan recv`: a receiver records and reports; the window is asked for.
struct RecvWindowOptions: ParsableArguments {
    @Flag(name: .customLong("window"), help: ArgumentHelp(
        "Show the received video in a window (scaled to fit, a stats line; closing it ends the call). Needs a display (DISPLAY or WAYLAND_DISPLAY)."))
    var window = false
}
