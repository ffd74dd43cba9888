#if canImport(Glibc)
    import Glibc
#endif

/// Where the receiver listens, as far as the admin pages are concerned.
public enum ListeningAddress {
    /// Whether `host` reaches only this machine: 127.0.0.0/8, ::1 or `localhost`.
    ///
    /// Any other name could resolve beyond the machine, so it counts as reachable from outside.
    public static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
        }
        return false
    }

    /// Refuses a configuration that would show the admin pages to other machines without a token.
    public static func checkAdminAccess(host: String, token: AdminToken?) throws(AdminTokenError) {
        guard token == nil, !isLoopback(host) else { return }
        throw AdminTokenError(
            description: """
                refusing to listen on \(host) without an admin token: /, /summary, /metrics and /reports.ndjson show which \
                customers report, so beyond loopback (127.0.0.0/8, ::1, localhost) they need one; pass \
                --admin-token-file FILE (a private file holding the token), or listen on 127.0.0.1
                """)
    }
}
