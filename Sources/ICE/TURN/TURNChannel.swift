/// A channel bound to one peer transport address (RFC 8656 §12): ChannelData may be sent only
/// once `bound`; refreshed every `channelRefreshInterval` (it lasts 600 s on the server).
struct TURNChannel {
    var number: UInt16
    var bound = false
    var refreshTime: Duration?
}
