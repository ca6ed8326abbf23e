import COpenSSL

/// State an OpenSSL callback reaches through the `SSL`'s ex_data slot 0 and the write BIO's
/// data pointer. Only touched while the owning `DTLSTransport` holds its lock.
final class DTLSConnectionContext {
    var state: DTLSState = .new
    /// Datagrams OpenSSL wrote, each one `BIO_write`, in order.
    var outgoing: [[UInt8]] = []
    let expectedFingerprint: DTLSFingerprint
    var receivedFingerprint: DTLSFingerprint?
    var fingerprintMismatch = false
    let initialTimeoutMicroseconds: UInt32
    /// `DTLSConfiguration.callerClocksRetransmissions`: the timer stays at its initial value.
    let timerDoubles: Bool
    var readBuffer = [UInt8](repeating: 0, count: 16_384)

    init(expectedFingerprint: DTLSFingerprint, initialTimeoutMicroseconds: UInt32, timerDoubles: Bool) {
        self.expectedFingerprint = expectedFingerprint
        self.initialTimeoutMicroseconds = initialTimeoutMicroseconds
        self.timerDoubles = timerDoubles
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> DTLSConnectionContext? {
        guard let pointer else { return nil }
        return Unmanaged<DTLSConnectionContext>.fromOpaque(pointer).takeUnretainedValue()
    }
}

/// The write side of the connection: a BIO that keeps each `BIO_write` as one datagram.
///
/// A plain memory BIO is a byte stream: two records written back to back come out as one
/// blob, and the datagram boundaries (and with them the MTU) are lost. OpenSSL 3.0 has no
/// datagram memory BIO (3.2 adds `BIO_s_dgram_mem`), so this is a tiny sink BIO whose write
/// appends a datagram to the connection's queue. The read side is an ordinary memory BIO:
/// DTLS reads a whole datagram's worth per record-layer read, which is what we feed it.
enum DatagramBIO {
    /// The process-wide `BIO_METHOD` table (its address, since pointers are not `Sendable`);
    /// made once and never freed, as OpenSSL's own method tables.
    private static let methodAddress: UInt = {
        guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tincan-dtls-datagram") else {
            return 0
        }
        _ = BIO_meth_set_create(method) { bio in
            BIO_set_init(bio, 1)
            return 1
        }
        _ = BIO_meth_set_write(method) { bio, data, length in
            guard let context = DTLSConnectionContext.from(BIO_get_data(bio)), let data, length > 0 else { return -1 }
            context.outgoing.append(Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
            return length
        }
        _ = BIO_meth_set_ctrl(method) { _, command, _, _ in
            // Flush succeeds; nothing is pending; no MTU query or overhead (SSL_OP_NO_QUERY_MTU
            // and DTLS_set_link_mtu give the size); everything else is unsupported.
            command == BIO_CTRL_FLUSH ? 1 : 0
        }
        return UInt(bitPattern: Int(bitPattern: UnsafeMutableRawPointer(method)))
    }()

    static func make(context: DTLSConnectionContext) -> OpaquePointer? {
        guard methodAddress != 0, let method = OpaquePointer(bitPattern: methodAddress),
              let bio = BIO_new(method)
        else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(context).toOpaque())
        return bio
    }
}
