import NetworkPrimitives

/// A permission for one peer IP (RFC 8656 §9): pending until CreatePermission succeeds, then
/// refreshed every `permissionRefreshInterval` (it lasts 300 s on the server).
struct TURNPermission {
    var installed = false
    var refreshTime: Duration?
    /// Datagrams waiting for the permission, with their peer's full address.
    var queue: [(TransportAddress, [UInt8])] = []
}
