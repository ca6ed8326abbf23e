/// The long-term credential mechanism as a TURN client runs it (RFC 8489 §9.2): the realm and
/// nonce the server's 401 gave, the password algorithm chosen from its list, and the key.
struct TURNLongTermCredentials {
    var username: String
    var password: String
    var realm: String
    var nonce: String
    /// The server's PASSWORD-ALGORITHMS, echoed back when present (RFC 8489 §9.2.4).
    var offeredAlgorithms: [STUNPasswordAlgorithm]?
    /// The algorithm chosen (MD5 unless the server offered SHA-256).
    var algorithm: STUNPasswordAlgorithm
    var key: [UInt8]

    /// RFC 8489 §9.2.4: the first algorithm of the server's list that the client supports;
    /// without a list, MD5 and MESSAGE-INTEGRITY. nil when no key can be derived.
    init?(username: String, password: String, realm: String, nonce: String, offered: [STUNPasswordAlgorithm]?) {
        self.username = username
        self.password = password
        self.realm = realm
        self.nonce = nonce
        offeredAlgorithms = offered
        let supported = offered?.first { $0.number == STUNPasswordAlgorithm.sha256.number || $0.number == STUNPasswordAlgorithm.md5.number }
        if offered != nil, supported == nil { return nil }
        algorithm = supported.map { STUNPasswordAlgorithm(number: $0.number) } ?? .md5
        let derived = algorithm == .sha256
            ? STUNCredentials.longTermKeySHA256(username: username, realm: realm, password: password)
            : STUNCredentials.longTermKey(username: username, realm: realm, password: password)
        guard let derived else { return nil }
        key = derived
    }

    /// SHA-256 keys sign with MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), MD5 keys with
    /// MESSAGE-INTEGRITY (§14.5).
    var usesSHA256: Bool { algorithm == .sha256 }

    /// USERNAME, NONCE, REALM and, when the server listed algorithms, PASSWORD-ALGORITHMS and
    /// PASSWORD-ALGORITHM (RFC 8489 §9.2.4).
    var attributes: [STUNAttribute] {
        // The order of RFC 5769 §2.4.
        var list: [STUNAttribute] = [.username(username), .nonce(nonce), .realm(realm)]
        if let offeredAlgorithms {
            list.append(.passwordAlgorithms(offeredAlgorithms))
            list.append(.passwordAlgorithm(algorithm))
        }
        return list
    }

    /// Encodes and signs a request.
    func sign(_ message: STUNMessage) -> [UInt8] {
        var signed = message
        signed.attributes += attributes
        return usesSHA256
            ? signed.encoded(integritySHA256Key: key, fingerprint: true)
            : signed.encoded(integrityKey: key, fingerprint: true)
    }

    /// A response counts as authentic when its integrity attribute verifies with the key.
    func verify(_ response: STUNMessage) -> Bool {
        if response.hasMessageIntegritySHA256 { return response.verifyMessageIntegritySHA256(key: key) }
        if response.hasMessageIntegrity { return response.verifyMessageIntegrity(key: key) }
        return false
    }
}
