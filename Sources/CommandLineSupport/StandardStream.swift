#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard output and standard error as raw file descriptors: whole writes without Foundation's
/// FileHandle, which the static spooler cannot link (it uses FoundationEssentials only).
public enum StandardStream: Sendable {
    case output
    case error

    private var descriptor: Int32 { self == .output ? 1 : 2 }
    private var name: String { self == .output ? "standard output" : "standard error" }

    /// Writes every byte, retrying after signals and short writes.
    /// - Throws: ``RuntimeFailure`` naming the stream and the system's reason (a closed pipe, a full disk).
    public func write(_ bytes: some Collection<UInt8>) throws {
        let bytes = Array(bytes)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw RuntimeFailure("cannot write to \(name): \(String(cString: strerror(code)))")
            }
            written += n
        }
    }

    /// Writes `text` and a newline.
    public func writeLine(_ text: String) throws {
        try write(Array((text + "\n").utf8))
    }
}

#if canImport(Glibc)
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    private let systemWrite = Darwin.write
#endif

/// Ends the process with `status` (the C library's `exit`, which FoundationEssentials does not re-export).
public func exitProcess(_ status: Int32) -> Never {
    exit(status)
}
