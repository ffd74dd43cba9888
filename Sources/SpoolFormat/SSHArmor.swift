/// The ASCII armor OpenSSH puts around keys and signatures: a BEGIN line, the base64 of the blob
/// wrapped at 70 columns, an END line, each ending in a newline.
enum SSHArmor {
    static func text(_ blob: [UInt8], begin: String, end: String) -> String {
        let b64 = StrictBase64.encode(blob)
        var lines = [begin]
        var index = b64.startIndex
        while index < b64.endIndex {
            let next = b64.index(index, offsetBy: 70, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[index..<next]))
            index = next
        }
        lines.append(end)
        return lines.joined(separator: "\n") + "\n"
    }
}
