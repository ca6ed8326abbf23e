/// The test vectors of RFC 5769 §2, as hex.
enum RFC5769 {
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"

    /// §2.1 Sample Request.
    static let request = hex("""
        000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74
        002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020
        000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf
        """)

    /// §2.2 Sample IPv4 Response: 192.0.2.1 port 32853.
    static let ipv4Response = hex("""
        0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
        002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7
        80280004c07d4c96
        """)

    /// §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
    static let ipv6Response = hex("""
        010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
        002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf1
        1784c97c8292c275bfe3ed4180280004c8fb0b4c
        """)

    /// §2.4 Sample Request with Long-Term Authentication (username "マトリックス",
    /// password "TheMatrIX" after SASLprep, realm "example.org").
    static let longTermRequest = hex("""
        000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000
        0015001c662f2f3439396b3935346436 4f4c33346f4c394653547679363473 41
        0014000b6578616d706c652e6f726700
        00080014f67024656dd64a3e02b8e0712e85c9a28ca89666
        """)

    static func hex(_ s: String) -> [UInt8] {
        let digits = s.filter { $0.isHexDigit }
        var out = [UInt8]()
        var it = digits.makeIterator()
        while let h = it.next(), let l = it.next() {
            out.append(UInt8(String([h, l]), radix: 16) ?? 0)
        }
        return out
    }
}
