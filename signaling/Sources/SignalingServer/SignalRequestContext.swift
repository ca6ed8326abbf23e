import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The router's request context: Hummingbird's WebSocket context plus the connection's
/// channel, so that a room connection can cut a peer that stopped reading (its writer is
/// stuck on a full socket, and no close frame can reach it).
struct SignalRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
